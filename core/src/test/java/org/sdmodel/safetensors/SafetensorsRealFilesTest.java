package org.sdmodel.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ReadOptions;
import org.sdmodel.Tensor;

/**
 * The real safetensors files other projects wrote, against what the reference library reports for
 * them ({@code testdata/safetensors/expect_safetensors.py} wrote {@code realmodels-expected.json}).
 */
class SafetensorsRealFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static Stream<String> files() throws IOException {
        List<String> names = new ArrayList<>();
        expected().get("files").fieldNames().forEachRemaining(names::add);
        return names.stream();
    }

    private static JsonNode expected;

    private static synchronized JsonNode expected() throws IOException {
        if (expected == null) {
            expected = JSON.readTree(TestFiles.testdata().resolve("realmodels-expected.json").toFile());
        }
        return expected;
    }

    private static JsonNode expected(String file) throws IOException {
        return expected().get("files").get(file);
    }

    @ParameterizedTest
    @MethodSource("files")
    void readsWhatTheReferenceReads(String name) throws IOException {
        Path path = TestFiles.realModels().resolve(name);
        JsonNode expected = expected(name);
        try (SafetensorsFile f = (SafetensorsFile) SafetensorsFile.open(path, ReadOptions.defaults())) {
            assertEquals(expected.get("size").asLong(), f.size());
            Map<String, Tensor> root = f.root();
            List<String> order = new ArrayList<>();
            for (JsonNode t : expected.get("tensors")) {
                String tensorName = t.get(0).asText();
                order.add(tensorName);
                Tensor tensor = root.get(tensorName);
                assertEquals(t.get(1).asText(), tensor.dtype().safetensorsName(), tensorName);
                assertArrayEquals(longs(t.get(2)), tensor.shape(), tensorName);
                assertEquals(t.get(3).asText(), TestFiles.sha256(TestFiles.bytesOf(tensor)), tensorName);
            }
            // The reference's offset order is the file order.
            assertEquals(order, List.copyOf(root.keySet()));
            assertEquals(order, List.copyOf(f.stateDict().tensors().keySet()));

            Map<String, String> metadata = new HashMap<>();
            expected.get("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            assertEquals(metadata, f.metadata());
            List<String> metadataOrder = new ArrayList<>();
            expected.get("metadata_order").forEach(k -> metadataOrder.add(k.asText()));
            assertEquals(metadataOrder, List.copyOf(f.metadata().keySet()));
            assertTrue(f.hasMetadata());
        }
    }

    /**
     * Rewriting a real file gives what the reference writer gives for the same tensors and
     * metadata: the same header length, the same header after the metadata (the reference writes
     * metadata in random hash order, so only its length can be compared), the same data.
     */
    @ParameterizedTest
    @MethodSource("files")
    void rewritesAsTheReferenceWrites(String name) throws IOException {
        JsonNode rewrite = expected(name).get("rewrite");
        Path out = dir.resolve(name);
        try (SafetensorsFile f = (SafetensorsFile) SafetensorsFile.open(TestFiles.realModels().resolve(name),
                ReadOptions.defaults())) {
            SafetensorsWriter.write(out, f.root(), f.metadata());
        }
        byte[] written = Files.readAllBytes(out);
        long headerLength = java.nio.ByteBuffer.wrap(written).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(rewrite.get("header_length").asLong(), headerLength);
        int afterMetadata = 8 + "{\"__metadata__\":".length() + rewrite.get("metadata_json_length").asInt();
        assertEquals(rewrite.get("header_after_metadata_sha256").asText(),
                TestFiles.sha256(Arrays.copyOfRange(written, afterMetadata, 8 + (int) headerLength)));
        assertEquals(rewrite.get("data_sha256").asText(),
                TestFiles.sha256(Arrays.copyOfRange(written, 8 + (int) headerLength, written.length)));
        // The metadata object itself: the same entries, in the order the source file had them.
        try (SafetensorsFile f = (SafetensorsFile) SafetensorsFile.open(out, ReadOptions.defaults());
                SafetensorsFile source = (SafetensorsFile) SafetensorsFile.open(TestFiles.realModels().resolve(name),
                        ReadOptions.defaults())) {
            assertEquals(List.copyOf(source.metadata().entrySet()), List.copyOf(f.metadata().entrySet()));
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        Iterator<JsonNode> it = array.elements();
        for (int i = 0; it.hasNext(); i++) {
            out[i] = it.next().asLong();
        }
        return out;
    }
}
