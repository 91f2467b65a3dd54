package org.sdmodel.download;

import java.io.IOException;
import java.net.URI;

/**
 * A download was refused or could not finish. The subclasses name the refusals a caller may want
 * to tell apart; this class itself covers the rest (a server breaking the HTTP rules, an unusable
 * proxy setting, another download writing the same {@code .part}). The message is one line that
 * names the address and the problem.
 */
public class DownloadException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient URI uri;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param message what went wrong, one line
     */
    public DownloadException(URI uri, String message) {
        super(message);
        this.uri = uri;
    }

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param message what went wrong, one line
     * @param cause the underlying failure
     */
    public DownloadException(URI uri, String message, Throwable cause) {
        super(message, cause);
        this.uri = uri;
    }

    /** {@return the address asked for (before any redirect)} */
    public URI uri() {
        return uri;
    }
}
