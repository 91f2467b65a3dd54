package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.StateDict;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * {@code sdmodel convert} on every real file in ../shared/realmodels writes a safetensors file
 * whose tensors are what torch (or the reference safetensors library) reads from the source,
 * tensor for tensor, byte for byte.
 */
class ConvertRealModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Stream<Arguments> torchFiles() throws IOException {
        JsonNode all = JSON.readTree(TestFiles.testdata("expected/realmodels.json").toFile()).get("files");
        List<Arguments> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode tensors = e.getValue().get("tensors");
            if (e.getValue().has("root_tensor")) {
                com.fasterxml.jackson.databind.node.ObjectNode t = e.getValue().get("root_tensor").deepCopy();
                t.put("name", StateDict.LONE_TENSOR_NAME);
                tensors = JSON.createArrayNode().add(t);
            }
            out.add(Arguments.of(e.getKey(), tensors));
        }
        // The safetensors files' expectations list [name, dtype, shape, sha256] (from the reference library).
        JsonNode st = JSON.readTree(TestFiles.testdata("safetensors/realmodels-expected.json").toFile()).get("files");
        for (Iterator<Map.Entry<String, JsonNode>> it = st.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            ArrayNode tensors = JSON.createArrayNode();
            for (JsonNode t : e.getValue().get("tensors")) {
                tensors.addObject().put("name", t.get(0).asText()).put("dtype", t.get(1).asText())
                        .put("sha256", t.get(3).asText()).set("shape", t.get(2));
            }
            out.add(Arguments.of(e.getKey(), tensors));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("torchFiles")
    void convertWritesWhatTheReferenceReads(String file, JsonNode expected) throws Exception {
        Path in = TestFiles.realModels().resolve(file);
        Path out = tmp.resolve("out.safetensors");
        CliRunner r = CliRunner.run("convert", "-q", in.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode, r.toString());
        try (ModelFile written = ModelFile.open(out)) {
            JsonNode sorted = sortedByName(expected);
            Expectations.assertTensors(sorted, sortedByName(written.stateDict().tensors()));
            assertEquals("pt", written.metadata().get("format"));
            assertTrue(written.metadata().containsKey("sdmodel.source"));
        }
    }

    /** safetensors orders tensors by dtype then name; compare by name. */
    private static JsonNode sortedByName(JsonNode list) {
        List<JsonNode> items = new ArrayList<>();
        list.forEach(items::add);
        items.sort((a, b) -> a.get("name").asText().compareTo(b.get("name").asText()));
        ArrayNode out = JSON.createArrayNode();
        items.forEach(out::add);
        return out;
    }

    private static Map<String, org.sdmodel.Tensor> sortedByName(Map<String, org.sdmodel.Tensor> m) {
        return new java.util.TreeMap<>(m);
    }
}
