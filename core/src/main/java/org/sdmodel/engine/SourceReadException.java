package org.sdmodel.engine;

import java.io.IOException;

/**
 * A source tensor could not be read while writing (a storage cut short, a disk error): the
 * input's fault, not the output's. The message names the tensor by its {@link Expr.Source#origin()}.
 */
public class SourceReadException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #origin()} returns. */
    private final String origin;

    /**
     * Creates the exception.
     *
     * @param origin the tensor that could not be read, as its expression names it
     * @param cause the underlying failure
     */
    public SourceReadException(String origin, IOException cause) {
        super(origin + ": " + describe(cause), cause);
        this.origin = origin;
    }

    /** {@return the tensor that could not be read, as its expression names it} */
    public String origin() {
        return origin;
    }

    private static String describe(IOException e) {
        if (e instanceof java.io.EOFException) {
            return "the file ends early (truncated?)" + (e.getMessage() != null ? ": " + e.getMessage() : "");
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
