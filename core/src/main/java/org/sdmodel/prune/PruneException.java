package org.sdmodel.prune;

import org.sdmodel.ModelFormatException;

/** The file cannot be pruned as asked: EMA copies that do not cover the model, a shape mismatch, nothing left to write. */
public class PruneException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public PruneException(String message) {
        super(message);
    }
}
