package org.sdmodel.download;

import java.net.URI;

/**
 * The server refused with an HTTP status (404 not found, 401/403 a login or permission needed),
 * or kept answering 5xx/429 after the retries. A {@code .part} from an earlier run is kept.
 */
public final class HttpStatusException extends DownloadException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #status()} returns. */
    private final int status;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param status the HTTP status code
     * @param message what went wrong, one line
     */
    public HttpStatusException(URI uri, int status, String message) {
        super(uri, message);
        this.status = status;
    }

    /** {@return the HTTP status code} */
    public int status() {
        return status;
    }
}
