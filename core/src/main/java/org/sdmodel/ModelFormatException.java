package org.sdmodel;

import java.io.IOException;

/**
 * The file is not a valid model file: truncated, corrupt, malformed, or of a kind sdmodel does not
 * read. The message is one line that says what is wrong (the caller adds the file name).
 * Subclasses name the format that found the problem.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
