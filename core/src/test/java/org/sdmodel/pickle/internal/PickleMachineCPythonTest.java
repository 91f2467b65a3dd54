package org.sdmodel.pickle.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.PyBytes;
import org.sdmodel.pickle.PyTuple;
import org.sdmodel.testing.TestFiles;

/**
 * Pickles written by CPython's own pickle module at protocols 0 to 5 (testdata/pickle, made by
 * make_pickles.py) must build the values CPython rendered, rendered the same way here.
 */
class PickleMachineCPythonTest {

    static Stream<Path> pickles() throws IOException {
        return Files.list(TestFiles.testdata("pickle")).filter(p -> p.toString().endsWith(".pkl")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pickles")
    void buildsWhatCPythonPickled(Path file) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(TestFiles.testdata("pickle/expected.json").toFile());
        String name = file.getFileName().toString();
        String value = name.substring(0, name.lastIndexOf("_p"));
        PickleMachine m = new PickleMachine(PickleInput.of(Files.readAllBytes(file)), PickleHooks.NONE,
                ReadOptions.defaults(), name);
        assertEquals(expected.get(value).asText(), render(m.load()));
    }

    /** The rendering of make_pickles.py. */
    static String render(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean) {
            return (Boolean) v ? "True" : "False";
        }
        if (v instanceof Long || v instanceof BigInteger) {
            return v.toString();
        }
        if (v instanceof Double) {
            return "f:" + HexFormat.of().formatHex(ByteBuffer.allocate(8).putDouble((Double) v).array());
        }
        if (v instanceof String) {
            return "s:" + HexFormat.of().formatHex(((String) v).getBytes(StandardCharsets.UTF_8));
        }
        if (v instanceof PyBytes) {
            PyBytes b = (PyBytes) v;
            return (b.isBytearray() ? "ba:" : "b:") + HexFormat.of().formatHex(b.data());
        }
        if (v instanceof PyTuple) {
            return "(" + ((List<?>) v).stream().map(PickleMachineCPythonTest::render).collect(Collectors.joining(",")) + ")";
        }
        if (v instanceof List) {
            return "[" + ((List<?>) v).stream().map(PickleMachineCPythonTest::render).collect(Collectors.joining(",")) + "]";
        }
        if (v instanceof Map) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                parts.add(render(e.getKey()) + ":" + render(e.getValue()));
            }
            return "{" + String.join(",", parts) + "}";
        }
        if (v instanceof Set) {
            boolean frozen = v.getClass().getName().contains("Unmodifiable");
            return (frozen ? "fset{" : "set{") + ((Set<?>) v).stream().map(PickleMachineCPythonTest::render).sorted()
                    .collect(Collectors.joining(",")) + "}";
        }
        throw new AssertionError("unexpected " + v.getClass());
    }
}
