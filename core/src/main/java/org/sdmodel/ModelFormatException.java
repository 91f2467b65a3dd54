package org.sdmodel;

import java.io.IOException;

/**
 * The file is not a valid model file: truncated, corrupt, malformed, or of a kind sdmodel does not
 * read. The message is one line that says what is wrong (the caller adds the file name): names
 * taken from a hostile file may hold line breaks or run to megabytes, so control characters
 * become {@code ?} and a message longer than {@value #MAX_MESSAGE_LENGTH} characters is cut.
 * Subclasses name the format that found the problem.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The longest message kept whole. */
    public static final int MAX_MESSAGE_LENGTH = 1000;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public ModelFormatException(String message) {
        super(oneLine(message));
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     * @param cause the underlying failure
     */
    public ModelFormatException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** The message as one printable line of bounded length. */
    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        String m = message.length() > MAX_MESSAGE_LENGTH
                ? message.substring(0, MAX_MESSAGE_LENGTH - 3) + "..." : message;
        StringBuilder b = null;
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (b == null) {
                    b = new StringBuilder(m);
                }
                b.setCharAt(i, '?');
            }
        }
        return b == null ? m : b.toString();
    }
}
