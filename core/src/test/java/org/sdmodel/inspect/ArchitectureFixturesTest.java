package org.sdmodel.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.testing.JsonCases;
import org.sdmodel.testing.TestFiles;

/**
 * Every fixture of testdata/arch is what make_arch_fixtures.py built it to be (expected.json): the
 * architecture, the keys that decide it, the components with torch's counts, what is missing or
 * broken, the prediction type; and the real LoRA files in ../shared/realmodels are recognised.
 */
class ArchitectureFixturesTest {
    private static JsonNode expected() throws IOException {
        return JsonCases.read(TestFiles.testdata("arch/expected.json"));
    }

    static Stream<Arguments> fixtures() throws IOException {
        return JsonCases.fields(expected().get("fixtures"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureIsWhatItWasBuiltToBe(String name, JsonNode e) throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.testdata("arch/" + name))) {
            ModelInspection i = Inspector.inspect(model);
            assertEquals(e.get("architecture").asText(), i.architecture().architecture().label(), i.architecture().reason());
            assertEquals(strings(e.get("deciding_keys")), i.architecture().decidingKeys());
            assertStats(e.get("state_dict"), i.stateDict(), "state dict");
            assertStats(e.get("other_tensors"), i.otherTensors(), "other tensors");
            List<String> names = new ArrayList<>();
            e.get("components").fieldNames().forEachRemaining(names::add);
            assertEquals(names, new ArrayList<>(i.components().keySet()), "components");
            for (String c : names) {
                assertStats(e.get("components").get(c), i.components().get(c).stats(), c);
            }
            assertEquals(strings(e.get("missing_components")), i.missingComponents());
            List<String> problemKeys = strings(e.get("problem_keys"));
            assertEquals(problemKeys.size(), i.problems().size(), i.problems().toString());
            for (int k = 0; k < problemKeys.size(); k++) {
                assertTrue(i.problems().get(k).startsWith(problemKeys.get(k) + ": "), i.problems().get(k));
            }
            assertEquals(e.get("prediction").asText(), i.prediction().type().label(), i.prediction().basis());
            assertFalse(i.ema().present());
            assertFalse(i.hasOptimizer());
            assertNull(i.knownModel());
        }
    }

    private static void assertStats(JsonNode e, TensorStats actual, String what) {
        assertEquals(e.get("tensors").asInt(), actual.tensors(), what + " tensors");
        assertEquals(e.get("parameters").asLong(), actual.parameters(), what + " parameters");
        assertEquals(e.get("bytes").asLong(), actual.bytes(), what + " bytes");
    }

