package org.sdmodel.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Parameterized-test cases from expectation files: one case per field of a JSON object. */
public final class JsonCases {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonCases() {
    }

    /** Reads a JSON file. */
    public static JsonNode read(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** One {@code (name, value)} case per field of {@code object}, in file order. */
    public static Stream<Arguments> fields(JsonNode object) {
        List<Arguments> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(Arguments.of(e.getKey(), e.getValue()));
        }
        return out.stream();
    }
}
