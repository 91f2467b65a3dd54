package org.sdmodel.inspect;

/**
 * What a diffusion model's UNet predicts: the noise ({@code eps}, every SD 1.x and SDXL release and
 * the 512-pixel SD 2.x models) or the velocity ({@code v}, the 768-pixel SD 2.x models). The
 * weights do not show it: a sampler configured for the wrong one makes noise or grey images.
 */
public enum PredictionType {
    /** Noise prediction (ldm's {@code parameterization: eps}, the default). */
    EPS("eps"),
    /** Velocity prediction (ldm's {@code parameterization: v}). */
    V("v"),
    /** Not known. */
    UNKNOWN("unknown");

    private final String label;

    PredictionType(String label) {
        this.label = label;
    }

    /** {@return {@code eps}, {@code v} or {@code unknown}} */
    public String label() {
        return label;
    }
}
