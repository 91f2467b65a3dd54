package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        Path webui = Files.createDirectories(tmp.resolve("stable-diffusion-webui"));
        Path models = Files.createDirectories(webui.resolve("models/Stable-diffusion/sub"));
        Path model = models.resolve("sd2.safetensors");
        Files.copy(TestFiles.testdata("arch/sd2.safetensors"), model);
        Files.setLastModifiedTime(model, FileTime.from(Instant.ofEpochSecond(1700000000, 250_000_000)));
        Path cache = webui.resolve("cache.json");
        Files.copy(TestFiles.testdata("arch/webui/cache.json"), cache);

        CliRunner r = CliRunner.run("hash", "--json", "--webui", webui.toString(), model.toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode w = JSON.readTree(r.out).get("webui");
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
        assertTrue(again.out.contains("  web UI:  already had checkpoint/sub/sd2.safetensors"), again.out);
        assertArrayEquals(before, Files.readAllBytes(cache));
        assertEquals(cacheTime, Files.getLastModifiedTime(cache));

        // A newer file gets a new entry time.
        Files.setLastModifiedTime(model, FileTime.from(Instant.ofEpochSecond(1700000100)));
        CliRunner newer = CliRunner.run("hash", "--webui", webui.toString(), model.toString());
        assertTrue(newer.out.contains("  web UI:  updated checkpoint/sub/sd2.safetensors"), newer.out);
        assertTrue(Files.readString(cache).contains("\"mtime\": 1700000100.0,"));
    }

    @Test
    void aFileOutsideTheModelsFolderIsRecordedByName() throws Exception {
        Path webui = Files.createDirectories(tmp.resolve("webui"));
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), TestFiles.testdata("arch/sd1.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.err.contains("is not in"), r.err);
        assertTrue(Files.readString(webui.resolve("cache.json")).contains("\"checkpoint/sd1.ckpt\": {"));
    }

    @Test
    void aBrokenCacheIsLeftAsItWas() throws Exception {
        Path webui = Files.createDirectories(tmp.resolve("webui"));
        Files.writeString(webui.resolve("cache.json"), "{\"hashes\": ");
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), TestFiles.testdata("arch/sd1.ckpt").toString());
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
