package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bundled v-prediction config states the SD 2.x 768-v facts, key by key; the checks name what a bad file is. */
class InferenceConfigTest {

    @Test
    void bundledConfigHoldsTheSd2VFacts() throws Exception {
        JsonNode root = InferenceConfig.parse(InferenceConfig.bundledV());
        JsonNode params = root.path("model").path("params");
        assertEquals("ldm.models.diffusion.ddpm.LatentDiffusion", root.path("model").path("target").asText());
        assertEquals("v", params.path("parameterization").asText());
        JsonNode unet = params.path("unet_config");
        assertEquals("ldm.modules.diffusionmodules.openaimodel.UNetModel", unet.path("target").asText());
        assertEquals(320, unet.path("params").path("model_channels").asInt());
        assertEquals(64, unet.path("params").path("num_head_channels").asInt());
        assertEquals(1024, unet.path("params").path("context_dim").asInt());
        assertTrue(unet.path("params").path("use_linear_in_transformer").asBoolean());
        assertEquals(4, unet.path("params").path("in_channels").asInt());
        JsonNode vae = params.path("first_stage_config");
        assertEquals("ldm.models.autoencoder.AutoencoderKL", vae.path("target").asText());
        assertEquals(4, vae.path("params").path("embed_dim").asInt());
        JsonNode text = params.path("cond_stage_config");
        assertEquals("ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder", text.path("target").asText());
        assertEquals("penultimate", text.path("params").path("layer").asText());
        assertEquals(InferenceConfig.Kind.V_PREDICTION, InferenceConfig.check(InferenceConfig.bundledV()).kind());
    }

    @Test
    void epsConfigIsRecognised() {
        String eps = new String(InferenceConfig.bundledV(), StandardCharsets.UTF_8).replace("parameterization: \"v\"", "");
        assertEquals(InferenceConfig.Kind.EPS_PREDICTION, InferenceConfig.check(eps.getBytes(StandardCharsets.UTF_8)).kind());
    }

    @Test
    void savedWebPageIsRecognised() {
        byte[] html = "\n<!DOCTYPE html>\n<html lang=\"en\"><head><title>v2-inference-v.yaml</title>".getBytes(StandardCharsets.UTF_8);
        InferenceConfig.Check c = InferenceConfig.check(html);
        assertEquals(InferenceConfig.Kind.HTML, c.kind());
        assertTrue(c.detail().contains("HTML page"));
    }

    @Test
    void emptyAndNonYamlAndOtherYamlAreRecognised() {
        assertEquals(InferenceConfig.Kind.EMPTY, InferenceConfig.check(new byte[0]).kind());
        assertEquals(InferenceConfig.Kind.EMPTY, InferenceConfig.check(" \n\t".getBytes(StandardCharsets.UTF_8)).kind());
        assertEquals(InferenceConfig.Kind.NOT_YAML, InferenceConfig.check("a: [1, 2\nb: }".getBytes(StandardCharsets.UTF_8)).kind());
        assertEquals(InferenceConfig.Kind.NOT_LATENT_DIFFUSION,
                InferenceConfig.check("model:\n  target: foo.Bar\n".getBytes(StandardCharsets.UTF_8)).kind());
    }
}
