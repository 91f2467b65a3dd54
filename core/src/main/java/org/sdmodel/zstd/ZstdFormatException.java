package org.sdmodel.zstd;

import org.sdmodel.ModelFormatException;

/** zstd-compressed data is corrupt, truncated, or uses a feature sdmodel does not read (dictionaries). */
public class ZstdFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public ZstdFormatException(String message) {
        super(message);
    }

    public ZstdFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
