package org.sdmodel.component;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.Tensor;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.ArchitectureDetector;
import org.sdmodel.inspect.ArchitectureVerdict;
import org.sdmodel.merge.WebUiStateDict;

/**
 * A VAE file as the web UI loads one to bake it into a checkpoint ({@code sd_vae.load_vae_dict}):
 * its state dict read as the web UI reads checkpoints ({@link WebUiStateDict}), without the keys
 * whose first four characters are {@code loss} (the training discriminator) and without
 * {@code model_ema.decay} and {@code model_ema.num_updates}. Keys are those of a standalone VAE
 * ({@code encoder.*}, {@code decoder.*}, {@code quant_conv.*}, {@code post_quant_conv.*}): the
 * baked value of {@code first_stage_model.X} is the file's {@code X}.
 *
 * <p>Unlike the web UI, which bakes whatever keys happen to match (nothing, for a checkpoint
 * given by mistake), {@link #load} refuses a file that is not an AutoencoderKL.
 */
public final class VaeFile {
    private static final Set<String> IGNORED = Set.of("model_ema.decay", "model_ema.num_updates");
    private static final String FIRST_STAGE = "first_stage_model.";

    private final Path path;
    private final Map<String, Tensor> tensors;

    private VaeFile(Path path, Map<String, Tensor> tensors) {
        this.path = path;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Reads the VAE of {@code file}.
     *
     * @param file an open VAE file ({@code .pt}, {@code .ckpt} or {@code .safetensors})
     * @return its tensors by standalone key
     * @throws ComponentException if the file is not a VAE (a checkpoint, a LoRA, a checkpoint's
     *     first stage still under {@code first_stage_model.})
     */
    public static VaeFile load(ModelFile file) throws ModelFormatException {
        Map<String, Tensor> kept = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : WebUiStateDict.read(file).entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("loss") && !IGNORED.contains(k)) {
                kept.put(k, e.getValue());
            }
        }
        ArchitectureVerdict verdict = ArchitectureDetector.detect(kept);
        boolean standalone = kept.containsKey("encoder.conv_in.weight") && kept.containsKey("decoder.conv_out.weight");
        if (verdict.architecture() != Architecture.VAE || !standalone) {
            String what = verdict.architecture() == Architecture.VAE
                    ? "it holds a checkpoint's first stage under first_stage_model.*, which the web UI would bake as"
                            + " nothing; extract it first with 'sdmodel extract --component vae'"
                    : "it is " + verdict.architecture().label() + " (" + verdict.reason() + ")";
            throw new ComponentException("is not a VAE file: " + what);
        }
        return new VaeFile(file.path(), kept);
    }

    /** {@return the file} */
    public Path path() {
        return path;
    }

    /** {@return the name the web UI's VAE list gives the file (its file name), as a merge recipe records it} */
    public String name() {
        return path.getFileName().toString();
    }

    /** {@return the VAE's tensors by standalone key ({@code decoder.conv_out.weight})} */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * What baking this VAE into a checkpoint replaces, as the web UI's merger bakes it: for every
     * VAE key {@code X} whose {@code first_stage_model.X} the checkpoint has, that checkpoint key
     * and the VAE's tensor; VAE keys the checkpoint lacks are ignored.
     *
     * @param checkpointShapes the checkpoint's tensor shapes by key
     * @return the VAE's tensors by the checkpoint key they replace
     * @throws ComponentException if nothing would be replaced (a checkpoint without a first
     *     stage), or a VAE tensor's shape differs from the one it replaces (the web UI would
     *     write it, and the checkpoint would not load)
     */
    public Map<String, Tensor> replacements(Map<String, long[]> checkpointShapes) throws ComponentException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = FIRST_STAGE + e.getKey();
            long[] shape = checkpointShapes.get(key);
            if (shape == null) {
                continue;
            }
            if (!java.util.Arrays.equals(shape, e.getValue().shape())) {
                throw new ComponentException("the VAE's " + e.getKey() + " has shape " + java.util.Arrays.toString(e.getValue().shape())
                        + " but the checkpoint's " + key + " has " + java.util.Arrays.toString(shape)
                        + ": the VAE is for another model");
            }
            out.put(key, e.getValue());
        }
        if (out.isEmpty()) {
            throw new ComponentException("the checkpoint has none of the VAE's tensors under first_stage_model.*:"
                    + " nothing to bake the VAE into");
        }
        return out;
    }

    /**
     * {@return the VAE's keys that {@code replacements} left out (the checkpoint has no such first-stage tensor)}
     *
     * @param replacements what {@link #replacements} gave
     */
    public java.util.List<String> unused(Map<String, Tensor> replacements) {
        java.util.List<String> unused = new java.util.ArrayList<>();
        for (String k : tensors.keySet()) {
            if (!replacements.containsKey(FIRST_STAGE + k)) {
                unused.add(k);
            }
        }
        return unused;
    }

    /**
     * {@return how a replacement is named in listings: the file and the VAE key ({@code vae.pt:decoder.conv_out.weight})}
     *
     * @param checkpointKey a checkpoint key a VAE tensor replaces
     */
    public String origin(String checkpointKey) {
        return name() + ":" + checkpointKey.substring(FIRST_STAGE.length());
    }
}
