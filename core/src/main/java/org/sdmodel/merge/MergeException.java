package org.sdmodel.merge;

import org.sdmodel.ModelFormatException;

/**
 * Models that cannot be merged as asked: different architectures, shapes that differ outside the
 * web UI's inpainting and InstructPix2Pix rule, a normal A with an inpainting B, tensors torch
 * does no arithmetic on.
 */
public class MergeException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public MergeException(String message) {
        super(message);
    }
}
