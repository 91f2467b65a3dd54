package org.sdmodel;

/**
 * A size read from the file (a header length, a string length, a memo index, a nesting depth) is
 * larger than the file can hold or than the configured limit. Thrown before anything of that size
 * is allocated.
 */
public class MemoryLimitException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #claimed()} returns. */
    private final long claimed;
    /** The value {@link #limit()} returns. */
    private final long limit;

    /**
     * Creates the exception.
     *
     * @param what what claims the size ("a pickle", "the header")
     * @param claimed the size the file claimed
     * @param limit the limit it exceeds
     */
    public MemoryLimitException(String what, long claimed, long limit) {
        super(what + " of " + claimed + " exceeds the limit of " + limit);
        this.claimed = claimed;
        this.limit = limit;
    }

    /** {@return the size the file claimed} */
    public long claimed() {
        return claimed;
    }

    /** {@return the limit it exceeded} */
    public long limit() {
        return limit;
    }
}
