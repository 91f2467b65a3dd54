package org.sdmodel.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.StateDict;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * Every torch fixture in testdata/ and every torch file in ../shared/realmodels reads as torch 1.13
 * read it (testdata/expected, written by make_fixtures.py and make_realmodel_expectations.py): the
 * same state dict location, top-level keys, tensor names, dtypes, shapes and bytes.
 */
class TorchReaderExpectationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> fixtures() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(TestFiles.testdata("expected"))) {
            for (Path p : (Iterable<Path>) files.sorted()::iterator) {
                String name = p.getFileName().toString();
                // not one file's expectations: the real models', and prune's at fp8 (PruneExpectationsTest)
                if (!name.equals("realmodels.json") && !name.equals("fp8-prune.json")) {
                    JsonNode e = JSON.readTree(p.toFile());
                    out.add(Arguments.of(e.get("fixture").asText(), e));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureReadsAsTorchReadIt(String fixture, JsonNode expected) throws Exception {
        checkStateDict(TestFiles.testdata(fixture), expected);
    }

    static Stream<Arguments> realModels() throws IOException {
        JsonNode all = JSON.readTree(TestFiles.testdata("expected/realmodels.json").toFile()).get("files");
        List<Arguments> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(Arguments.of(e.getKey(), e.getValue()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realModels")
    void realFileReadsAsTorchReadIt(String file, JsonNode expected) throws Exception {
        Path path = TestFiles.realModels().resolve(file);
        if (expected.has("root_tensor")) {
            try (ModelFile m = ModelFile.open(path)) {
                JsonNode t = expected.get("root_tensor");
                com.fasterxml.jackson.databind.node.ObjectNode named = t.deepCopy();
                named.put("name", StateDict.LONE_TENSOR_NAME);
                Expectations.assertTensors(JSON.createArrayNode().add(named), m.stateDict().tensors());
            }
            return;
        }
        checkStateDict(path, expected);
    }

    private static void checkStateDict(Path path, JsonNode expected) throws IOException {
        try (ModelFile m = ModelFile.open(path)) {
            StateDict sd = m.stateDict();
            assertEquals(expected.get("state_dict_location").asText(), sd.location(), "state dict location");
            List<String> keys = new ArrayList<>();
            for (Object k : sd.otherTopLevelEntries().keySet()) {
                keys.add(String.valueOf(k));
            }
            List<String> expectedKeys = new ArrayList<>();
            expected.get("top_level_keys").forEach(k -> expectedKeys.add(k.asText()));
            assertEquals(expectedKeys, keys, "top-level keys");
            List<String> skipped = new ArrayList<>();
            expected.get("skipped").forEach(k -> skipped.add(k.asText()));
            assertEquals(skipped, new ArrayList<>(sd.skipped().keySet()), "non-tensor values");
            Expectations.assertTensors(expected.get("tensors"), sd.tensors());
        }
    }
}
