package org.sdmodel.zstd;

import org.sdmodel.ModelFormatException;

/** zstd-compressed data is corrupt, truncated, or uses a feature sdmodel does not read (dictionaries). */
public class ZstdFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public ZstdFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     * @param cause the underlying failure
     */
    public ZstdFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
