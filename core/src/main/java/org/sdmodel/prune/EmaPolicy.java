package org.sdmodel.prune;

import java.util.Locale;

/**
 * What to do with the EMA (exponential moving average) copies of a training checkpoint. EMA
 * copies are the keys under {@code model_ema.}; LitEma names the copy of {@code model.X}
 * {@code model_ema.} + X with every {@code .} removed.
 */
public enum EmaPolicy {
    /** Each {@code model.*} weight takes its EMA copy's values; then every {@code model_ema.*} key is dropped. */
    USE,
    /** Every {@code model_ema.*} key is dropped; the training weights stay. */
    DROP,
    /** The EMA copies stay, converted like the rest. */
    KEEP;

    /** {@return lower-case name as the CLI spells it} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
