package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;

/**
 * {@code sdmodel scan --webui DIR} (#13 item 5): every model file in the web UI's folders, found as
 * the web UI finds them (launch flags included), one summary line, exit 3 if any file is unsafe.
 */
class ScanWebUiTest {
    @TempDir
    Path dir;

    private static void copy(String testdata, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.copy(TestFiles.testdata(testdata), target);
    }

    @Test
    void aCleanWebUiExitsZeroWithASummary() throws IOException {
        Path webui = WebUiTrees.started(dir.resolve("stable-diffusion-webui"));
        copy("sd1-train.ckpt", webui.resolve("models/Stable-diffusion/sub/model.ckpt"));
        copy("arch/sdxl.safetensors", webui.resolve("models/Lora/style.safetensors"));

        CliRunner r = CliRunner.run("scan", "-q", "--webui", webui.toString());

        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("model.ckpt: clean"), r.out);
        assertTrue(r.out.contains("style.safetensors: clean"), r.out);
        // the checkout's placeholder .txt files are no model files
        assertFalse(r.out.contains(".txt"), r.out);
        assertTrue(r.out.endsWith("2 model files scanned: 2 clean, 0 UNSAFE, 0 unreadable\n"), r.out);
    }

    @Test
    void aDangerousFileInAnyFolderMakesItExitThree() throws IOException {
        Path webui = WebUiTrees.started(dir.resolve("webui"));
        copy("sd1-train.ckpt", webui.resolve("models/Stable-diffusion/model.ckpt"));
        copy("hostile/torch-zip-os-system.pt", webui.resolve("embeddings/evil.pt"));
        copy("hostile/os-system_p2.pkl", webui.resolve("models/hypernetworks/evil.pkl"));

        CliRunner r = CliRunner.run("scan", "-q", "--webui", webui.toString());

        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains("evil.pt: UNSAFE"), r.out);
        assertTrue(r.out.contains("evil.pkl: UNSAFE"), r.out);
        assertTrue(r.out.endsWith("3 model files scanned: 1 clean, 2 UNSAFE, 0 unreadable\n"), r.out);
    }

    @Test
    void theCheckpointFolderComesFromTheLaunchFlags() throws IOException {
        Path webui = WebUiTrees.started(dir.resolve("webui"));
        Path elsewhere = dir.resolve("my models");
        copy("hostile/torch-zip-os-system.pt", elsewhere.resolve("evil.ckpt"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--xformers --ckpt-dir '" + elsewhere + "'\"");

        CliRunner r = CliRunner.runWithEnvironment(Map.of(), "scan", "-q", "--webui", webui.toString());

        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains(elsewhere.resolve("evil.ckpt") + ": UNSAFE"), r.out);
        assertTrue(r.out.endsWith("1 model file scanned: 0 clean, 1 UNSAFE, 0 unreadable\n"), r.out);
    }

    @Test
    void aFolderThatIsNoWebUiIsRefused() {
        CliRunner r = CliRunner.run("scan", "--webui", dir.toString());
        assertEquals(2, r.exitCode, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains("does not look like a Stable Diffusion web UI folder"), r.err);
    }

    @Test
    void noFilesAndNoWebUiIsAUsageError() {
        CliRunner r = CliRunner.run("scan");
        assertEquals(2, r.exitCode, r.toString());
    }
}
