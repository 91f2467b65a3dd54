package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.PickleBuilder;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.ZipBuilder;

/** {@code sdmodel scan}: output naming file, record and each import with its class; exit 0, 1 or 3. */
class ScanCommandTest {
    @TempDir
    Path dir;

    private static String hostile(String name) {
        return TestFiles.testdata("hostile/" + name).toString();
    }

    @Test
    void namesTheFileTheRecordAndEachImport() {
        String file = hostile("torch-zip-os-system.pt");
        CliRunner r = CliRunner.run("scan", file);
        assertEquals(3, r.exitCode, r.toString());
        assertEquals(String.join("\n",
                file + ": PyTorch checkpoint (zip)",
                "  torch-zip-os-system/data.pkl",
                "    dangerous  posix.system",
                "    safe       torch._utils._rebuild_tensor_v2",
                "    safe       torch.FloatStorage",
                "    safe       collections.OrderedDict",
                "  verdict: DANGEROUS: 1 dangerous, 0 unknown, 3 safe imports", ""), r.out);
        assertEquals("", r.err);
    }

    @Test
    void legacyFilesListEachPickle() {
        CliRunner r = CliRunner.run("scan", hostile("torch-legacy-os-system.pt"));
        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains("  pickle 1\n    (no imports)\n"), r.out);
        assertTrue(r.out.contains("  pickle 4\n    dangerous  posix.system\n"), r.out);
    }

    @Test
    void aCleanCheckpointExitsZero() {
        CliRunner r = CliRunner.run("scan", "--strict", TestFiles.testdata("sd1-train.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("    safe       pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint\n"), r.out);
        assertTrue(r.out.endsWith("  verdict: clean: 0 dangerous, 0 unknown, 9 safe imports\n"), r.out);
    }

    @Test
    void strictCountsUnknownAsDangerous() throws IOException {
        Path file = Files.write(dir.resolve("custom.ckpt"), ZipBuilder.checkpoint(PickleBuilder.protocol(2).op('}')
                .string("model").global("__main__", "MyModel").op(')').op('R').op('s').stop().bytes()));
        CliRunner lenient = CliRunner.run("scan", file.toString());
        assertEquals(0, lenient.exitCode, lenient.toString());
        assertTrue(lenient.out.contains("    unknown    __main__.MyModel\n"), lenient.out);
        assertTrue(lenient.out.contains("  verdict: unknown: 0 dangerous, 1 unknown, 0 safe imports\n"), lenient.out);
        CliRunner strict = CliRunner.run("scan", "--strict", file.toString());
        assertEquals(3, strict.exitCode, strict.toString());
    }

    @Test
    void aDangerousImportBeforeGarbageIsReportedWithTheProblem() throws IOException {
        byte[] pkl = PickleBuilder.protocol(2).global("os", "system").raw(0xff, 0xfe).bytes();
        Path file = Files.write(dir.resolve("garbage.ckpt"), ZipBuilder.checkpoint(pkl));
        CliRunner r = CliRunner.run("scan", file.toString());
        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains("    dangerous  os.system\n"), r.out);
        assertTrue(r.out.contains("  problem: archive/data.pkl: invalid pickle opcode 0xff at byte 13\n"), r.out);
        assertEquals("sdmodel: " + file + ": archive/data.pkl: invalid pickle opcode 0xff at byte 13\n", r.err);
    }

    @Test
    void anUnreadableFileExitsOne() throws IOException {
        Path truncated = dir.resolve("cut.ckpt");
        byte[] whole = Files.readAllBytes(TestFiles.testdata("sd2-v-train.ckpt"));
        Files.write(truncated, Arrays.copyOf(whole, whole.length - 100));
        CliRunner r = CliRunner.run("scan", truncated.toString());
        assertEquals(1, r.exitCode, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("sdmodel: " + truncated + ": "), r.err);
        CliRunner missing = CliRunner.run("scan", dir.resolve("missing.ckpt").toString());
        assertEquals(1, missing.exitCode);
        assertEquals("sdmodel: " + dir.resolve("missing.ckpt") + ": no such file\n", missing.err);
    }

    @Test
    void safetensorsIsCleanAfterValidation() {
        String file = TestFiles.testdata("safetensors/reference/names.safetensors").toString();
        CliRunner r = CliRunner.run("scan", "--strict", file);
        assertEquals(0, r.exitCode, r.toString());
        assertEquals(file + ": safetensors\n  no pickles: safetensors files hold no code\n  verdict: clean\n", r.out);
    }

    @Test
    void jsonForMachinesAndTheWorstExitCodeForSeveralFiles() throws IOException {
        String evil = hostile("os-system_p4.pkl");
        String clean = TestFiles.testdata("sd2-v-train.ckpt").toString();
        CliRunner r = CliRunner.run("scan", "--json", clean, evil);
        assertEquals(3, r.exitCode, r.toString());
        JsonNode all = new ObjectMapper().readTree(r.out);
        assertEquals(2, all.size());
        assertEquals("clean", all.get(0).get("verdict").asText());
        assertEquals("torch_zip", all.get(0).get("format").asText());
        assertEquals(4, all.get(0).get("counts").get("safe").asInt());
        JsonNode e = all.get(1);
        assertEquals(evil, e.get("file").asText());
        assertEquals("dangerous", e.get("verdict").asText());
        assertEquals(List.of("pickle 1"), List.of(e.get("records").get(0).asText()));
        JsonNode imp = e.get("imports").get(0);
        assertEquals(List.of("pickle 1", "posix", "system", "dangerous"), List.of(imp.get("record").asText(),
                imp.get("module").asText(), imp.get("name").asText(), imp.get("safety").asText()));
        // A plain pickle is not a checkpoint: noted as a problem, but the import decides the verdict.
        assertEquals("a pickle, but not a torch checkpoint (wrong magic number)", e.get("problems").get(0).asText());
    }
}
