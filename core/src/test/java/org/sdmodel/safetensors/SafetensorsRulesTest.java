package org.sdmodel.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ReadOptions;
import org.sdmodel.Tensor;
import org.sdmodel.safetensors.SafetensorsException.Rule;

/**
 * One test per rule of the format: each builds files that break it and expects that rule. The
 * rules and the cases the reference accepts were checked against the reference library
 * (safetensors 0.8.0, {@code safetensors.deserialize}); where sdmodel is stricter, the test says so.
 */
class SafetensorsRulesTest {
    /** A valid F16[2] entry whose four bytes follow the header. */
    private static final String T = "{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}";
    private static final byte[] FOUR = {1, 2, 3, 4};

    @TempDir
    Path dir;
    private int files;

    private Rule ruleOf(byte[] content) {
        Path p = TestFiles.write(dir, "bad" + files++ + ".safetensors", content);
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsFile.open(p, ReadOptions.defaults()).close());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
        return e.rule();
    }

    private void assertRule(Rule expected, String header, byte[] data) {
        assertEquals(expected, ruleOf(TestFiles.file(header, data)), header);
    }

    private void assertRule(Rule expected, String header) {
        assertRule(expected, header, new byte[0]);
    }

    private SafetensorsFile open(String header, byte[] data) throws IOException {
        Path p = TestFiles.write(dir, "good" + files++ + ".safetensors", TestFiles.file(header, data));
        return (SafetensorsFile) SafetensorsFile.open(p, ReadOptions.defaults());
    }

    @Test
    void headerTooSmall() {
        for (int n = 0; n < 8; n++) {
            assertEquals(Rule.HEADER_TOO_SMALL, ruleOf(new byte[n]), n + " bytes");
        }
    }

    @Test
    void headerTooLarge() {
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        // Checked before the length against the file: nothing of the claimed size is read or allocated.
        assertEquals(Rule.HEADER_TOO_LARGE, ruleOf(TestFiles.file(100_000_001, header, new byte[0])));
        assertEquals(Rule.HEADER_TOO_LARGE, ruleOf(TestFiles.file(-1L, header, new byte[0]))); // 2^64 - 1
        assertEquals(Rule.HEADER_TOO_LARGE, ruleOf(TestFiles.file(Long.MIN_VALUE, header, new byte[0])));
        // The limit is configurable.
        Path p = TestFiles.write(dir, "limit.safetensors", TestFiles.file("{\"a\":" + T + "}", FOUR));
        ReadOptions small = new ReadOptions(false, 1L << 30, 100_000, 10_000_000, 16, null);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p, small).close());
        assertEquals(Rule.HEADER_TOO_LARGE, e.rule());
    }

    @Test
    void invalidHeaderLength() {
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Rule.INVALID_HEADER_LENGTH, ruleOf(TestFiles.file(3, header, new byte[0])));
        assertEquals(Rule.INVALID_HEADER_LENGTH, ruleOf(TestFiles.file(100_000_000, header, new byte[0])));
        assertEquals(Rule.INVALID_HEADER_LENGTH, ruleOf(TestFiles.file(1, new byte[0], new byte[0])));
    }

    @Test
    void invalidUtf8() {
        for (byte[] bad : List.of(
                new byte[] {(byte) 0xFF},                         // never valid
                new byte[] {(byte) 0xC0, (byte) 0xAF},            // overlong '/'
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // encoded surrogate
                new byte[] {(byte) 0xE4, (byte) 0xB8})) {         // truncated character
            byte[] name = concat("{\"a".getBytes(StandardCharsets.US_ASCII), bad,
                    ("\":" + T + "}").getBytes(StandardCharsets.US_ASCII));
            assertEquals(Rule.INVALID_UTF8, ruleOf(TestFiles.file(name.length, name, FOUR)));
        }
        // In the padding too: the reference checks the whole header.
        byte[] padded = concat(("{\"a\":" + T + "}").getBytes(StandardCharsets.US_ASCII), new byte[] {' ', (byte) 0x80});
        assertEquals(Rule.INVALID_UTF8, ruleOf(TestFiles.file(padded.length, padded, FOUR)));
    }

    @Test
    void invalidHeaderStart() {
        // Stricter than the reference 0.8 reader, which skips leading whitespace; the format's
        // specification says the header must begin with '{'.
        assertRule(Rule.INVALID_HEADER_START, " {\"a\":" + T + "}", FOUR);
        assertRule(Rule.INVALID_HEADER_START, "\n{\"a\":" + T + "}", FOUR);
        assertRule(Rule.INVALID_HEADER_START, "");
        assertRule(Rule.INVALID_HEADER_START, "[]");
        assertRule(Rule.INVALID_HEADER_START, "\uFEFF{}");
        assertRule(Rule.INVALID_HEADER_START, "null");
    }

    @Test
    void invalidJson() {
        assertRule(Rule.INVALID_JSON, "{");
        assertRule(Rule.INVALID_JSON, "{\"a\":" + T, FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\":" + T + "} x", FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\":" + T + "}{}", FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\":" + T + "}\u0000", FOUR);
        assertRule(Rule.INVALID_JSON, "{'a':" + T + "}", FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\":" + T + ",}", FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\":{\"dtype\":\"F16\",\"shape\":[02],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.INVALID_JSON, "{\"a\\ud800\":" + T + "}", FOUR);                // unpaired surrogate
        assertRule(Rule.INVALID_JSON, "{\"__metadata__\":{\"k\":\"\\udc00\"}}");       // unpaired surrogate
        assertRule(Rule.INVALID_JSON, "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4],\"x\":"
                + "[".repeat(200) + "]".repeat(200) + "}}", FOUR);                         // serde_json's depth limit
    }

    @Test
    void duplicateKey() {
        // The reference keeps the last tensor or metadata entry; sdmodel refuses the ambiguity.
        assertRule(Rule.DUPLICATE_KEY, "{\"a\":" + T + ",\"a\":" + T + "}", FOUR);
        assertRule(Rule.DUPLICATE_KEY, "{\"__metadata__\":{},\"__metadata__\":{},\"a\":" + T + "}", FOUR);
        assertRule(Rule.DUPLICATE_KEY, "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":" + T + "}", FOUR);
        assertRule(Rule.DUPLICATE_KEY, "{\"a\":{\"dtype\":\"F16\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.DUPLICATE_KEY, "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4],"
                + "\"x\":[{\"y\":1,\"y\":2}]}}", FOUR);
    }

    @Test
    void invalidMetadata() {
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":[]}");
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":\"text\"}");
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":{\"k\":1}}");
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":{\"k\":null}}");
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":{\"k\":{\"nested\":\"x\"}}}");
        assertRule(Rule.INVALID_METADATA, "{\"__metadata__\":{\"k\":[\"x\"]}}");
    }

    @Test
    void invalidTensorEntry() {
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":5}");
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":[]}");
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":null}");
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":{\"shape\":[2],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":{\"dtype\":\"F16\",\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.INVALID_TENSOR_ENTRY, "{\"a\":{\"dtype\":\"F16\",\"shape\":[2]}}", FOUR);
    }

    @Test
    void unknownDtype() {
        for (String dtype : List.of("\"f16\"", "\"F128\"", "\"float16\"", "\"\"", "16", "null", "[\"F16\"]",
                // serde also reads an enum from {"F16":null}; sdmodel wants the string form
                "{\"F16\":null}")) {
            assertRule(Rule.UNKNOWN_DTYPE, "{\"a\":{\"dtype\":" + dtype + ",\"shape\":[2],\"data_offsets\":[0,4]}}", FOUR);
        }
    }

    @Test
    void invalidShape() {
        for (String shape : List.of("[-2]", "[2.0]", "[2e0]", "[\"2\"]", "[[2]]", "2", "null", "{}", "[true]",
                "[9223372036854775808]", "[18446744073709551616]")) {
            assertRule(Rule.INVALID_SHAPE, "{\"a\":{\"dtype\":\"F16\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", FOUR);
        }
        // More than MAX_DIMENSIONS dimensions, each 1: a valid element count, but refused.
        String ones = "1" + ",1".repeat(SafetensorsHeader.MAX_DIMENSIONS);
        assertRule(Rule.INVALID_SHAPE, "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + ones + "],\"data_offsets\":[0,1]}}", new byte[1]);
    }

    @Test
    void invalidOffset() {
        String u8 = "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":";
        for (String offsets : List.of("[0]", "[0,2,2]", "[-1,1]", "[0,2.0]", "\"0,2\"", "null", "[0,9223372036854775808]")) {
            assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + offsets + "}}", new byte[2]);
        }
        assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + "[2,0]}}", new byte[2]);                  // reversed
        assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + "[2,4]}}", new byte[4]);                  // not from 0
        assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + "[0,2]},\"b\":" + u8 + "[3,5]}}", new byte[5]); // gap
        assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + "[0,2]},\"b\":" + u8 + "[1,3]}}", new byte[3]); // overlap
        assertRule(Rule.INVALID_OFFSET, "{\"a\":" + u8 + "[0,2]},\"b\":" + u8 + "[0,2]}}", new byte[2]); // same bytes
    }

    @Test
    void sizeOverflow() {
        assertRule(Rule.SIZE_OVERFLOW, "{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.SIZE_OVERFLOW, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}}", FOUR);
        // Counted in shape order, like the reference: the overflow comes before the 0.
        assertRule(Rule.SIZE_OVERFLOW, "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}");
    }

    @Test
    void misalignedSlice() {
        assertRule(Rule.MISALIGNED_SLICE, "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", new byte[2]);
        assertRule(Rule.MISALIGNED_SLICE, "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
    }

    @Test
    void tensorInvalidInfo() {
        assertRule(Rule.TENSOR_INVALID_INFO, "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,6]}}", new byte[6]);
        assertRule(Rule.TENSOR_INVALID_INFO, "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.TENSOR_INVALID_INFO, "{\"a\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,4]}}", FOUR);
        assertRule(Rule.TENSOR_INVALID_INFO, "{\"a\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,4]}}", FOUR);
    }

    @Test
    void metadataIncompleteBuffer() {
        assertRule(Rule.METADATA_INCOMPLETE_BUFFER, "{\"a\":" + T + "}", new byte[5]);   // trailing byte
        assertRule(Rule.METADATA_INCOMPLETE_BUFFER, "{\"a\":" + T + "}", new byte[3]);   // truncated
        assertRule(Rule.METADATA_INCOMPLETE_BUFFER, "{\"a\":" + T + "}");                // no data at all
        assertRule(Rule.METADATA_INCOMPLETE_BUFFER, "{}", new byte[1]);                  // data without tensors
    }

    @Test
    void acceptsWhatTheReferenceAccepts() throws IOException {
        // Trailing JSON whitespace (the writer pads with spaces); tensors listed out of offset order;
        // unknown fields; a null __metadata__; empty tensors sharing an offset; a scalar.
        String header = "{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6],\"extra\":{\"x\":[1,{}]}},"
                + "\"__metadata__\":null,"
                + "\"z\":{\"data_offsets\":[2,2],\"shape\":[0,5],\"dtype\":\"F32\"},"
                + "\"e\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[2,2]},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}} \t\r\n";
        try (SafetensorsFile f = open(header, new byte[] {1, 2, 3, 4, 5, 6})) {
            Map<String, Tensor> root = f.root();
            assertEquals(List.of("a", "z", "e", "b"), List.copyOf(root.keySet()));
            assertFalse(f.hasMetadata());
            assertEquals(Map.of(), f.metadata());
            assertEquals(DType.BF16, root.get("a").dtype());
            assertArrayEquals(new long[0], root.get("a").shape());
            assertArrayEquals(new byte[] {1, 2}, TestFiles.bytesOf(root.get("a")));
            assertArrayEquals(new byte[] {3, 4, 5, 6}, TestFiles.bytesOf(root.get("b")));
            assertArrayEquals(new long[] {3, 0}, root.get("e").shape());
            assertEquals(0, root.get("z").byteSize());
            assertEquals(ModelFormat.SAFETENSORS, f.format());
            assertEquals(List.of(), f.imports());
            assertEquals(List.copyOf(root.keySet()), List.copyOf(f.stateDict().tensors().keySet()));
        }
        try (SafetensorsFile f = open("{}", new byte[0])) {
            assertTrue(f.root().isEmpty());
        }
        try (SafetensorsFile f = open("{\"__metadata__\":{},\"q\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}}", new byte[2])) {
            assertTrue(f.hasMetadata());
            assertEquals(Map.of(), f.metadata());
            assertEquals(2, f.root().get("q").byteSize());
        }
    }

    @Test
    void formatDetectionOpensSafetensors() throws IOException {
        Path p = TestFiles.write(dir, "model.bin", TestFiles.file("{\"a\":" + T + "}", FOUR));
        try (ModelFile f = ModelFile.open(p)) {
            assertEquals(ModelFormat.SAFETENSORS, f.format());
            assertEquals(java.nio.file.Files.size(p), f.size());
            assertEquals(List.of("a"), List.copyOf(f.stateDict().tensors().keySet()));
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
