package org.sdmodel.pickle;

import org.sdmodel.ModelFormatException;

/** A pickle is malformed: an unknown opcode, a stack underflow, a truncated stream, a type error. */
public class PickleException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public PickleException(String message) {
        super(message);
    }
}
