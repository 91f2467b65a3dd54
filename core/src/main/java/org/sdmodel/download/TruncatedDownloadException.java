package org.sdmodel.download;

import java.net.URI;

/**
 * The server ended the body before the length it announced (Content-Length or Content-Range),
 * and asking again for the rest brought nothing more: the file on the server is shorter than it
 * says, or the server cuts every answer. The {@code .part} is deleted.
 */
public final class TruncatedDownloadException extends DownloadException {
    private static final long serialVersionUID = 1L;

    private final long received;
    private final long expected;

    public TruncatedDownloadException(URI uri, long received, long expected, String message) {
        super(uri, message);
        this.received = received;
        this.expected = expected;
    }

    /** Bytes received (the furthest the download got). */
    public long received() {
        return received;
    }

    /** Bytes announced. */
    public long expected() {
        return expected;
    }
}
