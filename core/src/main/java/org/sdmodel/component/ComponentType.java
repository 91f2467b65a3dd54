package org.sdmodel.component;

import java.util.Locale;

/** The parts of a Stable Diffusion checkpoint that {@link ComponentPlanner#extract} writes on their own. */
public enum ComponentType {
    /** The AutoencoderKL ({@code first_stage_model.*}). */
    VAE,
    /** The diffusion model ({@code model.diffusion_model.*}). */
    UNET,
    /** The text encoder or encoders ({@code cond_stage_model.*}, SDXL's {@code conditioner.embedders.*}). */
    TEXT_ENCODER;

    /** {@return the name as the CLI spells it ({@code text-encoder})} */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
