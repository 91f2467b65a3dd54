package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.WebUiTrees;

/** {@code inspect} on a web UI folder, and what hash --webui says about a LoRA whose metadata names its hash. */
class WebUiInspectTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void inspectAWebUiFolderAsJson() throws Exception {
        Path webui = WebUiTrees.started(tmp.resolve("stable-diffusion-webui"));
        Files.createDirectories(tmp.resolve("data"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--data-dir ../data --lyco-dir ../lycoris --ckpt-dir $UNSET_HERE\"");
        CliRunner r = CliRunner.run("inspect", "--json", webui.toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode all = JSON.readTree(r.out); // --json is an array, also for one input
        assertEquals(1, all.size(), r.out);
        JsonNode j = all.get(0);
        int line = WebUiTrees.argsLine(webui);
        assertEquals("webui-user.sh line " + line, j.get("arguments_source").asText());
        assertEquals(tmp.resolve("data/models/Lora").toString(), j.get("folders").get("lora").get("path").asText());
        assertEquals(tmp.resolve("lycoris").toString(), j.get("folders").get("lycoris").get("path").asText());
        assertEquals("--lyco-dir (--lyco-dir-backcompat) in COMMANDLINE_ARGS (webui-user.sh line " + line + ")",
                j.get("folders").get("lycoris").get("why").asText());
        assertEquals(tmp.resolve("data/cache.json").toString(), j.get("folders").get("cache_json").get("path").asText());
        JsonNode p = j.get("problems").get(0);
        assertEquals(line, p.get("line").asInt());
        assertTrue(p.get("message").asText().startsWith("uses $UNSET_HERE, which is not set here"), p.toString());
        assertEquals("[\"--ckpt-dir\",\"--data-dir\",\"--lyco-dir-backcompat\"]", p.get("flags").toString());
    }

    @Test
    void aFolderThatIsNoWebUi() throws Exception {
        CliRunner r = CliRunner.run("inspect", tmp.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals("sdmodel: " + tmp + ": is a folder, and not a web UI folder (inspect reads model files, or shows a web UI's"
                + " folders)\n", r.err);
    }

    @Test
    void aLoraWhoseMetadataCarriesItsHashGetsANote() throws Exception {
        Path webui = WebUiTrees.started(tmp.resolve("webui"));
        byte[] header = ("{\"__metadata__\":{\"sshs_model_hash\":\"abc\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}").getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(header);
        while (b.position() < 8 + padded) {
            b.put((byte) ' ');
        }
        b.putFloat(1f);
        Path lora = webui.resolve("models/Lora/hashed.safetensors");
        Files.write(lora, b.array());
        CliRunner r = CliRunner.run("hash", "--webui", webui.toString(), lora.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  web UI:  added hashes-addnet lora/hashed in " + webui.resolve("cache.json")), r.out);
        assertTrue(r.out.contains("           note: its metadata has sshs_model_hash, which the web UI's Lora extension takes"
                + " instead of the cache\n"), r.out);
    }
}
