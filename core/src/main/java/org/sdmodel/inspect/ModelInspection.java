package org.sdmodel.inspect;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@link Inspector} tells about a model file.
 *
 * @param stateDict counts over every tensor of the state dict
 * @param architecture what the file is, and which keys decided it
 * @param prediction what its UNet predicts (eps or v), and on what grounds
 * @param knownModel the official release whose sha256 the file has, or null (also null when no
 *     sha256 was given)
 * @param components the parts found, by {@link Component#name()}, in the order unet, vae,
 *     text_encoder, text_encoder_2, depth_model, embedding
 * @param otherTensors the state-dict tensors in no component and not EMA copies (DDPM schedule
 *     buffers, {@code logvar}, a LoRA's {@code alpha} values are counted with their component...)
 * @param missingComponents components the architecture has but the file lacks ({@code vae} for a
 *     checkpoint saved without one)
 * @param problems what is broken, one line each ("...position_ids is F32, not int64")
 * @param ema the EMA copies and whether they cover the UNet
 * @param hasOptimizer whether the file holds optimizer state ({@code optimizer_states} or
 *     {@code optimizer} with something in it)
 * @param topLevelEntries the root's entries beside the state dict, in file order
 * @param prune what {@code sdmodel prune} with its defaults writes, or null when it refuses the file
 *     (the same decision: {@link org.sdmodel.prune.PrunePlan#of})
 * @param pruneUnavailable why prune refuses the file (its own message), or null
 * @param metadata the safetensors metadata, summarised
 */
public record ModelInspection(
        TensorStats stateDict,
        ArchitectureVerdict architecture,
        Prediction prediction,
        KnownModel knownModel,
        Map<String, Component> components,
        TensorStats otherTensors,
        List<String> missingComponents,
        List<String> problems,
        EmaReport ema,
        boolean hasOptimizer,
        List<TopLevelEntry> topLevelEntries,
        PruneEstimate prune,
        String pruneUnavailable,
        MetadataSummary metadata) {

    /**
     * Creates the record, checking and copying its components.
     *
     * @param stateDict counts over every tensor of the state dict
     * @param architecture what the file is, and which keys decided it
     * @param prediction what its UNet predicts (eps or v), and on what grounds
     * @param knownModel the official release whose sha256 the file has, or null (also null when no
     *     sha256 was given)
     * @param components the parts found, by {@link Component#name()}, in the order unet, vae,
     *     text_encoder, text_encoder_2, depth_model, embedding
     * @param otherTensors the state-dict tensors in no component and not EMA copies (DDPM schedule
     *     buffers, {@code logvar}, a LoRA's {@code alpha} values are counted with their component...)
     * @param missingComponents components the architecture has but the file lacks ({@code vae} for a
     *     checkpoint saved without one)
     * @param problems what is broken, one line each ("...position_ids is F32, not int64")
     * @param ema the EMA copies and whether they cover the UNet
     * @param hasOptimizer whether the file holds optimizer state ({@code optimizer_states} or
     *     {@code optimizer} with something in it)
     * @param topLevelEntries the root's entries beside the state dict, in file order
     * @param prune what {@code sdmodel prune} with its defaults writes, or null when it refuses the file
     *     (the same decision: {@link org.sdmodel.prune.PrunePlan#of})
     * @param pruneUnavailable why prune refuses the file (its own message), or null
     * @param metadata the safetensors metadata, summarised
     */
    public ModelInspection {
        Objects.requireNonNull(stateDict, "stateDict");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(prediction, "prediction");
        Objects.requireNonNull(ema, "ema");
        Objects.requireNonNull(metadata, "metadata");
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        missingComponents = List.copyOf(missingComponents);
        problems = List.copyOf(problems);
        topLevelEntries = List.copyOf(topLevelEntries);
    }
}
