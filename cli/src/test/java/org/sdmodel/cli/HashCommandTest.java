package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;

/**
 * {@code sdmodel hash}: the hashes hashlib computes the web UI's way (hashes-expected.json), and
 * {@code --webui} recording them in a copy of a real-looking cache.json.
 */
class HashCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonNode expected(String section, String name) throws Exception {
        return JSON.readTree(TestFiles.testdata("arch/hashes-expected.json").toFile()).get(section).get(name);
    }

    @Test
    void jsonHasEveryHash() throws Exception {
        Path file = TestFiles.realModels().resolve("kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors");
        CliRunner r = CliRunner.run("hash", "--json", file.toString(), TestFiles.testdata("arch/sd1.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode j = JSON.readTree(r.out);
        assertEquals(2, j.size());
        JsonNode e = expected("realmodels", "kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors");
        for (String k : List.of("size", "sha256", "autov1", "autov2", "autov3")) {
            assertEquals(e.get(k), j.get(0).get(k), k);
        }
        assertTrue(j.get(0).get("known_model").isNull());
        assertTrue(j.get(1).get("autov3").isNull(), "a torch checkpoint has no autov3");
        assertEquals(expected("fixtures", "sd1.ckpt").get("sha256"), j.get(1).get("sha256"));
    }

    @Test
    void textShowsTheShortHashes() throws Exception {
        CliRunner r = CliRunner.run("hash", TestFiles.testdata("arch/lora-kohya.safetensors").toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode e = expected("fixtures", "lora-kohya.safetensors");
        assertTrue(r.out.contains("  sha256:  " + e.get("sha256").asText() + "\n"), r.out);
        assertTrue(r.out.contains("  autov2:  " + e.get("autov2").asText() + " "), r.out);
        assertTrue(r.out.contains("  autov3:  " + e.get("autov3").asText() + " "), r.out);
    }

    @Test
    void webuiRecordsTheHashInCacheJson() throws Exception {
        Path webui = WebUiTrees.checkout(tmp.resolve("stable-diffusion-webui"));
        Path models = Files.createDirectories(webui.resolve("models/Stable-diffusion/sub"));
        Path model = models.resolve("sd2.safetensors");
        Files.copy(TestFiles.testdata("arch/sd2.safetensors"), model);
        Files.setLastModifiedTime(model, FileTime.from(Instant.ofEpochSecond(1700000000, 250_000_000)));
        Path cache = webui.resolve("cache.json");
        Files.copy(TestFiles.testdata("arch/webui/cache.json"), cache);

        CliRunner r = CliRunner.run("hash", "--json", "--webui", webui.toString(), model.toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode w = JSON.readTree(r.out).get(0).get("webui");
        assertEquals("added", w.get("status").asText());
        assertEquals("checkpoint/sub/sd2.safetensors", w.get("title").asText());
        String sha = expected("fixtures", "sd2.safetensors").get("sha256").asText();
        String text = Files.readString(cache);
        assertTrue(text.contains("        \"checkpoint/sub/sd2.safetensors\": {\n            \"mtime\": 1700000000.25,\n"
                + "            \"sha256\": \"" + sha + "\"\n        }\n    },\n    \"hashes-addnet\""), text);
        // Every other entry is as it was: removing the new one gives the original text back.
        String original = Files.readString(TestFiles.testdata("arch/webui/cache.json"));
        String added = ",\n        \"checkpoint/sub/sd2.safetensors\": {\n            \"mtime\": 1700000000.25,\n"
                + "            \"sha256\": \"" + sha + "\"\n        }";
        assertEquals(original, text.replace(added, ""));

        // A second run finds the hash there and leaves the file alone.
        byte[] before = Files.readAllBytes(cache);
        FileTime cacheTime = Files.getLastModifiedTime(cache);
        CliRunner again = CliRunner.run("hash", "--webui", webui.toString(), model.toString());
        assertEquals(0, again.exitCode, again.toString());
        assertTrue(again.out.contains("  web UI:  already had hashes checkpoint/sub/sd2.safetensors"), again.out);
        assertArrayEquals(before, Files.readAllBytes(cache));
        assertEquals(cacheTime, Files.getLastModifiedTime(cache));

        // A newer file gets a new entry time.
        Files.setLastModifiedTime(model, FileTime.from(Instant.ofEpochSecond(1700000100)));
        CliRunner newer = CliRunner.run("hash", "--webui", webui.toString(), model.toString());
        assertTrue(newer.out.contains("  web UI:  updated hashes checkpoint/sub/sd2.safetensors"), newer.out);
        assertTrue(Files.readString(cache).contains("\"mtime\": 1700000100.0,"));
    }

    /**
     * Regression (issue 14, item 5): a LoRA was recorded as checkpoint/..., and cache.json was
     * written into any folder. Now every file goes under the key the web UI itself uses, which the
     * web UI's hashing code (re-run in Python by make_webui_expectations.py on the same tree) writes
     * byte for byte the same.
     */
    @Test
    void hashWebuiRecordedALoraAsACheckpoint() throws Exception {
        JsonNode tree = JSON.readTree(TestFiles.testdata("webui/expected.json").toFile()).get("hash_tree");
        Path webui = WebUiTrees.started(tmp.resolve("stable-diffusion-webui"));
        List<String> args = new java.util.ArrayList<>(List.of("hash", "--json", "--webui", webui.toString()));
        for (JsonNode f : tree.get("files")) {
            Path p = webui.resolve(f.get("path").asText());
            Files.createDirectories(p.getParent());
            Files.copy(TestFiles.testdata(f.get("source").asText()), p);
            Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(f.get("seconds").asLong(), f.get("nanos").asLong())));
            args.add(p.toString());
        }
        CliRunner r = CliRunner.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.toString());
        assertEquals(tree.get("cache_json").asText(), Files.readString(webui.resolve("cache.json")));
        JsonNode out = JSON.readTree(r.out);
        for (int i = 0; i < out.size(); i++) {
            JsonNode w = out.get(i).get("webui");
            JsonNode rec = tree.get("records").get(i);
            assertEquals(rec.get("section"), w.get("section"));
            assertEquals(rec.get("title"), w.get("title"));
            assertEquals(rec.get("sha256"), w.get("sha256"));
            assertEquals("added", w.get("status").asText());
        }
        assertEquals("hashes-addnet", out.get(1).get("webui").get("section").asText());
        assertEquals(out.get(1).get("autov3").asText(), out.get(1).get("webui").get("sha256").asText().substring(0, 12),
                "the addnet hash is what autov3 abbreviates");
    }

    @Test
    void aFileInNoneOfTheWebUisFoldersIsRefused() throws Exception {
        Path webui = WebUiTrees.started(tmp.resolve("webui"));
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), TestFiles.testdata("arch/sd1.ckpt").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals("sdmodel: " + TestFiles.testdata("arch/sd1.ckpt") + ": is in none of the web UI's model folders (checkpoints: "
                + webui.resolve("models/Stable-diffusion") + "; LoRA: " + webui.resolve("models/Lora") + "; embeddings: "
                + webui.resolve("embeddings") + "), so the web UI never hashes it\n", r.err);
        assertEquals("", r.out, "refused before hashing");
        assertFalse(Files.exists(webui.resolve("cache.json")));
    }

    @Test
    void aFolderThatIsNotAWebUiIsRefusedAndNothingWritten() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("somewhere"));
        CliRunner r = CliRunner.run("hash", "--webui", other.toString(), TestFiles.testdata("arch/sd1.ckpt").toString());
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("does not look like a Stable Diffusion web UI folder"), r.err);
        try (var s = Files.list(other)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aVaeIsHashedButNotRecordedWithTheReason() throws Exception {
        Path webui = WebUiTrees.started(tmp.resolve("webui"));
        Path vae = Files.copy(TestFiles.testdata("arch/vae-ft-mse.ckpt"), webui.resolve("models/VAE/vae-ft-mse.ckpt"));
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), vae.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  web UI:  not recorded (a VAE: the web UI caches the hash of whichever VAE is loaded under"
                + " the one title 'vae'"), r.out);
        assertFalse(Files.exists(webui.resolve("cache.json")));
    }

    @Test
    void theCacheIsInTheDataFolder() throws Exception {
        Path webui = WebUiTrees.started(tmp.resolve("webui"));
        Path data = Files.createDirectories(tmp.resolve("sd-data/embeddings"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--data-dir ../sd-data\"");
        Path emb = Files.copy(TestFiles.testdata("arch/embedding-webui.pt"), data.resolve("style.pt"));
        Files.createDirectories(tmp.resolve("sd-data/cache"));
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), emb.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  web UI:  added hashes textual_inversion/style in " + tmp.resolve("sd-data/cache.json")), r.out);
        assertTrue(r.err.contains(tmp.resolve("sd-data/cache") + " exists: web UI versions that keep their cache there (1.8 and"
                + " later) read cache.json only while that folder does not exist"), r.err);
    }

    @Test
    void aBrokenCacheIsLeftAsItWas() throws Exception {
        Path webui = WebUiTrees.checkout(tmp.resolve("webui"));
        Files.writeString(webui.resolve("cache.json"), "{\"hashes\": ");
        Path model = Files.copy(TestFiles.testdata("arch/sd1.ckpt"), webui.resolve("models/Stable-diffusion/sd1.ckpt"));
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), model.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("cache.json: is not valid JSON"), r.err);
        assertTrue(r.err.contains("(left as it was)"), r.err);
        assertEquals("{\"hashes\": ", Files.readString(webui.resolve("cache.json")));
    }

    @Test
    void usageErrors() {
        CliRunner r = CliRunner.run("hash", "--webui", tmp.resolve("nowhere").toString(), "x");
        assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
        CliRunner missing = CliRunner.run("hash", tmp.resolve("absent.safetensors").toString());
        assertEquals(ExitCode.INVALID_INPUT, missing.exitCode, missing.toString());
        assertTrue(missing.err.contains("absent.safetensors: no such file"), missing.err);
        CliRunner dir = CliRunner.run("hash", tmp.toString());
        assertEquals(ExitCode.INVALID_INPUT, dir.exitCode, dir.toString());
    }
}
