package org.sdmodel.convert;

/**
 * Counts of what a conversion did to the values it could not keep, so {@code prune} can say
 * "3 values overflowed to infinity" instead of silently writing them. Mutable and not
 * thread-safe: keep one per tensor or per chunk and {@link #add} them together.
 */
public final class ConversionStats {
    long elements;
    long nanInputs;
    long infinityInputs;
    long overflows;
    long underflows;

    /** Creates empty counts. */
    public ConversionStats() {
    }

    /** {@return elements converted (or copied)} */
    public long elements() {
        return elements;
    }

    /** {@return input values that were NaN (they stay NaN)} */
    public long nanInputs() {
        return nanInputs;
    }

    /** {@return input values that were ±infinity (they stay infinite; float8 e4m3fn, which has none, makes them NaN)} */
    public long infinityInputs() {
        return infinityInputs;
    }

    /**
     * Finite input values too large for the target type, written as ±infinity, or as NaN in
     * float8 e4m3fn, which has no infinity.
     *
     * @return how many values overflowed
     */
    public long overflows() {
        return overflows;
    }

    /** {@return non-zero finite input values too small for the target type, written as ±0} */
    public long underflows() {
        return underflows;
    }

    /** {@return true if some finite, non-zero value became infinite (or NaN) or zero} */
    public boolean lostValues() {
        return overflows != 0 || underflows != 0;
    }

    /**
     * Adds another set of counts to this one.
     *
     * @param other counts to add
     */
    public void add(ConversionStats other) {
        elements += other.elements;
        nanInputs += other.nanInputs;
        infinityInputs += other.infinityInputs;
        overflows += other.overflows;
        underflows += other.underflows;
    }

    /**
     * Counts one element whose input or output was special. The kernels call this only for
     * elements whose output is zero, infinite or NaN, which every event below produces.
     */
    void countSpecial(boolean inputNaN, boolean inputInfinite, boolean inputZero, boolean outputZero) {
        if (inputNaN) {
            nanInputs++;
        } else if (inputInfinite) {
            infinityInputs++;
        } else if (outputZero) {
            if (!inputZero) {
                underflows++;
            }
        } else {
            overflows++;
        }
    }

    @Override
    public String toString() {
        return "ConversionStats[elements=" + elements + ", nanInputs=" + nanInputs
                + ", infinityInputs=" + infinityInputs + ", overflows=" + overflows
                + ", underflows=" + underflows + "]";
    }
}
