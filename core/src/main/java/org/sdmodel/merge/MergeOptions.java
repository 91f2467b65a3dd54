package org.sdmodel.merge;

import java.util.Objects;
import java.util.regex.Pattern;
import org.sdmodel.component.VaeFile;

/**
 * The web UI Checkpoint Merger's settings.
 *
 * @param method the interpolation method
 * @param multiplier M, from 0 to 1
 * @param saveAsHalf "Save as float16": float32 results become float16 (only those: see {@link MergePlanner})
 * @param bakeVae the VAE to bake in, or null
 * @param discard "Discard weights with matching name": a regular expression in Python's syntax
 *     ({@code re.search}), or null or empty for none
 * @param fixClip reset CLIP's {@code position_ids} to int64 {@code arange(77)} (not a web UI setting)
 * @param customName the output's name as typed into the tab's "Custom Name" field, recorded in
 *     the recipe; empty when the default name is used
 */
public record MergeOptions(MergeMethod method, double multiplier, boolean saveAsHalf, VaeFile bakeVae, String discard,
        boolean fixClip, String customName) {

    /** The tab's default multiplier. */
    public static final double DEFAULT_MULTIPLIER = 0.3;

    /**
     * Creates the record, checking its components.
     *
     * @param method the interpolation method
     * @param multiplier M, from 0 to 1
     * @param saveAsHalf "Save as float16": float32 results become float16 (only those: see {@link MergePlanner})
     * @param bakeVae the VAE to bake in, or null
     * @param discard "Discard weights with matching name": a regular expression in Python's syntax
     *     ({@code re.search}), or null or empty for none
     * @param fixClip reset CLIP's {@code position_ids} to int64 {@code arange(77)} (not a web UI setting)
     * @param customName the output's name as typed into the tab's "Custom Name" field, recorded in
     *     the recipe; empty when the default name is used
     * @throws IllegalArgumentException if the multiplier is outside 0..1, or the discard pattern
     *     does not compile ({@link java.util.regex.PatternSyntaxException})
     */
    public MergeOptions {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(customName, "customName");
        if (!(multiplier >= 0 && multiplier <= 1)) {
            throw new IllegalArgumentException("the multiplier must be from 0 to 1, not " + multiplier);
        }
        if (discard != null && !discard.isEmpty()) {
            PythonRegex.compile(discard);
        }
    }

    /**
     * {@return weighted sum with multiplier {@code m}, nothing else}
     *
     * @param m the multiplier, from 0 to 1
     */
    public static MergeOptions weightedSum(double m) {
        return new MergeOptions(MergeMethod.WEIGHTED_SUM, m, false, null, null, false, "");
    }

    /**
     * {@return add difference with multiplier {@code m}, nothing else}
     *
     * @param m the multiplier, from 0 to 1
     */
    public static MergeOptions addDifference(double m) {
        return new MergeOptions(MergeMethod.ADD_DIFFERENCE, m, false, null, null, false, "");
    }

    /** {@return no interpolation: A alone} */
    public static MergeOptions noInterpolation() {
        return new MergeOptions(MergeMethod.NO_INTERPOLATION, DEFAULT_MULTIPLIER, false, null, null, false, "");
    }

    /**
     * {@return a copy with another {@code saveAsHalf}}
     *
     * @param b "Save as float16": float32 results become float16 (only those: see {@link MergePlanner})
     */
    public MergeOptions withSaveAsHalf(boolean b) {
        return new MergeOptions(method, multiplier, b, bakeVae, discard, fixClip, customName);
    }

    /**
     * {@return a copy with another {@code bakeVae}}
     *
     * @param vae the VAE to bake in, or null
     */
    public MergeOptions withBakeVae(VaeFile vae) {
        return new MergeOptions(method, multiplier, saveAsHalf, vae, discard, fixClip, customName);
    }

    /**
     * {@return a copy with another {@code discard}}
     *
     * @param regex "Discard weights with matching name": a regular expression in Python's syntax
     *     ({@code re.search}), or null or empty for none
     */
    public MergeOptions withDiscard(String regex) {
        return new MergeOptions(method, multiplier, saveAsHalf, bakeVae, regex, fixClip, customName);
    }

    /**
     * {@return a copy with another {@code fixClip}}
     *
     * @param b reset CLIP's {@code position_ids} to int64 {@code arange(77)} (not a web UI setting)
     */
    public MergeOptions withFixClip(boolean b) {
        return new MergeOptions(method, multiplier, saveAsHalf, bakeVae, discard, b, customName);
    }

    /**
     * {@return a copy with another {@code customName}}
     *
     * @param name the output's name as typed into the tab's "Custom Name" field, recorded in
     *     the recipe; empty when the default name is used
     */
    public MergeOptions withCustomName(String name) {
        return new MergeOptions(method, multiplier, saveAsHalf, bakeVae, discard, fixClip, name);
    }

    /** The compiled discard pattern, or null for none. */
    Pattern discardPattern() {
        return discard == null || discard.isEmpty() ? null : PythonRegex.compile(discard);
    }
}
