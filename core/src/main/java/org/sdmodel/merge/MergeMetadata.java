package org.sdmodel.merge;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sdmodel.webui.PythonJson;

/**
 * The {@code __metadata__} the web UI's merger writes with its default settings ("save
 * metadata", "add merge recipe", "copy metadata from merged models" all on), as
 * {@code run_modelmerger} builds it:
 *
 * <ol>
 *   <li>the metadata of A, then B, then C (those the method uses) copied, in that order, later
 *       values replacing earlier ones; {@code modelspec.thumbnail} is left out, as the web UI
 *       takes it out when it reads a checkpoint's metadata;
 *   <li>{@code format}: {@code pt};
 *   <li>{@code sd_merge_recipe}: {@code json.dumps} of the settings: {@code type} {@code webui},
 *       the three models' SHA-256 (null for those not used), {@code interp_method} with the tab's
 *       label, {@code multiplier}, {@code save_as_half}, {@code custom_name},
 *       {@code config_source} 0 ("A, B or C"), {@code bake_in_vae} (the VAE's file name, or
 *       {@code "None"}), {@code discard_weights}, {@code is_inpainting},
 *       {@code is_instruct_pix2pix};
 *   <li>{@code sd_merge_models}: {@code json.dumps} of {SHA-256: {name, legacy_hash,
 *       sd_merge_recipe}} for each model used, each followed by that model's own
 *       {@code sd_merge_models}, so the whole family tree of a merge of merges is kept.
 * </ol>
 *
 * Where the web UI keeps a copied value that is a JSON object as a parsed object (and then fails
 * to save it: safetensors metadata values must be strings), the value is copied as the string it
 * was. {@code sd_merge_recipe} and {@code sd_merge_models} of the inputs are read as JSON, as the
 * web UI reads them.
 */
final class MergeMetadata {
    private MergeMetadata() {
    }

    static Map<String, String> of(MergeInput a, MergeInput b, MergeInput c, MergeOptions o, boolean inpainting,
            boolean pix2pix) {
        Map<String, String> m = new LinkedHashMap<>();
        for (MergeInput in : new MergeInput[] {a, b, c}) {
            if (in != null) {
                for (Map.Entry<String, String> e : in.file().metadata().entrySet()) {
                    if (!e.getKey().equals("modelspec.thumbnail")) {
                        m.put(e.getKey(), e.getValue());
                    }
                }
            }
        }
        m.put("format", "pt");

        Map<String, Object> recipe = new LinkedHashMap<>();
        recipe.put("type", "webui");
        recipe.put("primary_model_hash", a.sha256());
        recipe.put("secondary_model_hash", b == null ? null : b.sha256());
        recipe.put("tertiary_model_hash", c == null ? null : c.sha256());
        recipe.put("interp_method", o.method().webUiLabel());
        recipe.put("multiplier", o.multiplier());
        recipe.put("save_as_half", o.saveAsHalf());
        recipe.put("custom_name", o.customName());
        recipe.put("config_source", 0);
        recipe.put("bake_in_vae", o.bakeVae() == null ? "None" : o.bakeVae().name());
        recipe.put("discard_weights", o.discard() == null ? "" : o.discard());
        recipe.put("is_inpainting", inpainting);
        recipe.put("is_instruct_pix2pix", pix2pix);

        Map<String, Object> models = new LinkedHashMap<>();
        for (MergeInput in : new MergeInput[] {a, b, c}) {
            if (in == null) {
                continue;
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", in.name());
            entry.put("legacy_hash", in.legacyHash());
            entry.put("sd_merge_recipe", parsed(in.file().metadata().get("sd_merge_recipe")));
            models.put(in.sha256(), entry);
            Object inherited = parsed(in.file().metadata().get("sd_merge_models"));
            if (inherited instanceof Map) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) inherited).entrySet()) {
                    models.put((String) e.getKey(), e.getValue());
                }
            }
        }
        m.put("sd_merge_recipe", PythonJson.dumps(recipe));
        m.put("sd_merge_models", PythonJson.dumps(models));
        return m;
    }

    /**
     * A metadata value as the web UI reads it ({@code read_metadata_from_safetensors}): a string
     * starting with {@code {} parsed as JSON when it is JSON, else the string; null stays null.
     */
    static Object parsed(String value) {
        if (value == null || !value.startsWith("{")) {
            return value;
        }
        try {
            return PythonJson.parse(value);
        } catch (IOException e) {
            return value;
        }
    }
}
