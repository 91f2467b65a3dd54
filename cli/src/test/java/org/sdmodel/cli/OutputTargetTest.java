package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.testing.TestFiles;

/**
 * Where the writing commands put their outputs (issue 14, items 1, 2, 4 and 13): {@code -o DIR/}
 * is a folder, outputs of one run never collide, an output is never named like a torch
 * checkpoint, and {@code --dry-run} says when the output exists.
 */
class OutputTargetTest {
    private static final Path TRAIN = TestFiles.testdata("sd1-train.ckpt");

    @TempDir
    Path tmp;

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The input each command takes, and its output name in a folder. */
    private Path inputFor(String command) throws IOException {
        switch (command) {
            case "decompress":
                return TestFiles.testdata("zstd/sd1-train.ckpt.zst");
            default:
                return TRAIN;
        }
    }

    // --- item 1: -o DIR/ ---

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"prune", "convert", "compress", "decompress"})
    void trailingSlashOutputWroteAFileNamedLikeTheFolder(String command) throws Exception {
        Path dir = tmp.resolve("new").resolve("dir");
        CliRunner r = CliRunner.run(command, "-q", inputFor(command).toString(), "-o", dir + "/");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.isDirectory(dir), "the folder was not created (parents too): " + r);
        assertEquals(1, names(dir).size(), "one output in the folder: " + names(dir));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"prune", "convert", "compress", "decompress"})
    void severalInputsIntoANewFolderWereRefusedAsNotAnExistingFolder(String command) throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Path in = inputFor(command);
        Path first = Files.copy(in, a.resolve("one-" + in.getFileName()));
        Path second = Files.copy(in, b.resolve("two-" + in.getFileName()));
        Path dir = tmp.resolve("pruned");
        CliRunner r = CliRunner.run(command, "-q", first.toString(), second.toString(), "-o", dir + "/");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals(2, names(dir).size(), names(dir).toString());
    }

    @Test
    void severalInputsIntoAFileNameAreRefusedSayingHow() throws Exception {
        Path out = tmp.resolve("out.safetensors");
        CliRunner r = CliRunner.run("prune", "-q", TRAIN.toString(), TestFiles.testdata("sd2-v-train.ckpt").toString(),
                "-o", out.toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("end it with /"), r.err);
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void aFailedRunLeavesNoFolderItCreated() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.ckpt"), "not a checkpoint");
        Path dir = tmp.resolve("made").resolve("for-nothing");
        CliRunner r = CliRunner.run("prune", "-q", bad.toString(), "-o", dir + "/");
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals(List.of("bad.ckpt"), names(tmp));
    }

    @Test
    void dryRunIntoANewFolderCreatesNothingAndSaysItWould() throws Exception {
        Path dir = tmp.resolve("later");
        CliRunner r = CliRunner.run("prune", TRAIN.toString(), "-o", dir + "/", "--dry-run");
        assertEquals(0, r.exitCode, r.toString());
        assertFalse(Files.exists(dir));
        assertTrue(r.out.contains("the folder " + dir + " would be created"), r.out);
    }

    @Test
    void trailingSlashOnAnExistingFileIsRefused() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        CliRunner r = CliRunner.run("prune", "-q", TRAIN.toString(), "-o", file + "/");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("is a file, not a folder"), r.err);
        assertEquals("x", Files.readString(file));
    }

    // --- item 2: outputs that collide within one run ---

    @Test
    void twoInputsWithOneOutputNameOverwroteTheFirstOutput() throws Exception {
        Path d1 = Files.createDirectories(tmp.resolve("d1"));
        Path d2 = Files.createDirectories(tmp.resolve("d2"));
        Path m1 = Files.copy(TRAIN, d1.resolve("model.ckpt"));
        Path m2 = Files.copy(TestFiles.testdata("sd1-train-legacy.ckpt"), d2.resolve("model.ckpt"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        for (String force : List.of("--force", "--json")) {
            CliRunner r = CliRunner.run("prune", "-q", m1.toString(), m2.toString(), "-o", out + "/", force);
            assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
            assertTrue(r.err.contains(m1.toString()) && r.err.contains(m2.toString()), r.err);
            assertEquals(1, r.err.lines().count(), r.err);
            assertEquals(List.of(), names(out), "nothing written");
        }
    }

    @Test
    void convertOfModelCkptAndModelPtBesideEachOtherCollide() throws Exception {
        Path a = Files.copy(TRAIN, tmp.resolve("model.ckpt"));
        Path b = Files.copy(TRAIN, tmp.resolve("model.pt"));
        CliRunner r = CliRunner.run("convert", "-q", a.toString(), b.toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("model.safetensors"), r.err);
        assertEquals(List.of("model.ckpt", "model.pt"), names(tmp));
    }

    @Test
    void anOutputThatIsAnotherInputOfTheRunIsRefused() throws Exception {
        // a.safetensors.zst converts to a.safetensors, which is the run's other input
        Path plain = tmp.resolve("a.safetensors");
        CliRunner c = CliRunner.run("convert", "-q", TRAIN.toString(), "-o", plain.toString());
        assertEquals(0, c.exitCode, c.toString());
        Path zst = tmp.resolve("a.safetensors.zst");
        CliRunner z = CliRunner.run("compress", "-q", plain.toString());
        assertEquals(0, z.exitCode, z.toString());
        byte[] before = Files.readAllBytes(plain);
        CliRunner r = CliRunner.run("convert", "-q", "--force", zst.toString(), plain.toString(), "-o", tmp + "/");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("is an input"), r.err);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(plain)));
    }

    @Test
    void theSameInputTwiceIsRefused() throws Exception {
        CliRunner r = CliRunner.run("prune", "-q", TRAIN.toString(), TRAIN.toString(), "-o", tmp + "/");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("given twice"), r.err);
        assertEquals(List.of(), names(tmp));
    }

    // --- item 4: outputs named like torch checkpoints ---

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"c-pruned.ckpt", "c.pt", "c.pth", "c.bin", "c.ckpt.zst"})
    void anOutputNamedCkptGotSafetensorsBytes(String name) throws Exception {
        for (String command : List.of("prune", "convert")) {
            CliRunner r = CliRunner.run(command, "-q", TRAIN.toString(), "-o", tmp.resolve(name).toString());
            assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
            assertTrue(r.err.contains(".safetensors"), r.err);
            assertEquals(List.of(), names(tmp));
        }
    }

    @Test
    void aPickleNamedSafetensorsIsWarnedAbout() throws Exception {
        Path disguised = Files.copy(TRAIN, tmp.resolve("model.safetensors"));
        for (String command : List.of("inspect", "prune")) {
            CliRunner r = command.equals("prune")
                    ? CliRunner.run("prune", "-q", disguised.toString(), "-o", tmp.resolve("out").toString() + "/")
                    : CliRunner.run("inspect", disguised.toString());
            assertEquals(0, r.exitCode, r.toString());
            assertTrue(r.err.contains("warning: " + disguised + ": is a PyTorch checkpoint named .safetensors"), r.err);
        }
    }

    @Test
    void safetensorsNamedCkptIsWarnedAbout() throws Exception {
        Path st = tmp.resolve("x.safetensors");
        assertEquals(0, CliRunner.run("convert", "-q", TRAIN.toString(), "-o", st.toString()).exitCode);
        Path disguised = Files.move(st, tmp.resolve("model.ckpt"));
        try (ModelFile m = ModelFile.open(disguised)) {
            assertEquals(ModelFormat.SAFETENSORS, m.format());
        }
        CliRunner r = CliRunner.run("inspect", disguised.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.err.contains("warning: " + disguised + ": is a safetensors file named .ckpt"), r.err);
        CliRunner ok = CliRunner.run("inspect", TRAIN.toString());
        assertEquals("", ok.err);
    }

    // --- item 13: --dry-run and an existing output ---

    @Test
    void dryRunDidNotSayTheOutputExists() throws Exception {
        Path out = Files.writeString(tmp.resolve("out.safetensors"), "x");
        CliRunner r = CliRunner.run("prune", TRAIN.toString(), "-o", out.toString(), "--dry-run");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.lines().findFirst().orElse("").contains("exists: the real run needs --force"), r.out);
        CliRunner forced = CliRunner.run("prune", TRAIN.toString(), "-o", out.toString(), "--dry-run", "--force");
        assertTrue(forced.out.lines().findFirst().orElse("").contains("exists: the real run replaces it"), forced.out);
        CliRunner json = CliRunner.run("prune", TRAIN.toString(), "-o", out.toString(), "--dry-run", "--json");
        assertTrue(json.out.contains("\"output_exists\" : true"), json.out);
    }
}
