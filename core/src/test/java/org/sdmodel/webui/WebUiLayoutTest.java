package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;

/**
 * The web UI's folders as the web UI decides them: for each set of arguments, the folders Python's
 * argparse and the web UI's path code give (testdata/webui/expected.json); the launch files as its
 * launchers read them; the refusals when sdmodel cannot know.
 */
class WebUiLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path webui;

    @BeforeEach
    void checkout() {
        webui = WebUiTrees.started(tmp.resolve("stable-diffusion-webui"));
    }

    private static WebUiLayout.Environment linux(String... pairs) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", "/home/tester");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return new WebUiLayout.Environment(env, WebUiLayout.Platform.LINUX);
    }

    private Path expectedPath(String python) {
        return python.startsWith("@/") ? webui.getParent().resolve(python.substring(2)).normalize() : Path.of(python);
    }

    @Test
    void foldersAreTheOnesTheWebUiComputes() throws Exception {
        JsonNode cases = JSON.readTree(TestFiles.testdata("webui/expected.json").toFile()).get("folders");
        assertEquals(17, cases.size());
        for (JsonNode c : cases) {
            String args = c.get("commandline_args").asText();
            WebUiLayout l = WebUiLayout.of(webui, linux("COMMANDLINE_ARGS", args));
            JsonNode f = c.get("folders");
            if (f.has("error")) {
                assertFalse(l.problems().isEmpty(), args + ": the web UI stops (" + f.get("error").asText() + ")");
                WebUiException e = assertThrows(WebUiException.class, () -> l.check(l.checkpoints()), args);
                assertEquals(WebUiException.Reason.LAUNCH_CONFIG, e.reason(), args);
                continue;
            }
            assertEquals(List.of(), l.problems(), args);
            Map<String, WebUiLayout.Folder> got = new LinkedHashMap<>();
            got.put("data", l.dataFolder());
            got.put("models", l.modelsFolder());
            got.put("checkpoints", l.checkpoints());
            got.put("default_checkpoints", l.defaultCheckpoints());
            got.put("vae", l.vae());
            got.put("lora", l.lora());
            got.put("lycoris", l.lycoris());
            got.put("embeddings", l.embeddings());
            got.put("hypernetworks", l.hypernetworks());
            got.put("cache_file", l.cacheFile());
            for (Map.Entry<String, WebUiLayout.Folder> e : got.entrySet()) {
                assertEquals(expectedPath(f.get(e.getKey()).asText()), e.getValue().path(), args + ": " + e.getKey());
            }
            assertEquals("the environment", l.argumentsSource(), args);
        }
    }

    @Test
    void aQuotedCkptDirWithSpacesAmongOtherFlagsInWebuiUserSh() throws Exception {
        Path models = Files.createDirectories(tmp.resolve("My Models/sd"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--xformers --ckpt-dir '" + models + "' --medvram --api\"");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        assertEquals(models, l.checkpoints().path());
        assertEquals("--ckpt-dir", l.checkpoints().flag());
        int line = WebUiTrees.argsLine(webui);
        assertEquals("--ckpt-dir in COMMANDLINE_ARGS (webui-user.sh line " + line + ")", l.checkpoints().why());
        assertEquals(List.of(l.checkpoints(), l.defaultCheckpoints()), l.checkpointFolders());
        assertEquals("webui-user.sh line " + line, l.argumentsSource());
        l.check(l.checkpoints());
    }

    @Test
    void theEnvironmentVariableIsUsedWhenWebuiUserShLeavesItAlone() throws Exception {
        Path env = Files.createDirectories(tmp.resolve("from-env"));
        WebUiLayout l = WebUiLayout.of(webui, linux("COMMANDLINE_ARGS", "--ckpt-dir " + env));
        assertEquals(env, l.checkpoints().path());
        assertEquals("the environment", l.argumentsSource());
    }

    @Test
    void anActiveExportInWebuiUserShReplacesTheEnvironmentVariableAsWebuiShSourcesIt() throws Exception {
        Path file = Files.createDirectories(tmp.resolve("from-file"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--ckpt-dir " + file + "\"");
        WebUiLayout l = WebUiLayout.of(webui, linux("COMMANDLINE_ARGS", "--ckpt-dir /from/env"));
        assertEquals(file, l.checkpoints().path());
    }

    @Test
    void onMacOsWebuiMacosEnvShReplacesTheEnvironmentVariableFirst() throws Exception {
        WebUiLayout l = WebUiLayout.of(webui, new WebUiLayout.Environment(Map.of("COMMANDLINE_ARGS", "--ckpt-dir /env"),
                WebUiLayout.Platform.MACOS));
        assertEquals(webui.resolve("models/Stable-diffusion"), l.checkpoints().path());
        assertEquals("webui-macos-env.sh line 13", l.argumentsSource());
        assertEquals(List.of("--skip-torch-cuda-test", "--upcast-sampling", "--no-half-vae", "--use-cpu", "interrogate"),
                l.arguments());
    }

    @Test
    void onWindowsWebuiUserBatDecides() throws Exception {
        Path models = Files.createDirectories(webui.resolve("../AI Models/sd").normalize());
        Path bat = webui.resolve("webui-user.bat");
        Files.writeString(bat, Files.readString(bat).replace("set COMMANDLINE_ARGS=\r\n",
                "set COMMANDLINE_ARGS=--xformers --ckpt-dir \"../AI Models/sd\" --data-dir data\r\n"));
        Files.createDirectories(webui.resolve("data"));
        WebUiLayout l = WebUiLayout.of(webui, new WebUiLayout.Environment(Map.of("COMMANDLINE_ARGS", "--ckpt-dir /env"),
                WebUiLayout.Platform.WINDOWS));
        assertEquals(models, l.checkpoints().path());
        assertEquals("webui-user.bat line 6", l.argumentsSource());
        assertEquals(webui.resolve("data/embeddings"), l.embeddings().path());
        assertEquals(webui.resolve("data/cache.json"), l.cacheFile().path());
        // The same folder read on Linux: the .bat is not what webui.sh reads; a note says so.
        WebUiLayout onLinux = WebUiLayout.of(webui, linux());
        assertEquals(webui.resolve("models/Stable-diffusion"), onLinux.checkpoints().path());
        assertTrue(onLinux.notes().stream().anyMatch(n -> n.startsWith("webui-user.bat (webui-user.bat line 6) sets --ckpt-dir,"
                + " --data-dir too")), onLinux.notes().toString());
    }

    @Test
    void dataDirAndModelsDir() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("sd-data"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--data-dir ../sd-data\"");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        assertEquals(data.resolve("models/Stable-diffusion"), l.checkpoints().path());
        assertEquals(data.resolve("embeddings"), l.embeddings().path());
        assertEquals(data.resolve("cache.json"), l.cacheFile().path());
        assertNull(l.checkpoints().flag());
        l.check(l.checkpoints());

        Path shared = Files.createDirectories(tmp.resolve("shared models"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--data-dir ../sd-data --models-dir '../shared models'\"");
        l = WebUiLayout.of(webui, linux());
        assertEquals(shared.resolve("Stable-diffusion"), l.checkpoints().path());
        assertEquals(shared.resolve("Lora"), l.lora().path());
        assertEquals(data.resolve("embeddings"), l.embeddings().path(), "embeddings follow --data-dir, not --models-dir");
        assertTrue(l.modelsFolder().why().startsWith("--models-dir in COMMANDLINE_ARGS (webui-user.sh line "), l.modelsFolder().why());
    }

    @Test
    void aFlagPointingToAMissingFolderIsRefusedNamingTheFlag() {
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--ckpt-dir /no/such/folder\"");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        WebUiException e = assertThrows(WebUiException.class, () -> l.check(l.checkpoints()));
        assertEquals(WebUiException.Reason.MISSING_FOLDER, e.reason());
        assertEquals("--ckpt-dir in COMMANDLINE_ARGS (webui-user.sh line " + WebUiTrees.argsLine(webui)
                + ") points to /no/such/folder, which is not a folder", e.getMessage());

        WebUiTrees.setArgs(webui, "");
        WebUiLayout d = WebUiLayout.of(webui, linux("COMMANDLINE_ARGS", "--data-dir missing-data"));
        e = assertThrows(WebUiException.class, () -> d.check(d.checkpoints()));
        assertEquals("--data-dir in COMMANDLINE_ARGS (from the environment) points to " + webui.resolve("missing-data")
                + ", which is not a folder", e.getMessage());
    }

    @Test
    void anUnreadableLineShowingAFolderFlagMakesThatFolderUnknown() throws Exception {
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--ckpt-dir $(cat ~/ckpt-dir.txt) --lora-dir /l\"");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        int line = WebUiTrees.argsLine(webui);
        WebUiException e = assertThrows(WebUiException.class, () -> l.check(l.checkpoints()));
        assertEquals(WebUiException.Reason.LAUNCH_CONFIG, e.reason());
        assertEquals(webui.resolve("webui-user.sh") + " line " + line + ": uses $(cat ~/ckpt-dir.txt), which sdmodel does"
                + " not evaluate (only $NAME and ${NAME} are); as it shows --ckpt-dir, sdmodel cannot tell where the web UI"
                + " keeps its checkpoints", e.getMessage());
        l.check(l.embeddings()); // the line shows no embeddings flag: the default stands

        // A broken line that shows no folder flag changes nothing, but is noted.
        WebUiTrees.setArgs(webui, "export TORCH_COMMAND=\"pip install $(echo torch)\"");
        Files.writeString(webui.resolve("webui-user.sh"), Files.readString(webui.resolve("webui-user.sh"))
                .replaceAll("export COMMANDLINE_ARGS=.*\n", ""));
        WebUiLayout quiet = WebUiLayout.of(webui, linux());
        quiet.check(quiet.checkpoints());
        assertEquals(List.of(), quiet.problems(), "TORCH_COMMAND does not matter");
    }

    @Test
    void anUnclosedQuoteIsReportedWithItsLine() {
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--ckpt-dir /x");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        LaunchProblem p = l.problems().get(0);
        assertEquals(WebUiTrees.argsLine(webui), p.line());
        assertEquals(webui.resolve("webui-user.sh") + " line " + WebUiTrees.argsLine(webui) + ": the command starting here never"
                + " ends: a \" quote in it is not closed before the end of the file, so bash runs none of it", p.toString());
        assertNull(l.argumentsSource(), "bash runs none of it");
        assertThrows(WebUiException.class, () -> l.check(l.checkpoints()));
    }

    @Test
    void aWrongCaseFolderIsNotedAndNotUsed() throws Exception {
        Path wrong = Files.createDirectories(webui.resolve("models/Stable-Diffusion"));
        WebUiLayout l = WebUiLayout.of(webui, linux());
        assertEquals(webui.resolve("models/Stable-diffusion"), l.checkpoints().path());
        boolean caseSensitive = !Files.isSameFile(wrong, webui.resolve("models/Stable-diffusion"));
        if (caseSensitive) {
            assertEquals(List.of(wrong + " is not a folder the web UI reads: it looks in " + webui.resolve("models/Stable-diffusion")
                    + " (the case of a name matters here)"), l.notes());
        } else {
            assertEquals(List.of(), l.notes());
        }
    }

    @Test
    void notAWebUi() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("other"));
        WebUiException e = assertThrows(WebUiException.class, () -> WebUiLayout.of(other, linux()).checkIsWebUi());
        assertEquals(WebUiException.Reason.NOT_A_WEBUI, e.reason());
        WebUiLayout.of(webui, linux()).checkIsWebUi();
    }

    @Test
    void cacheKeysAreTheWebUisTitles() throws Exception {
        JsonNode tree = JSON.readTree(TestFiles.testdata("webui/expected.json").toFile()).get("hash_tree");
        for (JsonNode f : tree.get("files")) {
            Path p = webui.resolve(f.get("path").asText());
            Files.createDirectories(p.getParent());
            Files.copy(TestFiles.testdata(f.get("source").asText()), p);
        }
        WebUiLayout l = WebUiLayout.of(webui, linux());
        for (JsonNode r : tree.get("records")) {
            WebUiLayout.CacheKey k = l.cacheKey(webui.resolve(r.get("file").asText()));
            assertEquals(r.get("section").asText(), k.section(), r.toString());
            assertEquals(r.get("title").asText(), k.title(), r.toString());
        }
        // Through a relative path and a symbolic link to the folder, the same title.
        Path link = Files.createSymbolicLink(tmp.resolve("link"), webui.resolve("models/Stable-diffusion"));
        assertEquals("checkpoint/sd2/sd2.safetensors", l.cacheKey(link.resolve("sd2/sd2.safetensors")).title());

        Path vae = Files.copy(TestFiles.testdata("arch/vae-ft-mse.ckpt"), webui.resolve("models/VAE/vae-ft-mse.ckpt"));
        WebUiLayout.CacheKey v = l.cacheKey(vae);
        assertFalse(v.recorded());
        assertTrue(v.skipped().contains("under the one title 'vae'"), v.skipped());
        Path outside = Files.copy(TestFiles.testdata("arch/sd1.ckpt"), tmp.resolve("sd1.ckpt"));
        WebUiException e = assertThrows(WebUiException.class, () -> l.cacheKey(outside));
        assertEquals(WebUiException.Reason.NOT_IN_A_WEBUI_FOLDER, e.reason());
        Path pt = Files.copy(TestFiles.testdata("arch/sd1.ckpt"), webui.resolve("models/Stable-diffusion/sd1.pt"));
        e = assertThrows(WebUiException.class, () -> l.cacheKey(pt));
        assertTrue(e.getMessage().endsWith("is in the web UI's checkpoints folder, but the web UI lists only .ckpt and"
                + " .safetensors files there"), e.getMessage());
    }

    @Test
    void aCkptDirThatStartsTheDefaultFoldersPathGivesTheWebUisOddTitles() throws Exception {
        JsonNode q = JSON.readTree(TestFiles.testdata("webui/expected.json").toFile()).get("quirk");
        Files.createDirectories(webui.resolve(q.get("ckpt_dir").asText()));
        Path file = Files.copy(TestFiles.testdata("arch/sd1.ckpt"), webui.resolve(q.get("file").asText()));
        WebUiLayout l = WebUiLayout.of(webui, linux("COMMANDLINE_ARGS", "--ckpt-dir " + q.get("ckpt_dir").asText()));
        assertEquals(q.get("title").asText(), l.cacheKey(file).title());
    }

    @Test
    void theCacheFileVariableSetInWebuiUserSh() throws Exception {
        WebUiTrees.setArgs(webui, "export SD_WEBUI_CACHE_FILE=\"$HOME/sd-cache.json\"");
        WebUiLayout l = WebUiLayout.of(webui, linux());
        assertEquals(Path.of("/home/tester/sd-cache.json"), l.cacheFile().path());
        assertEquals("SD_WEBUI_CACHE_FILE (webui-user.sh line " + WebUiTrees.argsLine(webui) + ")", l.cacheFile().why());
        assertNull(l.argumentsSource());
        assertEquals(webui.resolve("cache"), l.cacheFolder().path());
    }

    @Test
    void stemIsPythonsSplitext() {
        assertEquals("768-v-ema", WebUiLayout.stem("768-v-ema.ckpt"));
        assertEquals("a.tar", WebUiLayout.stem("a.tar.gz"));
        assertEquals(".hidden", WebUiLayout.stem(".hidden"));
        assertEquals("..x", WebUiLayout.stem("..x"));
        assertEquals(".h", WebUiLayout.stem(".h.pt"));
        assertEquals("noext", WebUiLayout.stem("noext"));
    }
}
