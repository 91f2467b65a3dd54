package org.sdmodel.download;

import java.net.URI;

/**
 * The server answered with something that is not a model file: an HTML page (a login wall or an
 * error page answering 200), JSON, XML, text, or bytes of no model format. Detected from the first
 * bytes, before anything is written; the {@code .part} is deleted.
 */
public final class NotAModelException extends DownloadException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #found()} returns. */
    private final String found;

    /**
     * Creates the exception.
     *
     * @param uri the address asked for
     * @param found what the body looks like instead, in a few words
     * @param message what went wrong, one line
     */
    public NotAModelException(URI uri, String found, String message) {
        super(uri, message);
        this.found = found;
    }

    /** {@return what the body looks like instead, in a few words ({@code an HTML page}, {@code JSON})} */
    public String found() {
        return found;
    }
}
