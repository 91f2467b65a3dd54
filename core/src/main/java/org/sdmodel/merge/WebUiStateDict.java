package org.sdmodel.merge;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.Tensor;

/**
 * A checkpoint's tensors under the names the AUTOMATIC1111 web UI gives them when it reads one
 * ({@code sd_models.read_state_dict}, {@code get_state_dict_from_checkpoint}): the state dict as
 * sdmodel finds it ({@link org.sdmodel.StateDict}), then renamed as the web UI renames keys:
 *
 * <ul>
 *   <li>SD 2.1 Turbo in Stability's {@code sgm} layout ({@code
 *       conditioner.embedders.0.model.ln_final.weight} of width 1024): {@code
 *       conditioner.embedders.0.} becomes {@code cond_stage_model.};
 *   <li>otherwise the CLIP text encoder of checkpoints saved with {@code transformers} before
 *       4.21: {@code cond_stage_model.transformer.embeddings.}, {@code .encoder.} and
 *       {@code .final_layer_norm.} gain {@code text_model.}.
 * </ul>
 *
 * A renamed key that meets an existing one replaces its value and keeps its place, as a Python
 * dict assignment does. The merger, the VAE loader and so every merge see these names.
 */
public final class WebUiStateDict {
    private static final String[][] SD1_RENAMES = {
        {"cond_stage_model.transformer.embeddings.", "cond_stage_model.transformer.text_model.embeddings."},
        {"cond_stage_model.transformer.encoder.", "cond_stage_model.transformer.text_model.encoder."},
        {"cond_stage_model.transformer.final_layer_norm.", "cond_stage_model.transformer.text_model.final_layer_norm."},
    };
    private static final String[][] SD2_TURBO_RENAMES = {{"conditioner.embedders.0.", "cond_stage_model."}};
    private static final String SD2_TURBO_KEY = "conditioner.embedders.0.model.ln_final.weight";

    private WebUiStateDict() {
    }

    /**
     * {@return the tensors of {@code model}'s state dict, in file order, named as the web UI names them}
     *
     * @param model an open model file
     * @throws ModelFormatException if its state dict cannot be read
     */
    public static Map<String, Tensor> read(ModelFile model) throws ModelFormatException {
        return rename(model.stateDict().tensors());
    }

    /**
     * {@return {@code tensors} named as the web UI names them}
     *
     * @param tensors tensors by key
     */
    public static Map<String, Tensor> rename(Map<String, Tensor> tensors) {
        Tensor turbo = tensors.get(SD2_TURBO_KEY);
        long[] shape = turbo == null ? null : turbo.shape();
        String[][] renames = shape != null && shape.length > 0 && shape[0] == 1024 ? SD2_TURBO_RENAMES : SD1_RENAMES;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            out.put(renamed(e.getKey(), renames), e.getValue());
        }
        return out;
    }

    /** The web UI's {@code transform_checkpoint_dict_key}: every matching prefix in turn is replaced. */
    private static String renamed(String key, String[][] renames) {
        String k = key;
        for (String[] r : renames) {
            if (k.startsWith(r[0])) {
                k = r[1] + k.substring(r[0].length());
            }
        }
        return k;
    }
}
