package org.sdmodel.webui;

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
            WebUiHashCache.record(cache, WebUiHashCache.HASHES, u.get("title").asText(), Double.parseDouble(u.get("mtime").asText()),
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
        WebUiHashCache.Entry before = WebUiHashCache.lookup(cache, WebUiHashCache.HASHES, title);
        // The values make_arch_fixtures.py put in cache.json.
        assertEquals(new WebUiHashCache.Entry(1697011200.8840168,
                "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"), before);
        String sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assertEquals(before, WebUiHashCache.record(cache, WebUiHashCache.HASHES, title, 1.5e9, sha));
        assertEquals(new WebUiHashCache.Entry(1.5e9, sha), WebUiHashCache.lookup(cache, WebUiHashCache.HASHES, title));
        assertNull(WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/new.ckpt", 2.0, sha));
    }

    private static final String SHA_A = "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556";
    private static final String SHA_B = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /**
     * Regression (issue 14, item 14): recording rewrote the whole file, re-indenting one-line
     * entries and escaping "é". Now only the recorded entry's text changes.
     */
    @Test
    void cacheJsonIsRewrittenNotPreserved_otherEntriesKeepTheirText() throws Exception {
        Path cache = tmp.resolve("cache.json");
        String original = "{\n  \"hashes\": {\n"
                + "    \"checkpoint/café.safetensors\": {\"mtime\": 1697011200.8840168, \"sha256\": \"" + SHA_B + "\"},\n"
                + "    \"checkpoint/old.ckpt\":   {\"mtime\": 1.5e9,\"sha256\":\"" + SHA_B + "\"}\n"
                + "  },\n  \"extensions-git\": {\"x\": {\"mtime\": 1, \"value\": \"café \\u00e9\"}}\n}\n";
        Files.writeString(cache, original);

        WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/new.ckpt", 1700000000.25, SHA_A);
        String added = original.replace("{\"mtime\": 1.5e9,\"sha256\":\"" + SHA_B + "\"}",
                "{\"mtime\": 1.5e9,\"sha256\":\"" + SHA_B + "\"},\n"
                + "    \"checkpoint/new.ckpt\": {\"mtime\": 1700000000.25, \"sha256\": \"" + SHA_A + "\"}");
        assertEquals(added, Files.readString(cache), "a new entry laid out like the one before it; nothing else changed");

        WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/café.safetensors", 1712345678.1234567, SHA_A);
        String replaced = added.replace("{\"mtime\": 1697011200.8840168, \"sha256\": \"" + SHA_B + "\"}",
                "{\"mtime\": 1712345678.1234567, \"sha256\": \"" + SHA_A + "\"}");
        assertEquals(replaced, Files.readString(cache), "a replaced entry keeps its place, its line and its key's text");
        assertEquals(new WebUiHashCache.Entry(1712345678.1234567, SHA_A),
                WebUiHashCache.lookup(cache, WebUiHashCache.HASHES, "checkpoint/café.safetensors"));

        WebUiHashCache.record(cache, WebUiHashCache.HASHES_ADDNET, "lora/café", 2.0, SHA_B);
        String withSection = replaced.replace("\"value\": \"café \\u00e9\"}}",
                "\"value\": \"café \\u00e9\"}},\n  \"hashes-addnet\": {\n    \"lora/caf\\u00e9\": {\n"
                + "      \"mtime\": 2.0,\n      \"sha256\": \"" + SHA_B + "\"\n    }\n  }");
        assertEquals(withSection, Files.readString(cache), "a new section goes last, indented like the file, its title as"
                + " json.dump writes it");
    }

    @Test
    void aOneLineCacheStaysOnOneLine() throws Exception {
        Path cache = tmp.resolve("cache.json");
        Files.writeString(cache, "{\"hashes\": {\"checkpoint/a.ckpt\": {\"mtime\": 1.0, \"sha256\": \"" + SHA_B + "\"}}}");
        WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/b.ckpt", 2.0, SHA_A);
        assertEquals("{\"hashes\": {\"checkpoint/a.ckpt\": {\"mtime\": 1.0, \"sha256\": \"" + SHA_B + "\"}, "
                + "\"checkpoint/b.ckpt\": {\"mtime\": 2.0, \"sha256\": \"" + SHA_A + "\"}}}", Files.readString(cache));
    }

    @Test
    void anEmptyObjectOrSectionGetsTheWebUisLayout() throws Exception {
        Path cache = tmp.resolve("cache.json");
        Files.writeString(cache, "{}");
        WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/a.ckpt", 1700000000.25, SHA_A);
        // json.dump({"hashes": {"checkpoint/a.ckpt": {"mtime": 1700000000.25, "sha256": sha}}}, f, indent=4)
        String webUi = "{\n    \"hashes\": {\n        \"checkpoint/a.ckpt\": {\n            \"mtime\": 1700000000.25,\n"
                + "            \"sha256\": \"" + SHA_A + "\"\n        }\n    }\n}";
        assertEquals(webUi, Files.readString(cache));
        Files.writeString(cache, "{\n    \"hashes\": {},\n    \"other\": 1\n}");
        WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/a.ckpt", 1700000000.25, SHA_A);
        assertEquals(webUi.substring(0, webUi.length() - 2) + ",\n    \"other\": 1\n}", Files.readString(cache));
    }

    @Test
    void aMissingCacheIsCreated() throws Exception {
        Path cache = tmp.resolve("cache.json");
        String sha = "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556";
        assertNull(WebUiHashCache.lookup(cache, WebUiHashCache.HASHES, "checkpoint/a.ckpt"));
        assertNull(WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/a.ckpt", 1700000000.25, sha));
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
                () -> WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/b", 1.0, sha));
        assertTrue(e.getMessage().startsWith("is not valid JSON"), e.getMessage());
        assertArrayEquals(broken, Files.readAllBytes(cache));

        byte[] wrongSection = "{\"hashes\": [1, 2]}".getBytes(StandardCharsets.UTF_8);
        Files.write(cache, wrongSection);
        assertThrows(WebUiHashCache.CacheFormatException.class, () -> WebUiHashCache.record(cache, WebUiHashCache.HASHES, "checkpoint/b", 1.0, sha));
        assertArrayEquals(wrongSection, Files.readAllBytes(cache));
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
