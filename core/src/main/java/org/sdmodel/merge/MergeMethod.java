package org.sdmodel.merge;

import java.util.Locale;

/** The web UI's interpolation methods, with the labels its Checkpoint Merger tab (and its recipes) use. */
public enum MergeMethod {
    /** {@code A * (1 - M) + B * M}. */
    WEIGHTED_SUM("Weighted sum", 2),
    /** {@code A + (B - C) * M}. */
    ADD_DIFFERENCE("Add difference", 3),
    /** A alone (to bake a VAE, convert to fp16, discard weights). */
    NO_INTERPOLATION("No interpolation", 1);

    private final String webUiLabel;
    private final int models;

    MergeMethod(String webUiLabel, int models) {
        this.webUiLabel = webUiLabel;
        this.models = models;
    }

    /** {@return the label of the web UI's radio button, as {@code sd_merge_recipe.interp_method} records it} */
    public String webUiLabel() {
        return webUiLabel;
    }

    /** {@return how many models the method takes: A, A and B, or A, B and C} */
    public int models() {
        return models;
    }

    /** {@return the name as the CLI spells it ({@code add-difference})} */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
