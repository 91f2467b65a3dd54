package org.sdmodel.merge;

import java.nio.file.Path;
import java.util.List;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.engine.TensorPlan;

/**
 * What a merge will write, decided by {@link MergePlanner} before any tensor data is read: the
 * output's tensors and metadata ({@link #tensors()}, for {@link org.sdmodel.engine.ModelWriter}),
 * and what happened to the inputs' keys.
 *
 * @param tensors the output: tensors, metadata, inputs, and A's (or B's, C's) config as a side file
 * @param merged keys computed from A and B (or B - C)
 * @param channelMerged of those, the UNet input convolutions merged on their first 4 channels only
 *     (an inpainting or InstructPix2Pix A with a normal B)
 * @param keptFromA A's tensors written as they are (no {@code model} in the key, not in B, or
 *     CLIP's {@code position_ids})
 * @param onlyInB B's tensors A lacks: dropped, as the web UI drops them
 * @param missingInC B's tensors C lacks: their difference is zeros
 * @param inpainting whether the result is an inpainting model (the recipe's {@code is_inpainting})
 * @param instructPix2Pix whether it is an InstructPix2Pix model
 * @param vae what baking the VAE replaced, or null
 * @param clipFixes what {@code --fix-clip} found and changed (empty without it)
 * @param discarded keys the discard pattern removed
 * @param halved tensors {@code save_as_half} converts from float32 to float16
 * @param defaultName the output name the web UI would choose, without extension
 *     ({@code 0.7(a) + 0.3(b)}, {@code a + 0.5(b - c)}, with {@code .inpainting} for inpainting)
 * @param config the {@code .yaml} config copied beside the output, or null
 */
public record MergePlan(TensorPlan tensors, List<String> merged, List<String> channelMerged, List<String> keptFromA,
        List<String> onlyInB, List<String> missingInC, boolean inpainting, boolean instructPix2Pix,
        ComponentPlanner.VaeBake vae, List<ComponentPlanner.ClipFix> clipFixes, List<String> discarded,
        List<String> halved, String defaultName, Path config) {

    /**
     * Creates the record, copying its components.
     *
     * @param tensors the output: tensors, metadata, inputs, and A's (or B's, C's) config as a side file
     * @param merged keys computed from A and B (or B - C)
     * @param channelMerged of those, the UNet input convolutions merged on their first 4 channels only
     *     (an inpainting or InstructPix2Pix A with a normal B)
     * @param keptFromA A's tensors written as they are (no {@code model} in the key, not in B, or
     *     CLIP's {@code position_ids})
     * @param onlyInB B's tensors A lacks: dropped, as the web UI drops them
     * @param missingInC B's tensors C lacks: their difference is zeros
     * @param inpainting whether the result is an inpainting model (the recipe's {@code is_inpainting})
     * @param instructPix2Pix whether it is an InstructPix2Pix model
     * @param vae what baking the VAE replaced, or null
     * @param clipFixes what {@code --fix-clip} found and changed (empty without it)
     * @param discarded keys the discard pattern removed
     * @param halved tensors {@code save_as_half} converts from float32 to float16
     * @param defaultName the output name the web UI would choose, without extension
     *     ({@code 0.7(a) + 0.3(b)}, {@code a + 0.5(b - c)}, with {@code .inpainting} for inpainting)
     * @param config the {@code .yaml} config copied beside the output, or null
     */
    public MergePlan {
        merged = List.copyOf(merged);
        channelMerged = List.copyOf(channelMerged);
        keptFromA = List.copyOf(keptFromA);
        onlyInB = List.copyOf(onlyInB);
        missingInC = List.copyOf(missingInC);
        clipFixes = List.copyOf(clipFixes);
        discarded = List.copyOf(discarded);
        halved = List.copyOf(halved);
    }
}
