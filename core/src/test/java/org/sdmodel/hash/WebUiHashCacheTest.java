package org.sdmodel.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;

/**
 * The web UI's cache.json: recording hashes in a copy of a real-looking cache gives, byte for byte,
 * what the web UI's own Python code writes after hashing the same files (webui/cache-after.json,
 * written by make_arch_fixtures.py); mtimes and floats come out as Python gives them.
 */
class WebUiHashCacheTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonNode expected() throws Exception {
        return JSON.readTree(TestFiles.testdata("arch/hashes-expected.json").toFile());
    }

    @Test
    void recordingGivesWhatTheWebUiWrites() throws Exception {
        Path cache = tmp.resolve("cache.json");
        Files.copy(TestFiles.testdata("arch/webui/cache.json"), cache);
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-rw-r--"));
        for (JsonNode u : expected().get("webui_updates")) {
            WebUiHashCache.record(cache, u.get("title").asText(), Double.parseDouble(u.get("mtime").asText()),
                    u.get("sha256").asText());
        }
        assertEquals(Files.readString(TestFiles.testdata("arch/webui/cache-after.json")), Files.readString(cache));
        assertEquals("rw-rw-r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)),
                "the rewritten file keeps the old one's permissions");
        try (var leftovers = Files.list(tmp)) {
            assertEquals(1, leftovers.count(), "no temporary file is left behind");
        }
    }

    @Test
    void recordingReturnsTheEntryItReplaces() throws Exception {
        Path cache = tmp.resolve("cache.json");
        Files.copy(TestFiles.testdata("arch/webui/cache.json"), cache);
        String title = "checkpoint/v1-5-pruned-emaonly.safetensors";
        WebUiHashCache.Entry before = WebUiHashCache.lookup(cache, title);
        // The values make_arch_fixtures.py put in cache.json.
        assertEquals(new WebUiHashCache.Entry(1697011200.8840168,
                "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"), before);
        String sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assertEquals(before, WebUiHashCache.record(cache, title, 1.5e9, sha));
        assertEquals(new WebUiHashCache.Entry(1.5e9, sha), WebUiHashCache.lookup(cache, title));
        assertNull(WebUiHashCache.record(cache, "checkpoint/new.ckpt", 2.0, sha));
    }

    @Test
    void aMissingCacheIsCreated() throws Exception {
        Path cache = tmp.resolve("cache.json");
        String sha = "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556";
        assertNull(WebUiHashCache.lookup(cache, "checkpoint/a.ckpt"));
        assertNull(WebUiHashCache.record(cache, "checkpoint/a.ckpt", 1700000000.25, sha));
        // json.dump({"hashes": {"checkpoint/a.ckpt": {"mtime": 1700000000.25, "sha256": sha}}}, f, indent=4)
        assertEquals("{\n    \"hashes\": {\n        \"checkpoint/a.ckpt\": {\n            \"mtime\": 1700000000.25,\n"
                + "            \"sha256\": \"" + sha + "\"\n        }\n    }\n}", Files.readString(cache));
    }

    @Test
    void aBrokenCacheIsLeftAlone() throws Exception {
        Path cache = tmp.resolve("cache.json");
        byte[] broken = "{\"hashes\": {\"checkpoint/a\": ".getBytes(StandardCharsets.UTF_8);
        Files.write(cache, broken);
        String sha = "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556";
        var e = assertThrows(WebUiHashCache.CacheFormatException.class,
                () -> WebUiHashCache.record(cache, "checkpoint/b", 1.0, sha));
        assertTrue(e.getMessage().startsWith("is not valid JSON"), e.getMessage());
        assertArrayEquals(broken, Files.readAllBytes(cache));

        byte[] wrongSection = "{\"hashes\": [1, 2]}".getBytes(StandardCharsets.UTF_8);
        Files.write(cache, wrongSection);
        assertThrows(WebUiHashCache.CacheFormatException.class, () -> WebUiHashCache.record(cache, "checkpoint/b", 1.0, sha));
        assertArrayEquals(wrongSection, Files.readAllBytes(cache));
    }

    @Test
    void theTitleIsThePathInsideTheCheckpointFolder() {
        Path webui = tmp.resolve("stable-diffusion-webui");
        Path models = webui.resolve("models/Stable-diffusion");
        assertEquals("checkpoint/v1-5-pruned.ckpt", WebUiHashCache.checkpointTitle(webui, models.resolve("v1-5-pruned.ckpt")));
        assertEquals("checkpoint/sd2/768-v-ema.ckpt", WebUiHashCache.checkpointTitle(webui, models.resolve("sd2/768-v-ema.ckpt")));
        assertEquals("checkpoint/sd2/768-v-ema.ckpt",
                WebUiHashCache.checkpointTitle(webui, models.resolve("sd2/../sd2/./768-v-ema.ckpt")));
        // Outside the folder the web UI uses the bare file name.
        assertEquals("checkpoint/elsewhere.safetensors", WebUiHashCache.checkpointTitle(webui, tmp.resolve("x/elsewhere.safetensors")));
        assertTrue(WebUiHashCache.inCheckpointFolder(webui, models.resolve("a.ckpt")));
        assertTrue(!WebUiHashCache.inCheckpointFolder(webui, tmp.resolve("a.ckpt")));
    }

    @Test
    void mtimeIsWhatPythonsGetmtimeGives() throws Exception {
        Path file = tmp.resolve("model.ckpt");
        Files.write(file, new byte[1]);
        for (JsonNode m : expected().get("python").get("mtimes")) {
            Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(m.get("seconds").asLong(), m.get("nanos").asLong())));
            assertEquals(m.get("repr").asText(), PythonJson.floatRepr(WebUiHashCache.mtime(file)), m.toString());
        }
    }

    @Test
    void floatsAreWrittenAsPythonsRepr() throws Exception {
        for (JsonNode r : expected().get("python").get("reprs")) {
            double d = Double.parseDouble(r.get("hex").asText());
            assertEquals(r.get("repr").asText(), PythonJson.floatRepr(d), r.get("hex").asText());
        }
    }

    @Test
    void parsingAndWritingKeepTheText() throws Exception {
        String text = Files.readString(TestFiles.testdata("arch/webui/cache.json"));
        assertEquals(text, PythonJson.write(PythonJson.parse(text)));
        Path copy = tmp.resolve("c.json");
        Files.copy(TestFiles.testdata("arch/webui/cache-after.json"), copy, StandardCopyOption.REPLACE_EXISTING);
        String after = Files.readString(copy);
        assertEquals(after, PythonJson.write(PythonJson.parse(after)));
    }
}
