package org.sdmodel.component;

import org.sdmodel.ModelFormatException;

/** A file cannot give or take the component asked for: no VAE to extract, a VAE file that is not one, shapes that differ. */
public class ComponentException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public ComponentException(String message) {
        super(message);
    }
}
