package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * zstd on the command line: compressed inputs prune and convert to what their originals do;
 * {@code .zst} outputs decompress (with the zstd tool) to exactly the uncompressed output; compress
 * and decompress round-trip; broken input is refused in one line with exit 1 and leaves the output
 * folder as it was.
 */
class ZstdCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ZSTD = Path.of("/usr/bin/zstd");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sd1-train.ckpt", "sd1-train-legacy.ckpt"})
    void compressedInputsPruneToWhatTheOriginalsPruneTo(String name) throws Exception {
        Path fromZst = tmp.resolve("a.safetensors");
        Path fromPlain = tmp.resolve("b.safetensors");
        CliRunner z = CliRunner.run("prune", "-q", TestFiles.testdata("zstd/" + name + ".zst").toString(), "-o", fromZst.toString());
        assertEquals(0, z.exitCode, z.toString());
        CliRunner p = CliRunner.run("prune", "-q", TestFiles.testdata(name).toString(), "-o", fromPlain.toString());
        assertEquals(0, p.exitCode, p.toString());
        try (ModelFile a = ModelFile.open(fromZst); ModelFile b = ModelFile.open(fromPlain)) {
            assertEquals(Expectations.describe(b.stateDict().tensors()), Expectations.describe(a.stateDict().tensors()));
            assertEquals(name + ".zst", a.metadata().get("sdmodel.source"));
        }
        assertEquals(List.of("a.safetensors", "b.safetensors"), names(tmp), "no decompressed copy left in the output folder");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "prune, out.safetensors.zst, '', 3",
        "prune, out.safetensors, '--zstd=7', 7",
        "convert, out.safetensors.zst, '--zstd', 3",
    })
    void zstdOutputsAreTheUncompressedOutputCompressed(String command, String outName, String option, int level) throws Exception {
        assumeTrue(Files.isExecutable(ZSTD), "no " + ZSTD);
        Path input = TestFiles.testdata("sd1-train.ckpt");
        Path compressed = tmp.resolve(outName);
        Path plain = tmp.resolve("plain.safetensors");
        String[] args = option.isEmpty() ? new String[] {command, "-q", "--json", input.toString(), "-o", compressed.toString()}
                : new String[] {command, "-q", "--json", option, input.toString(), "-o", compressed.toString()};
        CliRunner z = CliRunner.run(args);
        assertEquals(0, z.exitCode, z.toString());
        CliRunner p = CliRunner.run(command, "-q", input.toString(), "-o", plain.toString());
        assertEquals(0, p.exitCode, p.toString());
        byte[] expected = Files.readAllBytes(plain);
        assertArrayEquals(expected, run(ZSTD.toString(), "-d", "-c", compressed.toString()));
        JsonNode s = JSON.readTree(z.out).get(0);
        assertEquals(expected.length, s.get("uncompressed_bytes").asLong());
        assertEquals(sha256(expected), s.get("uncompressed_sha256").asText());
        assertEquals(Files.size(compressed), s.get("compressed_bytes").asLong());
        assertEquals(Files.size(compressed), s.get("output_bytes").asLong());
        assertEquals(level, s.get("zstd_level").asInt());
        try (ModelFile back = ModelFile.open(compressed)) { // and sdmodel reads its own output
            assertEquals(ModelFormat.SAFETENSORS, back.format());
        }
        assertEquals(List.of(outName, "plain.safetensors"), names(tmp), "nothing else left in the output folder");
    }

    @Test
    void zstdWithoutALevelLeavesTheNextArgumentToTheInputs() throws Exception {
        Path input = Files.copy(TestFiles.testdata("sd1-train.ckpt"), tmp.resolve("m.ckpt"));
        CliRunner r = CliRunner.run("prune", "-q", "--zstd", input.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(tmp.resolve("m-ema-pruned.safetensors.zst")), names(tmp).toString());
        CliRunner c = CliRunner.run("convert", "-q", input.toString(), "--zstd");
        assertEquals(0, c.exitCode, c.toString());
        assertTrue(Files.exists(tmp.resolve("m.safetensors.zst")), names(tmp).toString());
        CliRunner bad = CliRunner.run("prune", "--zstd", "20", input.toString());
        assertEquals(ExitCode.USAGE, bad.exitCode, bad.toString());
        CliRunner notANumber = CliRunner.run("prune", "--zstd=x", input.toString());
        assertEquals(ExitCode.USAGE, notANumber.exitCode, notANumber.toString());
        assertTrue(notANumber.err.contains("--zstd: expected a number, not 'x'"), notANumber.err);
        CliRunner longWindow = CliRunner.run("compress", "-q", "--json", "--long", input.toString(), "-o",
                tmp.resolve("long.zst").toString());
        assertEquals(0, longWindow.exitCode, longWindow.toString());
        assertEquals(27, JSON.readTree(longWindow.out).get(0).get("long_window_log").asInt());
    }

    /** Broken .zst inputs: truncated at several points, a flipped byte, only a magic number. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "prune, cut:100", "prune, cut:-1", "prune, flip", "prune, magic",
        "convert, cut:20000", "convert, flip",
        "decompress, cut:6", "decompress, cut:20000", "decompress, flip", "decompress, magic",
    })
    void brokenZstdInputIsRefusedInOneLineAndWritesNothing(String command, String damage) throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        if (damage.startsWith("cut:")) {
            int n = Integer.parseInt(damage.substring(4));
            bytes = Arrays.copyOf(bytes, n < 0 ? bytes.length + n : n);
        } else if (damage.equals("flip")) {
            bytes[bytes.length / 2] ^= 0x20;
        } else {
            bytes = Arrays.copyOf(bytes, 4);
        }
        Path in = Files.write(tmp.resolve("broken.ckpt.zst"), bytes);
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        CliRunner r = CliRunner.run(command, "-q", in.toString(), "-o", outDir.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("sdmodel: " + in + ": the zstd data "), r.err);
        assertEquals(List.of(), names(outDir), "nothing written, no temporary file left");
    }

    @Test
    void aHugeDeclaredSizeIsRefusedForLackOfSpaceBeforeAnythingIsWritten() throws Exception {
        // a frame header claiming 2^62 bytes, and nothing else
        Path hostile = Files.write(tmp.resolve("huge.ckpt.zst"), HexFormat.of().parseHex("28b52ffde00000000000000040"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        for (String command : List.of("prune", "convert", "decompress")) {
            CliRunner r = CliRunner.run(command, "-q", hostile.toString(), "-o", outDir.toString());
            assertEquals(ExitCode.OUTPUT_FAILED, r.exitCode, r.toString());
            assertEquals(1, r.err.lines().count(), r.err);
            assertTrue(r.err.contains("not enough free space in " + outDir), r.err);
            assertEquals(List.of(), names(outDir));
        }
    }

    @Test
    void aMissingOutputFolderIsSaidBeforeDecompressing() throws Exception {
        Path missing = tmp.resolve("no-such-folder").resolve("x.safetensors");
        CliRunner r = CliRunner.run("prune", "-q", TestFiles.testdata("zstd/sd1-train.ckpt.zst").toString(), "-o", missing.toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("the output folder " + missing.getParent() + " does not exist"), r.err);
    }

    @Test
    void compressAndDecompressRoundTrip() throws Exception {
        Path input = Files.copy(TestFiles.testdata("sd1-train.ckpt"), tmp.resolve("m.ckpt"));
        byte[] original = Files.readAllBytes(input);
        CliRunner c = CliRunner.run("compress", "-q", "--json", "--level", "5", input.toString());
        assertEquals(0, c.exitCode, c.toString());
        Path zst = tmp.resolve("m.ckpt.zst");
        JsonNode cs = JSON.readTree(c.out).get(0);
        assertEquals(original.length, cs.get("uncompressed_bytes").asLong());
        assertEquals(sha256(original), cs.get("uncompressed_sha256").asText());
        assertEquals(Files.size(zst), cs.get("compressed_bytes").asLong());
        assertEquals(5, cs.get("level").asInt());
        assertTrue(cs.get("verified").asBoolean());
        if (Files.isExecutable(ZSTD)) {
            assertArrayEquals(original, run(ZSTD.toString(), "-d", "-c", zst.toString()));
        }

        Path back = tmp.resolve("back.ckpt");
        CliRunner d = CliRunner.run("decompress", "-q", "--json", zst.toString(), "-o", back.toString());
        assertEquals(0, d.exitCode, d.toString());
        assertArrayEquals(original, Files.readAllBytes(back));
        JsonNode ds = JSON.readTree(d.out).get(0);
        assertTrue(ds.get("checksum_verified").asBoolean());
        assertEquals(sha256(original), ds.get("uncompressed_sha256").asText());

        Files.delete(input);
        CliRunner d2 = CliRunner.run("decompress", "-q", zst.toString()); // default name: without .zst
        assertEquals(0, d2.exitCode, d2.toString());
        assertArrayEquals(original, Files.readAllBytes(input));
        assertEquals(List.of("back.ckpt", "m.ckpt", "m.ckpt.zst"), names(tmp));
    }

    @Test
    void textSummariesSayWhatWasVerified() throws Exception {
        Path input = Files.copy(TestFiles.testdata("sd1-train.ckpt"), tmp.resolve("m.ckpt"));
        CliRunner c = CliRunner.run("compress", "-q", input.toString());
        assertEquals(0, c.exitCode, c.toString());
        assertTrue(c.out.contains("round trip verified"), c.out);
        CliRunner d = CliRunner.run("decompress", "-q", TestFiles.testdata("zstd/sd1-train-legacy.ckpt.zst").toString(),
                "-o", tmp.resolve("l.ckpt").toString());
        assertEquals(0, d.exitCode, d.toString());
        assertTrue(d.out.contains("the file has no zstd checksum"), d.out);
        assertArrayEquals(Files.readAllBytes(TestFiles.testdata("sd1-train-legacy.ckpt")), Files.readAllBytes(tmp.resolve("l.ckpt")));
    }

    @Test
    void existingOutputsNeedForce() throws Exception {
        Path input = Files.copy(TestFiles.testdata("sd1-train.ckpt"), tmp.resolve("m.ckpt"));
        Path zst = Files.write(tmp.resolve("m.ckpt.zst"), new byte[] {1, 2, 3});
        CliRunner c = CliRunner.run("compress", "-q", input.toString());
        assertEquals(ExitCode.USAGE, c.exitCode, c.toString());
        assertTrue(c.err.contains("already exists (use --force to replace it)"), c.err);
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(zst));
        CliRunner forced = CliRunner.run("compress", "-q", "--force", input.toString());
        assertEquals(0, forced.exitCode, forced.toString());

        CliRunner d = CliRunner.run("decompress", "-q", zst.toString());
        assertEquals(ExitCode.USAGE, d.exitCode, d.toString());
        assertTrue(d.err.contains("m.ckpt: already exists"), d.err);
        CliRunner dForced = CliRunner.run("decompress", "-q", "--force", zst.toString());
        assertEquals(0, dForced.exitCode, dForced.toString());
        assertEquals(List.of("m.ckpt", "m.ckpt.zst"), names(tmp));
    }

    @Test
    void refusals() throws Exception {
        Path zst = TestFiles.testdata("zstd/sd1-train.ckpt.zst");
        CliRunner again = CliRunner.run("compress", "-q", zst.toString(), "-o", tmp.resolve("x.zst").toString());
        assertEquals(ExitCode.INVALID_INPUT, again.exitCode, again.toString());
        assertTrue(again.err.contains("is already zstd-compressed"), again.err);
        CliRunner notZstd = CliRunner.run("decompress", "-q", TestFiles.testdata("sd1-train.ckpt").toString(),
                "-o", tmp.resolve("y").toString());
        assertEquals(ExitCode.INVALID_INPUT, notZstd.exitCode, notZstd.toString());
        assertTrue(notZstd.err.contains("is not zstd-compressed"), notZstd.err);
        Path oddName = Files.copy(zst, tmp.resolve("model.bin"));
        CliRunner noName = CliRunner.run("decompress", "-q", oddName.toString());
        assertEquals(ExitCode.USAGE, noName.exitCode, noName.toString());
        CliRunner badLevel = CliRunner.run("compress", "--level", "0", TestFiles.testdata("sd1-train.ckpt").toString());
        assertEquals(ExitCode.USAGE, badLevel.exitCode, badLevel.toString());
        assertEquals(List.of("model.bin"), names(tmp));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static byte[] run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + err);
        return out;
    }
}
