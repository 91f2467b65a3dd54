package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.testing.TestFiles;

/**
 * What the commands say (issue 14, items 9, 12 and 16): stack traces with {@code --debug}, one
 * JSON shape, and messages that say what is meant.
 */
class CliMessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TRAIN = TestFiles.testdata("sd1-train.ckpt");
    private static final Path TRAIN_ZST = TestFiles.testdata("zstd/sd1-train.ckpt.zst");

    @TempDir
    Path tmp;

    /** The arguments that run {@code command} on one good input, writing into tmp. */
    private List<String> oneInput(String command) {
        List<String> args = new ArrayList<>(List.of(command));
        switch (command) {
            case "decompress":
                args.add(TRAIN_ZST.toString());
                break;
            case "scan":
            case "inspect":
            case "hash":
                args.add(TRAIN.toString());
                return args;
            default:
                args.add(TRAIN.toString());
        }
        args.add("-o");
        args.add(tmp + "/");
        args.add("-q");
        return args;
    }

    // --- item 9: --debug ---

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inspect", "hash", "prune", "convert", "compress", "decompress", "scan"})
    void debugPrintedNoStackTraceForAFileThatFails(String command) throws Exception {
        // compress and hash take any file: a folder is what they refuse
        Path bad = List.of("compress", "hash").contains(command) ? Files.createDirectory(tmp.resolve("folder"))
                : Files.writeString(tmp.resolve(command.equals("decompress") ? "bad.ckpt.zst" : "bad.ckpt"), "");
        Path missing = tmp.resolve("missing.ckpt");
        List<String> args = new ArrayList<>(List.of("--debug", command, bad.toString(), missing.toString()));
        if (!List.of("inspect", "hash", "scan").contains(command)) {
            args.addAll(List.of("-o", tmp.resolve("out") + "/"));
        }
        CliRunner r = CliRunner.run(args.toArray(String[]::new));
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("\tat org.sdmodel."), "no stack trace: " + r.err);
        CliRunner plain = CliRunner.run(args.subList(1, args.size()).toArray(String[]::new));
        assertFalse(plain.err.contains("\tat "), plain.err);
        assertEquals(2, plain.err.lines().count(), "one line per failing file: " + plain.err);
    }

    // --- item 12: --json is always an array ---

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inspect", "hash", "prune", "convert", "compress", "decompress", "scan"})
    void jsonForOneFileWasAnObjectWhereSeveralGiveAnArray(String command) throws Exception {
        List<String> args = oneInput(command);
        args.add("--json");
        CliRunner r = CliRunner.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode, r.toString());
        JsonNode j = JSON.readTree(r.out);
        assertTrue(j.isArray(), command + " --json: " + r.out);
        assertEquals(1, j.size());
    }

    @Test
    void jsonIsAnEmptyArrayWhenEveryFileFails() throws Exception {
        CliRunner r = CliRunner.run("inspect", "--json", tmp.resolve("absent.ckpt").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals(0, JSON.readTree(r.out).size(), r.out);
    }

    // --- item 8: .zst inputs ---

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"prune", "convert"})
    void theTimeReportedLeftOutTheDecompression(String command) throws Exception {
        CliRunner r = CliRunner.run(command, "-q", "--json", TRAIN_ZST.toString(), "-o", tmp.resolve("out.safetensors").toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode s = JSON.readTree(r.out).get(0);
        assertTrue(s.has("decompression_seconds"), r.out);
        double decompression = s.get("decompression_seconds").asDouble();
        assertTrue(decompression > 0 && s.get("seconds").asDouble() >= decompression, r.out);
        CliRunner text = CliRunner.run(command, "-q", TRAIN_ZST.toString(), "-o", tmp.resolve("text.safetensors").toString());
        assertTrue(text.out.matches("(?s).* in \\d+\\.\\d s \\(\\d+\\.\\d s of it decompressing the input\\)\n.*"), text.out);
    }

    // --- item 16: messages ---

    @Test
    void aMistypedCommandSaidUnmatchedArguments() {
        CliRunner r = CliRunner.run("prnue", "a.ckpt");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("sdmodel: unknown command 'prnue'; did you mean 'prune'?"), r.err);
        CliRunner far = CliRunner.run("frobnicate");
        assertTrue(far.err.startsWith("sdmodel: unknown command 'frobnicate'"), far.err);
        assertTrue(far.err.contains("inspect, hash, convert, prune"), "lists the commands: " + far.err);
    }

    @Test
    void aGitLfsPointerWasUnknownFirstBytes() throws Exception {
        Path pointer = Files.writeString(tmp.resolve("v1-5-pruned-emaonly.safetensors"),
                "version https://git-lfs.github.com/spec/v1\n"
                        + "oid sha256:6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa\n"
                        + "size 4265146304\n");
        for (String command : List.of("inspect", "prune")) {
            CliRunner r = CliRunner.run(command, pointer.toString());
            assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
            assertTrue(r.err.contains("is a Git LFS pointer, not the model"), r.err);
            assertTrue(r.err.contains("4,265,146,304 bytes"), r.err);
            assertEquals(1, r.err.lines().count(), r.err);
        }
    }

    @Test
    void versionPrintedNoVersionNumber() {
        CliRunner r = CliRunner.run("--version");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.matches("sdmodel \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), r.out);
        CliRunner sub = CliRunner.run("prune", "--version");
        assertEquals(r.out, sub.out);
    }

    @Test
    void verifyDidNotSayWhatItVerified() throws Exception {
        CliRunner r = CliRunner.run("prune", "-q", "--verify", TRAIN.toString(), "-o", tmp.resolve("v.safetensors").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  verified: re-read the output: 49 tensors with the planned names, dtypes and shapes,"
                + " every value equal to the source's (after conversion)"), r.out);
        CliRunner json = CliRunner.run("convert", "-q", "--verify", "--json", TRAIN.toString(), "-o", tmp.resolve("c.safetensors").toString());
        assertEquals(true, JSON.readTree(json.out).get(0).get("verified").asBoolean(), json.out);
        CliRunner without = CliRunner.run("prune", "-q", TRAIN.toString(), "-o", tmp.resolve("w.safetensors").toString());
        assertTrue(without.out.contains("  checked: the header read back as written, and the file size (--verify also compares every value)"), without.out);
    }

    @Test
    void pluralsSaidOneTensorsAndDictOfOneEntries() throws Exception {
        CliRunner emb = CliRunner.run("inspect", TestFiles.testdata("arch/embedding-webui.pt").toString());
        assertEquals(0, emb.exitCode, emb.toString());
        assertTrue(emb.out.contains("the root: 1 tensor, "), emb.out);
        assertTrue(emb.out.contains(" 1 tensor, "), emb.out);
        CliRunner train = CliRunner.run("inspect", TestFiles.testdata("sd2-v-train.ckpt").toString());
        assertTrue(train.out.contains("dict of 1 entry"), train.out);
        assertFalse(train.out.contains("dict of 1 entries"), train.out);
        for (CliRunner r : List.of(emb, train)) {
            assertFalse(r.out.matches("(?s).*\\b1 (tensors|entries|items|copies)\\b.*"), r.out);
        }
    }

    @Test
    void precisionKeepSaidZeroConvertedToKeep() throws Exception {
        CliRunner keep = CliRunner.run("prune", "-q", "--precision", "keep", TRAIN.toString(), "-o", tmp.resolve("k.safetensors").toString());
        assertEquals(0, keep.exitCode, keep.toString());
        assertFalse(keep.out.contains("converted to keep"), keep.out);
        assertTrue(keep.out.contains("  tensors: 49 kept (dtypes unchanged), 22 dropped"), keep.out);
        CliRunner convert = CliRunner.run("convert", "-q", TRAIN.toString(), "-o", tmp.resolve("c.safetensors").toString());
        assertFalse(convert.out.contains("converted to keep"), convert.out);
        CliRunner dry = CliRunner.run("prune", "--dry-run", "--precision", "keep", TRAIN.toString());
        assertFalse(dry.out.contains("converted to keep"), dry.out);
    }

    @Test
    void anUnknownArchitectureWasUnknownUnknown() throws Exception {
        CliRunner r = CliRunner.run("inspect", TestFiles.testdata("arch/unknown.safetensors").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertFalse(r.out.contains("unknown (unknown)"), r.out);
        assertTrue(r.out.contains("  architecture: unknown\n                no UNet, text encoder, VAE, LoRA or embedding keys"), r.out);
    }

    @Test
    void dryRunCalledTheEmaDecayAnEmaCopy() throws Exception {
        CliRunner r = CliRunner.run("prune", "--dry-run", TRAIN.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  drop  model_ema.decay (LitEma's decay rate, not a weight)"), r.out);
        assertTrue(r.out.contains("  drop  model_ema.num_updates (LitEma's update counter, not a weight)"), r.out);
        assertTrue(r.out.contains("  drop  model_ema.diffusion_modelout2bias (EMA copy: its values went into model.diffusion_model.out.2.bias)"),
                r.out);
    }
}
