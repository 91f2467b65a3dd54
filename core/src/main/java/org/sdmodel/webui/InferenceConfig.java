package org.sdmodel.webui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * LatentDiffusion inference configs: the two SD 2.x configs sdmodel ships (Stability AI's
 * {@code v2-inference-v.yaml} for the 768-v models and {@code v2-inference.yaml} for the eps ones,
 * MIT-licensed, see {@code LICENSE-stablediffusion-configs.txt} beside them), and the check of a
 * config a user supplies. The web UI reads {@code model.params} of such a YAML; a wrong one makes
 * the model fail to load or render noise.
 */
public final class InferenceConfig {
    /** The v-prediction config's name (768-v-ema.ckpt, v2-1_768-ema-pruned.ckpt). */
    public static final String V_NAME = "v2-inference-v.yaml";
    /** The eps-prediction config's name (512-base-ema.ckpt, v2-1_512-ema-pruned.ckpt). */
    public static final String EPS_NAME = "v2-inference.yaml";

    /**
     * A config's bytes and what they are, for messages ({@code "sdmodel's copy of v2-inference.yaml"}).
     *
     * @param label where the config comes from, for messages
     * @param content its bytes
     */
    public record Source(String label, byte[] content) {
    }

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

    /**
     * The verdict on a config file, with a one-line explanation for the refusals.
     *
     * @param kind what the file is
     * @param detail why, one line (for a refusal)
     */
    public record Check(Kind kind, String detail) {
        /** {@return true for a config the web UI can load} */
        public boolean usable() {
            return kind == Kind.V_PREDICTION || kind == Kind.EPS_PREDICTION;
        }
    }

    private InferenceConfig() {
    }

    /** {@return the bytes of the bundled SD 2.x v-prediction config} */
    public static byte[] bundledV() {
        return bundled(V_NAME);
    }

    /** {@return the bytes of the bundled SD 2.x eps-prediction config} */
    public static byte[] bundledEps() {
        return bundled(EPS_NAME);
    }

    private static byte[] bundled(String name) {
        try (InputStream in = InferenceConfig.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the bundled " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled " + name, e);
        }
    }

    /**
     * The config {@code --config} names: the file, or, when no such file exists and the name is
     * {@value #EPS_NAME} or {@value #V_NAME} alone, sdmodel's copy of that Stability AI config.
     *
     * @param given a path, or the bare name of a config sdmodel ships
     * @return the config's name and bytes
     * @throws NoSuchFileException when neither exists
     */
    public static Source load(Path given) throws IOException {
        if (Files.exists(given)) {
            return new Source(given.toString(), Files.readAllBytes(given));
        }
        String name = given.getFileName() == null ? "" : given.getFileName().toString();
        if (given.getNameCount() == 1 && (name.equals(EPS_NAME) || name.equals(V_NAME))) {
            return new Source("sdmodel's copy of Stability AI's " + name, bundled(name));
        }
        throw new NoSuchFileException(given.toString(), null, "no such file (sdmodel ships " + EPS_NAME + " and " + V_NAME
                + ": give one of those names alone to use its copy)");
    }

    /** Parses the bundled config (for tests and for showing it). */
    static JsonNode parse(byte[] yaml) throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(yaml);
    }

    /**
     * Decides what a config file is.
     *
     * @param content a config file's bytes
     * @return what it is (v-prediction, eps-prediction, not a config...) and why
     */
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
