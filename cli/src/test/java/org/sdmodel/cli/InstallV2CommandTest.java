package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.sdmodel.install.InferenceConfig;
import org.sdmodel.testing.TestFiles;

/**
 * install-v2 against a folder laid out like the web UI, with torch-written SD-shaped checkpoints:
 * the v model goes in with a config named after it that says v-prediction; every refusal leaves
 * the folder exactly as it was.
 */
class InstallV2CommandTest {
    @TempDir
    Path tmp;
    Path webui;
    Path sd2;

    @BeforeEach
    void layOutWebUi() throws IOException {
        webui = tmp.resolve("stable-diffusion-webui");
        Files.createDirectories(webui.resolve("models/VAE"));
        Files.writeString(webui.resolve("launch.py"), "# the web UI's launcher\n");
        Files.writeString(webui.resolve("webui.py"), "# the web UI\n");
        sd2 = tmp.resolve("768-v-ema.ckpt");
        Files.copy(TestFiles.testdata("sd2-v-train.ckpt"), sd2);
    }

    @Test
    void installsTheCheckpointWithAConfigNamedAfterIt() throws Exception {
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        Path folder = webui.resolve("models/Stable-Diffusion");
        assertArrayEquals(Files.readAllBytes(sd2), Files.readAllBytes(folder.resolve("768-v-ema.ckpt")));
        byte[] yaml = Files.readAllBytes(folder.resolve("768-v-ema.yaml"));
        assertEquals(InferenceConfig.Kind.V_PREDICTION, InferenceConfig.check(yaml).kind());
        assertEquals("v", InferenceConfig.parse(yaml).path("model").path("params").path("parameterization").asText());
        assertTrue(r.out.contains("768-v-ema.ckpt"), r.out);
        assertTrue(Files.exists(sd2), "a copy leaves the source");
        assertEquals(Map.of(), leftovers(), "no temporary files");

        CliRunner again = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString());
        assertEquals(0, again.exitCode, again.toString());
        assertTrue(again.out.contains("already installed"), again.out);
    }

    @Test
    void givenConfigIsInstalledByteForByteUnderTheCheckpointsName() throws Exception {
        Path cfg = tmp.resolve("my-v.yaml");
        byte[] content = (new String(InferenceConfig.bundledV(), StandardCharsets.UTF_8) + "\n# mine\n").getBytes(StandardCharsets.UTF_8);
        Files.write(cfg, content);
        CliRunner r = CliRunner.run("install-v2", sd2.toString(), "--webui", webui.toString(), "--config", cfg.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(content, Files.readAllBytes(webui.resolve("models/Stable-Diffusion/768-v-ema.yaml")));
    }

    @Test
    void pruneInstallsAnFp16SafetensorsWithItsConfig() throws Exception {
        Path clean = tmp.resolve("sd2-clean.ckpt");
        // the sd2 fixture's EMA copies are partial on purpose; an EMA-free checkpoint prunes by default
        CliRunner conv = CliRunner.run("prune", "-q", "--ema", "drop", "--precision", "keep",
                TestFiles.testdata("sd2-v-train.ckpt").toString(), "-o", tmp.resolve("sd2-clean.safetensors").toString());
        assertEquals(0, conv.exitCode, conv.toString());
        Files.move(tmp.resolve("sd2-clean.safetensors"), clean);
        CliRunner r = CliRunner.run("install-v2", clean.toString(), "--webui", webui.toString(), "--prune");
        assertEquals(0, r.exitCode, r.toString());
        Path st = webui.resolve("models/Stable-Diffusion/sd2-clean.safetensors");
        try (ModelFile m = ModelFile.open(st)) {
            assertTrue(m.stateDict().tensors().values().stream()
                    .anyMatch(t -> t.dtype() == org.sdmodel.DType.F16));
        }
        assertTrue(Files.exists(webui.resolve("models/Stable-Diffusion/sd2-clean.yaml")));
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
    void aDifferentInstalledFileIsNotReplacedWithoutForce() throws Exception {
        Path folder = Files.createDirectories(webui.resolve("models/Stable-Diffusion"));
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
        Path linked = webui.resolve("models/Stable-Diffusion/768-v-ema.ckpt");
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
        Path folder = webui.resolve("models/Stable-Diffusion");
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
        assertEquals(before, snapshot());
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
