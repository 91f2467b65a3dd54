package org.sdmodel.pickle.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.PyBytes;
import org.sdmodel.pickle.PyDict;
import org.sdmodel.pickle.PyTuple;
import org.sdmodel.testing.TestFiles;

/**
 * The object tree sdmodel's pickle machine builds equals the one CPython builds, for the benign
 * pickles of the scan corpus: every protocol 0 to 5 (text and binary numbers, Python 2 names,
 * memo, sets, bytes, surrogates) and frames placed differently. The expectations are CPython's
 * (testdata/scan/make_differential.py, run with /usr/bin/python3), in a canonical text both sides
 * render.
 */
class CPythonDifferentialTest {

    static Stream<Arguments> expectations() throws IOException {
        JsonNode all = new ObjectMapper().readTree(TestFiles.testdata("scan/differential.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(Arguments.of(e.getKey(), e.getValue().asText()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectations")
    void buildsWhatCPythonBuilds(String file, String expected) throws IOException {
        byte[] pickle = Files.readAllBytes(TestFiles.testdata("scan/corpus/" + file));
        Object root = new PickleMachine(PickleInput.of(pickle), PickleHooks.NONE, ReadOptions.defaults(), file).load();
        assertEquals(expected, canon(root));
    }

    /** The canonical text of make_differential.py. */
    static String canon(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Boolean) {
            return (Boolean) o ? "True" : "False";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return o.toString();
        }
        if (o instanceof Double) {
            return "f" + String.format("%016x", Double.doubleToRawLongBits((Double) o));
        }
        if (o instanceof String) {
            StringBuilder b = new StringBuilder("s");
            for (char c : ((String) o).toCharArray()) {
                b.append(String.format("%02x%02x", c & 0xFF, c >> 8));
            }
            return b.toString();
        }
        if (o instanceof PyBytes) {
            StringBuilder b = new StringBuilder(((PyBytes) o).isBytearray() ? "ba" : "b");
            for (byte x : ((PyBytes) o).data()) {
                b.append(String.format("%02x", x & 0xFF));
            }
            return b.toString();
        }
        if (o instanceof PyTuple) {
            return "(" + join((List<?>) o) + ")";
        }
        if (o instanceof List) {
            return "[" + join((List<?>) o) + "]";
        }
        if (o instanceof PyDict) {
            PyDict d = (PyDict) o;
            StringBuilder b = new StringBuilder(d.pythonType().equals("dict") ? "dict{" : "OrderedDict{");
            boolean first = true;
            for (Map.Entry<Object, Object> e : d.entrySet()) {
                b.append(first ? "" : ",").append(canon(e.getKey())).append(':').append(canon(e.getValue()));
                first = false;
            }
            return b.append('}').toString();
        }
        if (o instanceof Set) {
            List<String> items = new ArrayList<>();
            for (Object x : (Set<?>) o) {
                items.add(canon(x));
            }
            items.sort(null);
            return (o.getClass().getName().contains("Unmodifiable") ? "frozenset{" : "set{") + String.join(",", items) + "}";
        }
        throw new AssertionError("not plain data: " + o);
    }

    private static String join(List<?> items) {
        List<String> out = new ArrayList<>();
        for (Object x : items) {
            out.add(canon(x));
        }
        return String.join(",", out);
    }
}
