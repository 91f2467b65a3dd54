package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.testing.JsonCases;
import org.sdmodel.testing.TestFiles;

/**
 * {@code sdmodel inspect} reports each fixture of testdata/arch as make_arch_fixtures.py built it
 * (expected.json), in JSON with the keys the README documents, and in text.
 */
class InspectCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode expected() throws IOException {
        return JSON.readTree(TestFiles.testdata("arch/expected.json").toFile());
    }

    static Stream<Arguments> fixtures() throws IOException {
        return JsonCases.fields(expected().get("fixtures"));
    }

    private static JsonNode inspectJson(String... args) throws IOException {
        String[] all = new String[args.length + 2];
        all[0] = "inspect";
        all[1] = "--json";
        System.arraycopy(args, 0, all, 2, args.length);
        CliRunner r = CliRunner.run(all);
        assertEquals(0, r.exitCode, r.toString());
        JsonNode reports = JSON.readTree(r.out);
        assertEquals(1, reports.size(), "--json gives an array, also for one file: " + r.out);
        return reports.get(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void jsonNamesTheArchitecture(String name, JsonNode e) throws Exception {
        JsonNode j = inspectJson(TestFiles.testdata("arch/" + name).toString());
        for (String key : List.of("file", "format", "size", "state_dict_location", "tensors", "parameters", "bytes",
                "dtypes", "architecture", "decided_by", "has_ema", "has_optimizer", "components", "metadata",
                "other_entries", "imports", "prediction", "prune", "problems", "missing_components")) {
            assertTrue(j.has(key), key + " in " + j);
        }
        assertEquals(e.get("architecture").asText(), j.get("architecture").asText());
        assertEquals(e.get("deciding_keys"), j.get("decided_by"));
        assertEquals(e.get("state_dict").get("tensors").asInt(), j.get("tensors").asInt());
        assertEquals(e.get("state_dict").get("parameters").asLong(), j.get("parameters").asLong());
        assertEquals(e.get("state_dict").get("bytes").asLong(), j.get("bytes").asLong());
        List<String> components = new ArrayList<>();
        j.get("components").fieldNames().forEachRemaining(components::add);
        List<String> expectedComponents = new ArrayList<>();
        e.get("components").fieldNames().forEachRemaining(expectedComponents::add);
        assertEquals(expectedComponents, components);
        for (String c : components) {
            assertEquals(e.get("components").get(c).get("parameters").asLong(),
                    j.get("components").get(c).get("parameters").asLong(), c);
        }
        assertEquals(e.get("missing_components"), j.get("missing_components"));
        assertEquals(e.get("prediction").asText(), j.get("prediction").asText());
        assertEquals(false, j.get("has_ema").asBoolean());
        assertEquals(false, j.get("has_optimizer").asBoolean());
    }

    @Test
    void aTrainingCheckpointShowsItsBaggage() throws Exception {
        JsonNode j = inspectJson(TestFiles.testdata("sd1-train.ckpt").toString());
        assertTrue(j.get("has_ema").asBoolean());
        assertTrue(j.get("ema").get("covers_unet").asBoolean());
        assertTrue(j.get("has_optimizer").asBoolean());
        assertEquals("use", j.get("prune").get("ema").asText());
        assertTrue(j.get("prune").get("output_bytes").get("fp16").asLong() < j.get("size").asLong());
        assertTrue(j.get("other_entries").has("optimizer_states"));

        CliRunner text = CliRunner.run("inspect", TestFiles.testdata("sd2-v-train.ckpt").toString());
        assertEquals(0, text.exitCode, text.toString());
        assertTrue(text.out.contains("  architecture: sd2 (Stable Diffusion 2.x)"), text.out);
        assertTrue(text.out.contains("  prediction:   v (hyper_parameters.parameterization is 'v')"), text.out);
        assertTrue(text.out.contains("they cover 18 of 19 UNet weights"), text.out);
        assertTrue(text.out.contains("  prune:        refuses this file with its defaults: EMA copies cover 18 of 19"), text.out);
    }

    /** Core gives the parsed values as plain Java objects (no Jackson in its API); the JSON shows them as the text parsed. */
    @ParameterizedTest
    @ValueSource(strings = {"sd1-merge-broken.safetensors", "lora-kohya.safetensors"})
    void metadataJsonIsEachJsonValueParsed(String fixture) throws Exception {
        JsonNode j = inspectJson(TestFiles.testdata("arch/" + fixture).toString());
        ObjectNode expected = JSON.createObjectNode();
        j.get("metadata").fields().forEachRemaining(e -> {
            String text = e.getValue().asText();
            if (text.startsWith("{") || text.startsWith("[")) {
                try {
                    expected.set(e.getKey(), JSON.readTree(text));
                } catch (IOException ex) {
                    throw new IllegalStateException(ex);
                }
            }
        });
        assertTrue(expected.size() >= 2, expected.toString());
        assertEquals(expected, j.get("metadata_json"));
    }

    @Test
    void textShowsProblemsAndTheMergeRecipe() throws Exception {
        CliRunner r = CliRunner.run("inspect", TestFiles.testdata("arch/sd1-merge-broken.safetensors").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  missing:      vae"), r.out);
        assertTrue(r.out.contains("position_ids: position 76 holds 75.99"), r.out);
        assertTrue(r.out.contains("primary_model_hash: v1-5-pruned-emaonly.ckpt [cc6cb27103]"), r.out);
    }

    @Test
    void tensorsAreListedOnRequest() throws Exception {
        JsonNode j = inspectJson("--tensors", TestFiles.testdata("arch/lora-peft.safetensors").toString());
        assertEquals(j.get("tensors").asInt(), j.get("tensor_list").size());
        assertEquals("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight",
                j.get("tensor_list").get(0).get("name").asText());
    }

    @Test
    void hashingNamesTheFile() throws Exception {
        JsonNode e = JSON.readTree(TestFiles.testdata("arch/hashes-expected.json").toFile())
                .get("fixtures").get("sdxl.safetensors");
        JsonNode j = inspectJson("--hash", TestFiles.testdata("arch/sdxl.safetensors").toString());
        for (String k : List.of("sha256", "autov1", "autov2", "autov3")) {
            assertEquals(e.get(k).asText(), j.get("hashes").get(k).asText(), k);
        }
        assertTrue(j.get("known_model").isNull());
    }

    @Test
    void severalFilesGiveAnArrayAndABadOneFailsAlone() throws Exception {
        CliRunner r = CliRunner.run("inspect", "--json", TestFiles.testdata("arch/vae-ft-mse.ckpt").toString(),
                TestFiles.testdata("arch/absent.ckpt").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        JsonNode j = JSON.readTree(r.out);
        assertEquals(1, j.size());
        assertEquals("vae", j.get(0).get("architecture").asText());
        assertTrue(r.err.contains("absent.ckpt: no such file"), r.err);
    }
}
