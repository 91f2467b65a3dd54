package org.sdmodel.inspect;

import java.util.Objects;

/**
 * An official model file, known by its sha256.
 *
 * @param fileName the file's name as its publisher released it
 * @param sha256 the sha256 of the whole file, lower-case hex
 * @param release a name for people ({@code Stable Diffusion 1.5})
 * @param architecture what the file holds
 * @param prediction what its UNet predicts
 * @param resolution the image size it was trained for, in pixels (square)
 */
public record KnownModel(String fileName, String sha256, String release, Architecture architecture,
        PredictionType prediction, int resolution) {

    /**
     * Creates the record, checking its components.
     *
     * @param fileName the file's name as its publisher released it
     * @param sha256 the sha256 of the whole file, lower-case hex
     * @param release a name for people ({@code Stable Diffusion 1.5})
     * @param architecture what the file holds
     * @param prediction what its UNet predicts
     * @param resolution the image size it was trained for, in pixels (square)
     */
    public KnownModel {
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(prediction, "prediction");
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a lower-case sha256: " + sha256);
        }
    }

    /** {@return the web UI's short hash of the file (the first 10 hex digits of its sha256)} */
    public String autov2() {
        return sha256.substring(0, 10);
    }
}
