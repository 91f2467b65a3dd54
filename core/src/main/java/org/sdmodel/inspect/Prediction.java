package org.sdmodel.inspect;

import java.util.Objects;

/**
 * What a model's UNet predicts, and on what grounds.
 *
 * @param type eps, v, or unknown
 * @param basis what the answer rests on, one line ({@code "known file 768-v-ema.ckpt"})
 */
public record Prediction(PredictionType type, String basis) {

    /**
     * Creates the record, checking its components.
     *
     * @param type eps, v, or unknown
     * @param basis what the answer rests on, one line ({@code "known file 768-v-ema.ckpt"})
     */
    public Prediction {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(basis, "basis");
    }
}
