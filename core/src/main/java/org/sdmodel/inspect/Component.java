package org.sdmodel.inspect;

import java.util.Objects;

/**
 * One part of a model file: its UNet, VAE, a text encoder, a depth model, a LoRA's UNet or text
 * encoder half, an embedding's vectors.
 *
 * @param name the component's id: {@code unet}, {@code vae}, {@code text_encoder},
 *     {@code text_encoder_2}, {@code depth_model} or {@code embedding}
 * @param description what it is, for people ({@code "CLIP ViT-L/14 text encoder"})
 * @param keyPrefix the prefix its keys share in this file ({@code cond_stage_model.}), or a short
 *     description of its keys when they share none
 * @param stats its tensors' counts
 */
public record Component(String name, String description, String keyPrefix, TensorStats stats) {

    /**
     * Creates the record, checking its components.
     *
     * @param name the component's id: {@code unet}, {@code vae}, {@code text_encoder},
     *     {@code text_encoder_2}, {@code depth_model} or {@code embedding}
     * @param description what it is, for people ({@code "CLIP ViT-L/14 text encoder"})
     * @param keyPrefix the prefix its keys share in this file ({@code cond_stage_model.}), or a short
     *     description of its keys when they share none
     * @param stats its tensors' counts
     */
    public Component {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(stats, "stats");
    }
}
