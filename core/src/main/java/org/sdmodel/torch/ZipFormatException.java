package org.sdmodel.torch;

import org.sdmodel.ModelFormatException;

/** The zip container of a torch checkpoint is broken or uses features torch never writes. */
public class ZipFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public ZipFormatException(String message) {
        super(message);
    }
}
