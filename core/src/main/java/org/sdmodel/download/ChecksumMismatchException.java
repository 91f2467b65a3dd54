package org.sdmodel.download;

import java.net.URI;

/** The downloaded file's sha256 is not the one expected; the {@code .part} is deleted. */
public final class ChecksumMismatchException extends DownloadException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #expected()} returns. */
    private final String expected;
    /** The value {@link #actual()} returns. */
    private final String actual;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param expected the sha256 expected, lower-case hex
     * @param actual the sha256 of what was downloaded, lower-case hex
     * @param message what went wrong, one line
     */
    public ChecksumMismatchException(URI uri, String expected, String actual, String message) {
        super(uri, message);
        this.expected = expected;
        this.actual = actual;
    }

    /** {@return the sha256 expected, lower-case hex} */
    public String expected() {
        return expected;
    }

    /** {@return the sha256 of what was downloaded, lower-case hex} */
    public String actual() {
        return actual;
    }
}
