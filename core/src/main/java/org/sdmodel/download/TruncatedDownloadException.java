package org.sdmodel.download;

import java.net.URI;

/**
 * The server ended the body before the length it announced (Content-Length or Content-Range),
 * and asking again for the rest brought nothing more: the file on the server is shorter than it
 * says, or the server cuts every answer. The {@code .part} is deleted.
 */
public final class TruncatedDownloadException extends DownloadException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #received()} returns. */
    private final long received;
    /** The value {@link #expected()} returns. */
    private final long expected;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param received bytes received
     * @param expected bytes announced
     * @param message what went wrong, one line
     */
    public TruncatedDownloadException(URI uri, long received, long expected, String message) {
        super(uri, message);
        this.received = received;
        this.expected = expected;
    }

    /** {@return bytes received (the furthest the download got)} */
    public long received() {
        return received;
    }

    /** {@return bytes announced} */
    public long expected() {
        return expected;
    }
}
