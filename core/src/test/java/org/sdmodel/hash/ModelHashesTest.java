package org.sdmodel.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.JsonCases;
import org.sdmodel.testing.TestFiles;

/**
 * Hashes match what Python's hashlib computes the web UI's way (testdata/arch/hashes-expected.json,
 * written by make_arch_fixtures.py): for every real file in ../shared/realmodels, every fixture of
 * testdata/arch, and pattern files around the autov1 window and the read chunks, read with the
 * default chunk size and with small odd ones.
 */
class ModelHashesTest {
    @TempDir
    Path tmp;

    private static Stream<Arguments> section(String name) throws IOException {
        return JsonCases.fields(JsonCases.read(TestFiles.testdata("arch/hashes-expected.json")).get(name));
    }

    static Stream<Arguments> realModels() throws IOException {
        return section("realmodels");
    }

    static Stream<Arguments> fixtures() throws IOException {
        return section("fixtures");
    }

    static Stream<Arguments> patterns() throws IOException {
        return section("patterns");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realModels")
    void realFilesHashAsHashlibHashesThem(String name, JsonNode e) throws Exception {
        check(TestFiles.realModels().resolve(name), e, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixturesHashAsHashlibHashesThem(String name, JsonNode e) throws Exception {
        check(TestFiles.testdata("arch/" + name), e, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("patterns")
    void patternFilesHashTheSameWithAnyChunkSize(String name, JsonNode e) throws Exception {
        String[] kind = name.split("/");
        int size = Integer.parseInt(kind[1]);
        Path file = tmp.resolve("pattern");
        try (OutputStream out = Files.newOutputStream(file)) {
            if (kind[0].equals("safetensors")) {
                out.write(safetensorsHead(size));
            }
            out.write(pattern(size));
        }
        for (int chunk : new int[] {0, 1 << 20, 65_537, 4_099}) {
            check(file, e, chunk);
        }
    }

    /** What make_arch_fixtures.py writes before the pattern of a safetensors-shaped pattern file. */
    private static byte[] safetensorsHead(int size) {
        String json = "{\"p\":{\"dtype\":\"U8\",\"shape\":[" + size + "],\"data_offsets\":[0," + size + "]}}";
        StringBuilder padded = new StringBuilder(json);
        while (padded.length() % 8 != 0) {
            padded.append(' ');
        }
        byte[] header = padded.toString().getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header).array();
    }

    /** Byte i is (i * 31 + (i >> 11)) mod 256, as make_arch_fixtures.py defines it. */
    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31L + (i >> 11));
        }
        return b;
    }

    private static void check(Path file, JsonNode e, int chunk) throws IOException {
        AtomicLong progress = new AtomicLong();
        ModelHashes h = chunk == 0 ? ModelHashes.compute(file, progress::addAndGet)
                : ModelHashes.compute(file, progress::addAndGet, chunk);
        String where = file.getFileName() + " chunk " + chunk;
        assertEquals(e.get("sha256").asText(), h.sha256(), where);
        assertEquals(e.get("autov1").asText(), h.autov1(), where);
        assertEquals(e.get("autov2").asText(), h.autov2(), where);
        assertEquals(e.get("autov3").isNull() ? null : e.get("autov3").asText(), h.autov3(), where);
        assertEquals(e.get("size").asLong(), h.size(), where);
        assertEquals(e.get("size").asLong(), progress.get(), "progress adds up to the file's size");
        assertEquals(e.get("autov1").asText(), ModelHashes.autov1(file), where + " (autov1 alone)");
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> ModelHashes.compute(tmp.resolve("absent.ckpt"), n -> { }));
    }

    @Test
    void aHeaderLengthPastTheEndIsNotSafetensors() throws Exception {
        Path file = tmp.resolve("fake.safetensors");
        byte[] b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put((byte) '{').array();
        Files.write(file, b);
        assertEquals(null, ModelHashes.compute(file, n -> { }).autov3());
    }
}
