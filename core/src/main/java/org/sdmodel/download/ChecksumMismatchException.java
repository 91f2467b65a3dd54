package org.sdmodel.download;

import java.net.URI;

/** The downloaded file's sha256 is not the one expected; the {@code .part} is deleted. */
public final class ChecksumMismatchException extends DownloadException {
    private static final long serialVersionUID = 1L;

    private final String expected;
    private final String actual;

    public ChecksumMismatchException(URI uri, String expected, String actual, String message) {
        super(uri, message);
        this.expected = expected;
        this.actual = actual;
    }

    /** The sha256 expected, lower-case hex. */
    public String expected() {
        return expected;
    }

    /** The sha256 of what was downloaded, lower-case hex. */
    public String actual() {
        return actual;
    }
}
