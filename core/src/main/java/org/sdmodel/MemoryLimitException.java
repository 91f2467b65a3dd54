package org.sdmodel;

/**
 * A size read from the file (a header length, a string length, a memo index, a nesting depth) is
 * larger than the file can hold or than the configured limit. Thrown before anything of that size
 * is allocated.
 */
public class MemoryLimitException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    private final long claimed;
    private final long limit;

    public MemoryLimitException(String what, long claimed, long limit) {
        super(what + " of " + claimed + " exceeds the limit of " + limit);
        this.claimed = claimed;
        this.limit = limit;
    }

    /** The size the file claimed. */
    public long claimed() {
        return claimed;
    }

    /** The limit it exceeded. */
    public long limit() {
        return limit;
    }
}
