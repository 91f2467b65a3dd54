package org.sdmodel.engine;

import java.io.IOException;

/**
 * The output, read back, is not what was written: a header that differs, a wrong size, a tensor
 * whose bytes differ from the plan's (with {@link WriteOptions#verify()}), a compressed file that
 * does not decompress to the file compressed. Nothing is left under the output's name.
 */
public class OutputCheckException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public OutputCheckException(String message) {
        super(message);
    }
}
