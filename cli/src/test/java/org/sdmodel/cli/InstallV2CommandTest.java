package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;
import org.sdmodel.webui.InferenceConfig;

/**
 * install-v2 against a web UI folder laid out as its git checkout lays it out (testdata/webui/checkout:
 * models/Stable-diffusion with a lower-case d, the stock webui-user.sh), with torch-written SD-shaped
 * checkpoints: the checkpoint goes where the web UI lists checkpoints, with a config named after it;
 * every refusal leaves the folder exactly as it was.
 */
class InstallV2CommandTest {
    @TempDir
    Path tmp;
    Path webui;
    Path folder;
    Path sd2;

    @BeforeEach
    void layOutWebUi() throws IOException {
        webui = WebUiTrees.checkout(tmp.resolve("stable-diffusion-webui"));
        folder = webui.resolve("models/Stable-diffusion");
        sd2 = tmp.resolve("768-v-ema.ckpt");
        Files.copy(TestFiles.testdata("sd2-v-train.ckpt"), sd2);
    }

    @Test
    void installsTheCheckpointWithAConfigNamedAfterIt() throws Exception {
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(Files.readAllBytes(sd2), Files.readAllBytes(folder.resolve("768-v-ema.ckpt")));
        byte[] yaml = Files.readAllBytes(folder.resolve("768-v-ema.yaml"));
        assertEquals(InferenceConfig.Kind.V_PREDICTION, InferenceConfig.check(yaml).kind());
        assertEquals("v", new ObjectMapper(new YAMLFactory()).readTree(yaml).path("model").path("params").path("parameterization").asText());
        assertTrue(r.out.contains("prediction: v (hyper_parameters.parameterization is 'v')\n"), r.out);
        assertTrue(r.out.contains("folder:     " + folder + " (<models>/Stable-diffusion, listed whatever --ckpt-dir says"), r.out);
        assertTrue(Files.exists(sd2), "a copy leaves the source");
        assertEquals(Map.of(), leftovers(), "no temporary files");

        CliRunner again = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, again.exitCode, again.toString());
        assertTrue(again.out.contains("already installed"), again.out);
    }

    /**
     * Regression (issue 12): install-v2 wrote into models/Stable-Diffusion, which the web UI does not
     * scan on Linux (model_dir = "Stable-diffusion"). A folder made by hand with the capital D is
     * now named in one line, and the checkpoint goes into the real one.
     */
    @Test
    void installedIntoStableDiffusionWithACapitalD() throws Exception {
        Path wrong = Files.createDirectories(webui.resolve("models/Stable-Diffusion"));
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(folder.resolve("768-v-ema.ckpt")));
        assertTrue(Files.exists(folder.resolve("768-v-ema.yaml")));
        if (!Files.isSameFile(wrong, folder)) { // a case-sensitive file system
            try (Stream<Path> s = Files.list(wrong)) {
                assertEquals(0, s.count(), "nothing goes into the folder the web UI does not read");
            }
            assertTrue(r.out.contains("note: " + wrong + " is not a folder the web UI reads: it looks in " + folder
                    + " (the case of a name matters here)\n"), r.out);
        }
    }

    @Test
    void aCkptDirWithSpacesInWebuiUserShIsWhereItGoes() throws Exception {
        Path models = Files.createDirectories(tmp.resolve("My Models/sd 2"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--xformers --ckpt-dir '" + models + "' --medvram\"");
        int line = WebUiTrees.argsLine(webui);
        CliRunner dry = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--dry-run");
        assertEquals(0, dry.exitCode, dry.toString());
        assertTrue(dry.out.contains("arguments:  --xformers --ckpt-dir '" + models + "' --medvram  (COMMANDLINE_ARGS from"
                + " webui-user.sh line " + line + ")\n"), dry.out);
        assertTrue(dry.out.contains("  checkpoints:   " + models + "  (--ckpt-dir in COMMANDLINE_ARGS (webui-user.sh line " + line
                + "))\n  checkpoints:   " + folder + "  (<models>/Stable-diffusion, listed whatever --ckpt-dir says"), dry.out);
        assertTrue(dry.out.contains("would install " + models.resolve("768-v-ema.ckpt") + "\n"), dry.out);
        try (Stream<Path> s = Files.list(models)) {
            assertEquals(0, s.count(), "a dry run changes nothing");
        }
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(models.resolve("768-v-ema.ckpt")));
        assertTrue(Files.exists(models.resolve("768-v-ema.yaml")));
        assertFalse(Files.exists(folder.resolve("768-v-ema.ckpt")));
    }

    @Test
    void theCommandlineArgsEnvironmentVariableIsUsedWhenWebuiUserShLeavesItAlone() throws Exception {
        Path models = Files.createDirectories(tmp.resolve("env models"));
        CliRunner r = CliRunner.runWithEnvironment(Map.of("COMMANDLINE_ARGS", "--ckpt-dir \"" + models + "\""),
                "install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(models.resolve("768-v-ema.yaml")));
        assertTrue(r.out.contains("(--ckpt-dir in COMMANDLINE_ARGS (from the environment))"), r.out);
    }

    @Test
    void aCkptDirThatDoesNotExistIsAOneLineErrorNamingTheFlag() throws Exception {
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--ckpt-dir /no/such/models\"");
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals("sdmodel: --ckpt-dir in COMMANDLINE_ARGS (webui-user.sh line " + WebUiTrees.argsLine(webui)
                + ") points to /no/such/models, which is not a folder\n", r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void aLaunchLineSdmodelCannotReadIsReportedWithFileAndLine() throws Exception {
        WebUiTrees.setArgs(webui, "[ -d /mnt/sd ] && export COMMANDLINE_ARGS=\"--ckpt-dir /mnt/sd\"");
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("sdmodel: " + webui.resolve("webui-user.sh") + " line " + WebUiTrees.argsLine(webui)
                + ": sets COMMANDLINE_ARGS inside an if"), r.err);
        assertTrue(r.err.contains("as it shows --ckpt-dir, sdmodel cannot tell where the web UI keeps its checkpoints"), r.err);
        assertEquals(before, snapshot());
    }

    /** The guide's step 3 alone: the checkpoint is already in place; only its config goes in beside it. */
    @Test
    void aCheckpointAlreadyInTheFolderGetsOnlyItsConfig() throws Exception {
        Path placed = Files.copy(sd2, folder.resolve("768-v-ema.ckpt"));
        Object inode = Files.getAttribute(placed, "unix:ino");
        long mtime = Files.getLastModifiedTime(placed).toMillis();
        CliRunner r = CliRunner.run("install-v2", placed.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("768-v-ema.ckpt is already in the web UI's checkpoint folder: only its config is installed\n"), r.out);
        assertTrue(Files.exists(folder.resolve("768-v-ema.yaml")));
        assertEquals(inode, Files.getAttribute(placed, "unix:ino"), "the checkpoint is not copied or replaced");
        assertEquals(mtime, Files.getLastModifiedTime(placed).toMillis());
        assertArrayEquals(Files.readAllBytes(sd2), Files.readAllBytes(placed));
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(3, s.count(), "the placeholder, the checkpoint and its config");
        }

        CliRunner again = CliRunner.run("install-v2", placed.toString(), "--webui", webui.toString());
        assertEquals(0, again.exitCode, again.toString());
        assertTrue(again.out.contains("already installed"), again.out);

        CliRunner move = CliRunner.run("install-v2", placed.toString(), "--webui", webui.toString(), "--move");
        assertEquals(ExitCode.USAGE, move.exitCode, move.toString());
        assertTrue(move.err.contains("--prune, --move and --link do not apply"), move.err);
    }

    @Test
    void aCheckpointInASubfolderGetsItsConfigBesideIt() throws Exception {
        Path placed = Files.copy(sd2, Files.createDirectories(folder.resolve("SD2")).resolve("768-v-ema.ckpt"));
        CliRunner r = CliRunner.run("install-v2", placed.toString(), "--webui", webui.toString(), "--config",
                InferenceConfig.V_NAME);
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(InferenceConfig.bundledV(), Files.readAllBytes(folder.resolve("SD2/768-v-ema.yaml")));
    }

    @Test
    void givenConfigIsInstalledByteForByteUnderTheCheckpointsName() throws Exception {
        Path cfg = tmp.resolve("my-v.yaml");
        byte[] content = (new String(InferenceConfig.bundledV(), StandardCharsets.UTF_8) + "\n# mine\n").getBytes(StandardCharsets.UTF_8);
        Files.write(cfg, content);
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", cfg.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(content, Files.readAllBytes(folder.resolve("768-v-ema.yaml")));
    }

    /**
     * Regression (issue 14, item 11): install-v2 told users to "use --ema drop", which it did not
     * have, and to "reinstall with --config v2-inference.yaml", which did not ship.
     */
    @Test
    void installV2MessagesPointedToThingsThatDidNotExist() throws Exception {
        // The fixture's EMA copies cover 18 of 19 UNet weights: --prune refuses, naming --ema drop...
        CliRunner refused = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--prune");
        assertEquals(ExitCode.INVALID_INPUT, refused.exitCode, refused.toString());
        assertTrue(refused.err.contains("use --ema drop"), refused.err);
        assertFalse(Files.exists(folder.resolve("768-v-ema.yaml")), "nothing written");
        // ...which install-v2 now takes.
        CliRunner pruned = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--prune", "--ema", "drop");
        assertEquals(0, pruned.exitCode, pruned.toString());
        try (ModelFile m = ModelFile.open(folder.resolve("768-v-ema.safetensors"))) {
            assertTrue(m.stateDict().tensors().values().stream().anyMatch(t -> t.dtype() == org.sdmodel.DType.F16));
        }
        assertTrue(Files.exists(folder.resolve("768-v-ema.yaml")));

        // A file whose prediction type is not recorded: the note's command works as written.
        Path clean = tmp.resolve("my-sd2-finetune.safetensors");
        CliRunner conv = CliRunner.run("prune", "-q", "--ema", "drop", "--precision", "keep", sd2.toString(), "-o", clean.toString());
        assertEquals(0, conv.exitCode, conv.toString());
        CliRunner r = CliRunner.run("install-v2", clean.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        String note = "If its images are noise, it is an eps model: run install-v2 again with --config v2-inference.yaml --force";
        assertTrue(r.out.contains(note), r.out);
        CliRunner eps = CliRunner.run("install-v2", clean.toString(), "--webui", webui.toString(), "--config", "v2-inference.yaml",
                "--force");
        assertEquals(0, eps.exitCode, eps.toString());
        assertArrayEquals(InferenceConfig.bundledEps(), Files.readAllBytes(folder.resolve("my-sd2-finetune.yaml")));
        assertTrue(eps.out.contains("(sdmodel's copy of Stability AI's v2-inference.yaml)"), eps.out);

        // The prediction type the file records is read, as inspect reads it: an eps config for a v file is refused.
        CliRunner wrong = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", "v2-inference.yaml",
                "--force");
        assertEquals(ExitCode.INVALID_INPUT, wrong.exitCode, wrong.toString());
        assertTrue(wrong.err.contains("is a v-prediction model: it would render noise (hyper_parameters.parameterization is 'v')"),
                wrong.err);
    }

    /** Regression (issue 14, item 16): ~/Downloads came from Java's user.home, not from $HOME. */
    @Test
    void downloadsCameFromUserHomeNotFromHome() throws Exception {
        Path home = tmp.resolve("home");
        Files.copy(sd2, Files.createDirectories(home.resolve("Downloads")).resolve("768-v-ema.ckpt"));
        CliRunner r = CliRunner.runWithEnvironment(Map.of("HOME", home.toString()), "install-v2", "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(folder.resolve("768-v-ema.ckpt")));
        Path fresh = WebUiTrees.checkout(tmp.resolve("another-webui"));
        CliRunner none = CliRunner.runWithEnvironment(Map.of("HOME", tmp.resolve("nobody").toString()), "install-v2", "--webui",
                fresh.toString(), "--dry-run");
        assertEquals(0, none.exitCode, none.toString());
        assertTrue(none.out.contains("no 768-v-ema.ckpt in the current folder or in " + tmp.resolve("nobody/Downloads")
                + ": downloading the official release\n"), none.out);
        assertTrue(none.out.contains("would download " + org.sdmodel.webui.V2Installer.OFFICIAL_URL), none.out);
    }

    @Test
    void sd1IsRefusedAndNothingChanges() throws Exception {
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", TestFiles.testdata("sd1-train.ckpt").toString(), "--webui", webui.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("SD 1.x"), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void htmlEmptyAndEpsConfigsAreRefusedAndNothingChanges() throws Exception {
        Map<String, String> before = snapshot();
        Path html = tmp.resolve("v2-inference-v.yaml");
        Files.writeString(html, "<!DOCTYPE html>\n<html><body>GitHub</body></html>\n");
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", html.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("HTML page"), r.err);
        Path empty = tmp.resolve("empty.yaml");
        Files.writeString(empty, "");
        r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", empty.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("empty"), r.err);
        r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", tmp.resolve("none.yaml").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("none.yaml: no such file (sdmodel ships v2-inference.yaml and v2-inference-v.yaml"), r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void aFolderThatIsNotAWebUiIsRefused() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("not-webui"));
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", other.toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("launch.py"), r.err);
        try (Stream<Path> s = Files.list(other)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aNameTheWebUiDoesNotListIsRefused() throws Exception {
        Path pt = Files.copy(sd2, tmp.resolve("model.pt"));
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", pt.toString(), "--webui", webui.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("the web UI lists only .ckpt and .safetensors files as checkpoints; rename it to model.ckpt"),
                r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void aDifferentInstalledFileIsNotReplacedWithoutForce() throws Exception {
        Files.writeString(folder.resolve("768-v-ema.ckpt"), "something else");
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("--force"), r.err);
        assertEquals(before, snapshot());
        r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--force");
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(Files.readAllBytes(sd2), Files.readAllBytes(folder.resolve("768-v-ema.ckpt")));
    }

    @Test
    void moveAndLinkPlaceTheSameBytes() throws Exception {
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--link");
        assertEquals(0, r.exitCode, r.toString());
        Path linked = folder.resolve("768-v-ema.ckpt");
        assertTrue(Files.isSameFile(sd2, linked));
        Files.delete(linked);
        byte[] bytes = Files.readAllBytes(sd2);
        r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--move");
        assertEquals(0, r.exitCode, r.toString());
        assertFalse(Files.exists(sd2));
        assertArrayEquals(bytes, Files.readAllBytes(linked));
    }

    @Test
    void aZstdCompressedDownloadIsInstalledDecompressed() throws Exception {
        Path zst = tmp.resolve("768-v-ema.ckpt.zst");
        CliRunner c = CliRunner.run("compress", "-q", sd2.toString(), "-o", zst.toString());
        assertEquals(0, c.exitCode, c.toString());
        CliRunner r = CliRunner.run("install-v2", zst.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(Files.readAllBytes(sd2), Files.readAllBytes(folder.resolve("768-v-ema.ckpt")));
        assertTrue(Files.exists(folder.resolve("768-v-ema.yaml")));
        assertFalse(Files.exists(folder.resolve("768-v-ema.ckpt.zst")));
    }

    @Test
    void dryRunChangesNothing() throws Exception {
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--dry-run");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("would install"), r.out);
        assertTrue(r.out.contains("arguments:  none (no COMMANDLINE_ARGS in webui-user.sh or the environment)\n"), r.out);
        assertEquals(before, snapshot());
    }

    @Test
    void emaWithoutPruneIsAUsageError() {
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--ema", "drop");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("--ema applies only with --prune"), r.err);
    }

    /** Every file under the web UI folder with its size and modification time. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(webui)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put(webui.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }

    private Map<String, String> leftovers() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(webui)) {
            s.filter(p -> p.getFileName().toString().endsWith(".sdmodel-partial")).forEach(p -> m.put(p.toString(), "temp"));
        }
        return m;
    }
}
