package org.sdmodel.torch;

import org.sdmodel.ModelFormatException;

/**
 * A torch checkpoint's contents are inconsistent: a storage that does not exist or is too short,
 * a tensor that reaches outside its storage, an unknown storage type, a wrong magic number.
 */
public class TorchFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public TorchFormatException(String message) {
        super(message);
    }
}
