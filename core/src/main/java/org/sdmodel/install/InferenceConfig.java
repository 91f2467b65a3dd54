package org.sdmodel.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * LatentDiffusion inference configs: the v-prediction config sdmodel ships for SD 2.x 768-v
 * models, and the check of a config a user supplies. The web UI reads {@code model.params} of
 * such a YAML; a wrong one makes the model fail to load or render noise.
 */
public final class InferenceConfig {
    private static final String BUNDLED = "v2-inference-v.yaml";

    /** What a config file turned out to be. */
    public enum Kind {
        /** A LatentDiffusion config with {@code parameterization: "v"}. */
        V_PREDICTION,
        /** A LatentDiffusion config without it: eps-prediction (v2-inference.yaml, v1-inference.yaml). */
        EPS_PREDICTION,
        /** Empty or only whitespace. */
        EMPTY,
        /** An HTML page: the web page of the file was saved instead of the raw file. */
        HTML,
        /** Not YAML at all. */
        NOT_YAML,
        /** YAML, but not a LatentDiffusion model config. */
        NOT_LATENT_DIFFUSION
    }

    /** The verdict on a config file, with a one-line explanation for the refusals. */
    public record Check(Kind kind, String detail) {
        /** True for a config the web UI can load. */
        public boolean usable() {
            return kind == Kind.V_PREDICTION || kind == Kind.EPS_PREDICTION;
        }
    }

    private InferenceConfig() {
    }

    /** The bytes of the bundled SD 2.x v-prediction config. */
    public static byte[] bundledV() {
        try (InputStream in = InferenceConfig.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("the bundled " + BUNDLED + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled " + BUNDLED, e);
        }
    }

    /** Parses the bundled config (for tests and for showing it). */
    public static JsonNode parse(byte[] yaml) throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(yaml);
    }

    /** Decides what a config file is. */
    public static Check check(byte[] content) {
        String text = new String(content, 0, Math.min(content.length, 4096), StandardCharsets.UTF_8)
                .stripLeading().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            return new Check(Kind.EMPTY, "is empty");
        }
        if (text.startsWith("<!doctype html") || text.startsWith("<html") || text.startsWith("<?xml")
                || text.startsWith("<head") || (text.startsWith("<") && text.contains("<html"))) {
            return new Check(Kind.HTML, "is an HTML page, not the YAML file (save the raw file, e.g. with the site's 'raw' or 'download' link)");
        }
        JsonNode root;
        try {
            root = parse(content);
        } catch (IOException e) {
            return new Check(Kind.NOT_YAML, "is not valid YAML");
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Check(Kind.EMPTY, "holds no YAML document");
        }
        String target = root.path("model").path("target").asText("");
        if (!target.endsWith("LatentDiffusion") && !target.endsWith("LatentInpaintDiffusion")
                && !target.endsWith("LatentDepth2ImageDiffusion") && !target.endsWith("LatentUpscaleDiffusion")) {
            return new Check(Kind.NOT_LATENT_DIFFUSION, "is YAML but not a LatentDiffusion model config (model.target is '"
                    + (target.isEmpty() ? "missing" : target) + "')");
        }
        String param = root.path("model").path("params").path("parameterization").asText("eps");
        if (param.equals("v")) {
            return new Check(Kind.V_PREDICTION, "a v-prediction LatentDiffusion config");
        }
        return new Check(Kind.EPS_PREDICTION, "an eps-prediction LatentDiffusion config (like v2-inference.yaml)");
    }
}
