package org.sdmodel.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A safetensors file's {@code __metadata__}, read for people: values that hold JSON (kohya's
 * {@code ss_tag_frequency}, the web UI's {@code sd_merge_recipe}) parsed, kohya's training fields
 * ({@code ss_*}) summarised, and the web UI's merge recipe with the names of the merged models.
 *
 * @param json the values that are JSON objects or arrays, parsed, by key, as plain Java values:
 *     {@code Map<String, Object>} (in the text's order), {@code List<Object>}, {@link String},
 *     {@link Integer}, {@link Long}, {@link java.math.BigInteger}, {@link Double}, {@link Boolean}
 *     and {@code null}
 * @param training a summary of kohya's {@code ss_*} fields (empty when there are none), by id:
 *     {@code output_name}, {@code base_model}, {@code network}, {@code train_images},
 *     {@code datasets}, {@code epochs}, {@code steps}, {@code learning_rate}, {@code optimizer},
 *     {@code resolution}, {@code trained_at}, {@code training_time}, {@code tags},
 *     {@code v_parameterization}... (only those present)
 * @param merge the web UI's merge recipe, or null
 */
public record MetadataSummary(Map<String, Object> json, Map<String, String> training, MergeRecipe merge) {

    /**
     * A merge recipe ({@code sd_merge_recipe}, written by the web UI's checkpoint merger and by
     * extensions such as SuperMerger).
     *
     * @param settings its scalar fields other than model hashes, as text ({@code type},
     *     {@code interp_method}, {@code multiplier}...)
     * @param models the merged models, as {@code "primary_model_hash: name [0123456789]"}, names
     *     taken from {@code sd_merge_models}
     */
    public record MergeRecipe(Map<String, String> settings, List<String> models) {
        /**
         * Creates the record, copying its components.
         *
         * @param settings its scalar fields other than model hashes, as text ({@code type},
         *     {@code interp_method}, {@code multiplier}...)
         * @param models the merged models, as {@code "primary_model_hash: name [0123456789]"}, names
         *     taken from {@code sd_merge_models}
         */
        public MergeRecipe {
            settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
            models = List.copyOf(models);
        }
    }

    /**
     * Creates the record, copying its components.
     *
     * @param json the values that are JSON objects or arrays, parsed, by key, as plain Java values:
     *     {@code Map<String, Object>} (in the text's order), {@code List<Object>}, {@link String},
     *     {@link Integer}, {@link Long}, {@link java.math.BigInteger}, {@link Double}, {@link Boolean}
     *     and {@code null}
     * @param training a summary of kohya's {@code ss_*} fields (empty when there are none), by id:
     *     {@code output_name}, {@code base_model}, {@code network}, {@code train_images},
     *     {@code datasets}, {@code epochs}, {@code steps}, {@code learning_rate}, {@code optimizer},
     *     {@code resolution}, {@code trained_at}, {@code training_time}, {@code tags},
     *     {@code v_parameterization}... (only those present)
     * @param merge the web UI's merge recipe, or null
     */
    public MetadataSummary {
        json = Collections.unmodifiableMap(new LinkedHashMap<>(json));   // LinkedHashMap: null values allowed
        training = Collections.unmodifiableMap(new LinkedHashMap<>(training));
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Summarises a metadata map (in the file's order).
     *
     * @param metadata a safetensors file's {@code __metadata__}
     * @return the summary
     */
    public static MetadataSummary of(Map<String, String> metadata) {
        Map<String, JsonNode> json = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            JsonNode node = parse(e.getValue());
            if (node != null) {
                json.put(e.getKey(), node);
            }
        }
        Map<String, Object> plain = new LinkedHashMap<>();
        json.forEach((k, v) -> plain.put(k, JSON.convertValue(v, Object.class)));
        return new MetadataSummary(plain, training(metadata, json), merge(json));
    }

    /** The value as JSON when it is a JSON object or array, else null. */
    static JsonNode parse(String value) {
        String v = value.strip();
        if (!(v.startsWith("{") && v.endsWith("}")) && !(v.startsWith("[") && v.endsWith("]"))) {
            return null;
        }
        try {
            return JSON.readTree(v);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static Map<String, String> training(Map<String, String> m, Map<String, JsonNode> json) {
        Map<String, String> s = new LinkedHashMap<>();
        put(s, "output_name", m.get("ss_output_name"));
        String base = m.get("ss_sd_model_name");
        if (base != null) {
            String sha = m.get("ss_new_sd_model_hash");
            s.put("base_model", base + (sha != null && sha.length() >= 10 ? " [" + sha.substring(0, 10) + "]" : ""));
        }
        String version = m.get("ss_base_model_version");
        if (version != null) {
            s.put("base_model_version", version);
        } else if ("True".equals(m.get("ss_v2"))) {
            s.put("base_model_version", "SD 2.x");
        }
        String module = m.get("ss_network_module");
        if (module != null) {
            StringBuilder n = new StringBuilder(module);
            appendIf(n, " dim ", m.get("ss_network_dim"));
            appendIf(n, " alpha ", m.get("ss_network_alpha"));
            JsonNode args = json.get("ss_network_args");
            if (args != null && args.isObject() && args.size() > 0) {
                n.append(' ').append(args);
            }
            s.put("network", n.toString());
        }
        put(s, "resolution", m.get("ss_resolution"));
        put(s, "train_images", m.get("ss_num_train_images"));
        JsonNode dirs = json.get("ss_dataset_dirs");
        if (dirs != null && dirs.isObject() && dirs.size() > 0) {
            List<String> parts = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = dirs.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> d = it.next();
                parts.add(d.getKey() + " (" + d.getValue().path("img_count").asText("?") + " images x"
                        + d.getValue().path("n_repeats").asText("?") + ")");
            }
            s.put("datasets", String.join(", ", parts));
        }
        String epoch = m.get("ss_epoch");
        String epochs = m.get("ss_num_epochs");
        if (epoch != null || epochs != null) {
            s.put("epochs", epoch != null && epochs != null ? epoch + " of " + epochs : epoch != null ? epoch : epochs);
        }
        String steps = m.get("ss_steps");
        put(s, "steps", steps != null ? steps : m.get("ss_max_train_steps"));
        String lr = m.get("ss_learning_rate");
        if (lr != null) {
            StringBuilder l = new StringBuilder(lr);
            appendIf(l, ", UNet ", m.get("ss_unet_lr"));
            appendIf(l, ", text encoder ", m.get("ss_text_encoder_lr"));
            s.put("learning_rate", l.toString());
        }
        put(s, "optimizer", m.get("ss_optimizer"));
        put(s, "mixed_precision", m.get("ss_mixed_precision"));
        Instant started = instant(m.get("ss_training_started_at"));
        Instant finished = instant(m.get("ss_training_finished_at"));
        if (started != null) {
            s.put("trained_at", started.toString());
            if (finished != null && !finished.isBefore(started)) {
                Duration d = Duration.between(started, finished);
                s.put("training_time", String.format(java.util.Locale.ROOT, "%d:%02d:%02d", d.toHours(),
                        d.toMinutesPart(), d.toSecondsPart()));
            }
        }
        JsonNode tags = json.get("ss_tag_frequency");
        if (tags != null && tags.isObject()) {
            s.put("tags", tagSummary(tags));
        }
        put(s, "comment", m.get("ss_training_comment"));
        if ("True".equals(m.get("ss_v_parameterization"))) {
            s.put("v_parameterization", "True");
        }
        return s;
    }

    /** "312 tags; most frequent: hair bow (130), ..." over every dataset. */
    private static String tagSummary(JsonNode byDataset) {
        Map<String, Long> counts = new TreeMap<>();
        for (JsonNode dataset : byDataset) {
            for (Iterator<Map.Entry<String, JsonNode>> it = dataset.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> t = it.next();
                counts.merge(t.getKey().strip(), t.getValue().asLong(), Long::sum);
            }
        }
        List<Map.Entry<String, Long>> top = new ArrayList<>(counts.entrySet());
        // Most frequent first; ties by name, so the summary does not depend on map order.
        top.sort((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                : Long.compare(b.getValue(), a.getValue()));
        List<String> shown = new ArrayList<>();
        for (Map.Entry<String, Long> t : top.subList(0, Math.min(5, top.size()))) {
            shown.add(t.getKey() + " (" + t.getValue() + ")");
        }
        return counts.size() + (counts.size() == 1 ? " tag" : " tags")
                + (shown.isEmpty() ? "" : "; most frequent: " + String.join(", ", shown));
    }

    private static MergeRecipe merge(Map<String, JsonNode> json) {
        JsonNode recipe = json.get("sd_merge_recipe");
        if (recipe == null || !recipe.isObject()) {
            return null;
        }
        JsonNode names = json.get("sd_merge_models");
        Map<String, String> settings = new LinkedHashMap<>();
        List<String> models = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = recipe.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            String key = f.getKey();
            if (key.endsWith("_model_hash") || key.matches("model_[a-c]")) {
                String sha = v.asText();
                String name = names == null ? null : names.path(sha).path("name").asText(null);
                models.add(key + ": " + (name != null ? name : "?") + (sha.length() >= 10 ? " [" + sha.substring(0, 10) + "]" : ""));
            } else if (v.isValueNode()) {
                settings.put(key, v.asText());
            }
        }
        return new MergeRecipe(settings, models);
    }

    private static Instant instant(String seconds) {
        if (seconds == null) {
            return null;
        }
        try {
            double s = Double.parseDouble(seconds);
            return Double.isFinite(s) ? Instant.ofEpochSecond((long) Math.floor(s)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void put(Map<String, String> s, String key, String value) {
        if (value != null && !value.isEmpty() && !"None".equals(value)) {
            s.put(key, value);
        }
    }

    private static void appendIf(StringBuilder b, String label, String value) {
        if (value != null && !"None".equals(value)) {
            b.append(label).append(value);
        }
    }
}