    @Test
    void brokenPositionIdsSayWhatIsWrong() throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.testdata("arch/sd1-merge-broken.safetensors"))) {
            String problem = Inspector.inspect(model).problems().get(0);
            // make_arch_fixtures.py put 75.99999 (as float32) at position 76.
            assertTrue(problem.contains("position 76 holds 75.99"), problem);
            assertTrue(problem.contains("truncates to 75"), problem);
            assertTrue(problem.contains("F32, not int64"), problem);
        }
    }

    @Test
    void mergeRecipeNamesTheMergedModels() throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.testdata("arch/sd1-merge-broken.safetensors"))) {
            MetadataSummary.MergeRecipe merge = Inspector.inspect(model).metadata().merge();
            assertNotNull(merge);
            assertEquals(List.of("primary_model_hash: v1-5-pruned-emaonly.ckpt [cc6cb27103]",
                    "secondary_model_hash: v1-5-pruned.ckpt [e1441589a6]"), merge.models());
            assertEquals("Weighted sum", merge.settings().get("interp_method"));
            assertEquals("0.3", merge.settings().get("multiplier"));
        }
    }

    @Test
    void kohyaMetadataIsSummarised() throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.testdata("arch/lora-kohya.safetensors"))) {
            Map<String, String> s = Inspector.inspect(model).metadata().training();
            assertEquals("networks.lora dim 2 alpha 1.0", s.get("network"));
            assertEquals("2 of 10", s.get("epochs"));
            assertEquals("5_fixture cat (4 images x5)", s.get("datasets"));
            // ss_training_started_at 1700000000.5 -> 1700003723.9: 1:02:03
            assertEquals("2023-11-14T22:13:20Z", s.get("trained_at"));
            assertEquals("1:02:03", s.get("training_time"));
            assertEquals("3 tags; most frequent: cat (4), sitting (2), outdoors (1)", s.get("tags"));
            assertFalse(s.containsKey("base_model_version"), "ss_v2 False says nothing");
        }
    }

    @Test
    void trainingCheckpointsShowTheirBaggage() throws Exception {
        JsonNode facts = expected().get("training_fixtures");
        for (Iterator<Map.Entry<String, JsonNode>> it = facts.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode e = f.getValue();
            try (ModelFile model = ModelFile.open(TestFiles.testdata(f.getKey()))) {
                ModelInspection i = Inspector.inspect(model);
                assertEquals(e.get("architecture").asText(), i.architecture().architecture().label(), f.getKey());
                assertEquals(e.get("prediction").asText(), i.prediction().type().label(), i.prediction().basis());
                assertEquals(e.get("ema_copies").asInt(), i.ema().copies(), f.getKey());
                assertEquals(e.get("unet_weights").asInt(), i.ema().unetWeights(), f.getKey());
                assertEquals(e.get("unet_covered").asInt(), i.ema().unetCovered(), f.getKey());
                assertEquals(e.get("unet_weights").asInt() == e.get("unet_covered").asInt(), i.ema().coversUnet());
                assertEquals(e.get("has_optimizer").asBoolean(), i.hasOptimizer(), f.getKey());
                PruneEstimate prune = i.prune();
                // prune's default 'use' needs every model.* weight covered; otherwise prune refuses, and
                // inspect says so with prune's reason (one decision: PrunePlan with prune's defaults)
                if (!i.ema().coversUnet()) {
                    assertNull(prune, f.getKey());
                    assertTrue(i.pruneUnavailable().startsWith("EMA copies cover " + i.ema().unetCovered() + " of "),
                            i.pruneUnavailable());
                    continue;
                }
                assertNotNull(prune, i.pruneUnavailable());
                assertEquals(EmaPolicy.USE, prune.ema());
                assertTrue(prune.outputBytes().get(Precision.FP16) < prune.outputBytes().get(Precision.FP32));
                assertTrue(prune.savedBytes(Precision.KEEP) > 0, "a training checkpoint shrinks");
                assertTrue(prune.droppedTensorBytes() >= i.ema().bytes());
                // Both keep tensors outside the state dict (sd1-train in optimizer states and callbacks,
                // sd2-v-train a kth_value in its callbacks).
                assertTrue(prune.topLevelTensorBytes() > 0);
            }
        }
    }

    static Stream<Arguments> realLoras() throws IOException {
        return JsonCases.fields(JsonCases.read(TestFiles.testdata("arch/realmodels-expected.json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realLoras")
    void realLorasAreRecognised(String name, JsonNode e) throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.realModels().resolve(name))) {
            ModelInspection i = Inspector.inspect(model);
            assertEquals(e.get("architecture").asText(), i.architecture().architecture().label());
            assertEquals(strings(e.get("deciding_keys")), i.architecture().decidingKeys());
            for (Iterator<Map.Entry<String, JsonNode>> it = e.get("component_tensors").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> c = it.next();
                assertEquals(c.getValue().asInt(), i.components().get(c.getKey()).stats().tensors(), c.getKey());
            }
            assertEquals(e.get("other_tensors").asInt(), i.otherTensors().tensors());
            if (e.has("network_module")) {
                Map<String, String> s = i.metadata().training();
                assertTrue(s.get("network").startsWith(e.get("network_module").asText() + " dim "), s.get("network"));
                assertTrue(s.get("tags").startsWith(e.get("tag_count").asInt() + " tags; most frequent: "
                        + e.get("top_tag").asText() + " ("), s.get("tags"));
                assertTrue(i.architecture().reason().contains("LoKr"), i.architecture().reason());
            }
        }
    }

    @Test
    void aKnownSha256NamesTheReleaseAndItsPrediction() throws Exception {
        try (ModelFile model = ModelFile.open(TestFiles.testdata("arch/sd2.safetensors"))) {
            ModelInspection i = Inspector.inspect(model, "BFCAF0755797B0C30EB00A3787E8B423EB1F5DECD8DE76C4D824AC2DD27E139F");
            assertEquals("768-v-ema.ckpt", i.knownModel().fileName());
            assertEquals(PredictionType.V, i.prediction().type());
            assertEquals(768, i.knownModel().resolution());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
