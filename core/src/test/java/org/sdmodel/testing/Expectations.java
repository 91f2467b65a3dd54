package org.sdmodel.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.sdmodel.Tensor;

/** Compares tensors with the lists of {name, dtype, shape, sha256} that torch wrote into testdata/expected. */
public final class Expectations {
    private Expectations() {
    }

    /** sha256 of a tensor's contiguous little-endian bytes, streamed. */
    public static String sha256(Tensor t) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long pos = 0;
        long size = t.byteSize();
        while (pos < size) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), size - pos));
            t.readFully(pos, buf);
            buf.flip();
            pos += buf.remaining();
            md.update(buf);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** One line per tensor: name dtype [shape] sha256. */
    public static List<String> describe(Map<String, ? extends Tensor> tensors) throws IOException {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ? extends Tensor> e : tensors.entrySet()) {
            out.add(line(e.getKey(), e.getValue().dtype().name(), e.getValue().shape(), sha256(e.getValue())));
        }
        return out;
    }

    /** The same lines from an expectation list. */
    public static List<String> describe(JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : list) {
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong();
            }
            out.add(line(t.get("name").asText(), t.get("dtype").asText(), shape, t.get("sha256").asText()));
        }
        return out;
    }

    /** Asserts that the tensors are exactly the expected ones, in order. */
    public static void assertTensors(JsonNode expected, Map<String, ? extends Tensor> actual) throws IOException {
        assertEquals(String.join("\n", describe(expected)), String.join("\n", describe(actual)));
    }

    private static String line(String name, String dtype, long[] shape, String sha) {
        return name + " " + dtype + " " + java.util.Arrays.toString(shape) + " " + sha;
    }
}
