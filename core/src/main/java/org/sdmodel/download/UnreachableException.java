package org.sdmodel.download;

import java.net.URI;

/**
 * The server (or the proxy) could not be reached, or the connection kept failing through the
 * retries. The message says how the connection was made (directly, or through which proxy and
 * from which environment variable), since a missing or wrong proxy setting is the usual cause.
 * What was downloaded stays in the {@code .part}, which the next run resumes.
 */
public final class UnreachableException extends DownloadException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #bytesKept()} returns. */
    private final long bytesKept;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param bytesKept bytes kept in the {@code .part} for the next run to resume from
     * @param message what went wrong, one line
     * @param cause the underlying failure
     */
    public UnreachableException(URI uri, long bytesKept, String message, Throwable cause) {
        super(uri, message, cause);
        this.bytesKept = bytesKept;
    }

    /** {@return bytes kept in the {@code .part} for the next run to resume from (0: nothing kept)} */
    public long bytesKept() {
        return bytesKept;
    }
}
