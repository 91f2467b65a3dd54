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
import org.sdmodel.testing.HostileFiles;
import org.sdmodel.testing.PickleBuilder;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.ZipBuilder;

/**
 * {@code sdmodel scan}: output naming file, record and each import with its class; exit 0 only
 * when every import is on the allow list, 3 when one is not, 1 when a file cannot be read.
 */
class ScanCommandTest {
    @TempDir
    Path dir;

    private static String hostile(String name) {
        return TestFiles.testdata("hostile/" + name).toString();
    }

    private Path customClass() throws IOException {
        return Files.write(dir.resolve("custom.ckpt"), ZipBuilder.checkpoint(PickleBuilder.protocol(2).op('}')
                .string("model").global("__main__", "MyModel").op(')').op('R').op('s').stop().bytes()));
    }

    @Test
    void namesTheFileTheRecordAndEachImport() {
        String file = hostile("torch-zip-os-system.pt");
        CliRunner r = CliRunner.run("scan", file);
        assertEquals(3, r.exitCode, r.toString());
        assertEquals(String.join("\n",
                file + ": PyTorch checkpoint (zip)",
                "  torch-zip-os-system/data.pkl",
                "    dangerous    posix.system",
                "    allowed      torch._utils._rebuild_tensor_v2",
                "    allowed      torch.FloatStorage",
                "    allowed      collections.OrderedDict",
                "  verdict: UNSAFE to load with torch.load: 1 dangerous, 0 not allowed, 3 allowed imports", ""), r.out);
        assertEquals("", r.err);
    }

    @Test
    void theReadmeSampleIsWhatScanPrints() throws IOException {
        String readme = Files.readString(TestFiles.projectRoot().resolve("README.md"));
        String section = readme.substring(readme.indexOf("### scan\n"));
        int first = section.indexOf("```\nevil.ckpt");
        String sample = section.substring(first + 4, section.indexOf("```", first + 4));
        byte[] pkl = PickleBuilder.protocol(2).global("collections", "OrderedDict").op(')').op('R')
                .string("x").call("posix", "system", "echo pwned").op('s')
                .string("model").global("__main__", "MyModel").op(')').op('R').op('s')
                .string("w").global("torch._utils", "_rebuild_tensor_v2").op(')').op('R').op('s').stop().bytes();
        Path evil = Files.write(dir.resolve("evil.ckpt"), ZipBuilder.checkpoint(pkl));
        CliRunner r = CliRunner.run("scan", evil.toString());
        assertEquals(3, r.exitCode, r.toString());
        assertEquals(sample, r.out.replace(dir + "/", ""));
    }

    @Test
    void legacyFilesListEachPickle() {
        CliRunner r = CliRunner.run("scan", hostile("torch-legacy-os-system.pt"));
        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains(": PyTorch checkpoint (legacy)\n  pickle 1\n    (no imports)\n"), r.out);
        assertTrue(r.out.contains("  pickle 4\n    dangerous    posix.system\n"), r.out);
    }

    @Test
    void aCheckpointOfAllowedImportsExitsZero() {
        CliRunner r = CliRunner.run("scan", TestFiles.testdata("sd1-train.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("    allowed      pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint\n"), r.out);
        // protocol 2: CPython renames __builtin__ to builtins before importing
        assertTrue(r.out.endsWith("  verdict: clean: all 9 imports are on the allow list\n"), r.out);
    }

    @Test
    void anImportOutsideTheAllowListIsUnsafe() throws IOException {
        Path file = customClass();
        CliRunner r = CliRunner.run("scan", file.toString());
        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains("    not-allowed  __main__.MyModel\n"), r.out);
        assertTrue(r.out.contains("  verdict: UNSAFE to load with torch.load: 0 dangerous, 1 not allowed, 0 allowed imports\n"), r.out);
        // --strict was the opt-in for this; it is accepted and changes nothing
        assertEquals(3, CliRunner.run("scan", "--strict", file.toString()).exitCode);
    }

    @Test
    void allowExtendsTheListForOneRun() throws IOException {
        Path file = customClass();
        CliRunner r = CliRunner.run("scan", "--allow", "__main__.MyModel", file.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("    allowed      __main__.MyModel\n"), r.out);
        CliRunner dangerous = CliRunner.run("scan", "--allow", "os.system", file.toString());
        assertEquals(2, dangerous.exitCode, dangerous.toString());
        assertTrue(dangerous.err.contains("os.system is a dangerous import and cannot be allowed"), dangerous.err);
        assertEquals(2, CliRunner.run("scan", "--allow", "nodot", file.toString()).exitCode);
    }

    @Test
    void denyListOnlyIsTheOldLenientVerdict() throws IOException {
        Path file = customClass();
        CliRunner r = CliRunner.run("scan", "--deny-list-only", file.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("  verdict: no dangerous import, but 1 not allowed (--deny-list-only: not a safety verdict)\n"), r.out);
        assertEquals(3, CliRunner.run("scan", "--deny-list-only", hostile("torch-zip-os-system.pt")).exitCode);
        assertEquals(2, CliRunner.run("scan", "--deny-list-only", "--strict", file.toString()).exitCode);
    }

    @Test
    void quietPrintsOneVerdictLinePerFile() throws IOException {
        Path file = customClass();
        String clean = TestFiles.testdata("sd2-v-train.ckpt").toString();
        CliRunner r = CliRunner.run("scan", "-q", clean, file.toString());
        assertEquals(3, r.exitCode, r.toString());
        assertEquals(clean + ": clean: all 4 imports are on the allow list\n"
                + file + ": UNSAFE to load with torch.load: 0 dangerous, 1 not allowed, 0 allowed imports\n", r.out);
        assertEquals("", r.err);
    }

    @Test
    void convertReadsImportsOutsideTheAllowListAsDataAndWarns() throws IOException {
        // A custom class in the checkpoint: nothing runs it, the output holds only tensors.
        Path file = Files.write(dir.resolve("custom-class.ckpt"), HostileFiles.floatCheckpoint(HostileFiles.stateDictWith(
                new PickleBuilder().string("config").global("mypackage.config", "TrainConfig").op(')').op('R').op('s'))));
        Path out = dir.resolve("custom-class.safetensors");
        CliRunner r = CliRunner.run("convert", file.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(out));
        assertTrue(r.err.startsWith("sdmodel: warning: " + file + ": an import outside the allow list "
                + "(mypackage.config.TrainConfig): read as inert data, never run; do not load this file with torch.load"), r.err);
        // A dangerous import is still refused, as before.
        CliRunner evil = CliRunner.run("convert", hostile("torch-zip-os-system.pt"), "-o", dir.resolve("evil.safetensors").toString());
        assertEquals(3, evil.exitCode, evil.toString());
        assertTrue(evil.err.contains("dangerous import posix.system"), evil.err);
    }

    @Test
    void aDangerousImportBeforeGarbageIsReportedWithTheProblem() throws IOException {
        byte[] pkl = PickleBuilder.protocol(2).global("os", "system").raw(0xff, 0xfe).bytes();
        Path file = Files.write(dir.resolve("garbage.ckpt"), ZipBuilder.checkpoint(pkl));
        CliRunner r = CliRunner.run("scan", file.toString());
        assertEquals(3, r.exitCode, r.toString());
        assertTrue(r.out.contains("    dangerous    os.system\n"), r.out);
        String problem = "archive/data.pkl: invalid pickle opcode 0xff at byte 13 (CPython fails too: invalid load key)";
        assertTrue(r.out.contains("  problem: " + problem + "\n"), r.out);
        assertEquals("sdmodel: " + file + ": " + problem + "\n", r.err);
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
        CliRunner r = CliRunner.run("scan", file);
        assertEquals(0, r.exitCode, r.toString());
        assertEquals(file + ": safetensors\n  no pickles: safetensors files hold no code\n  verdict: clean: no imports\n", r.out);
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
        assertEquals("allow-list", all.get(0).get("mode").asText());
        assertEquals(4, all.get(0).get("counts").get("allowed").asInt());
        JsonNode e = all.get(1);
        assertEquals(evil, e.get("file").asText());
        assertEquals("unsafe", e.get("verdict").asText());
        assertEquals("pickle", e.get("container").asText());
        assertEquals(List.of("pickle 1"), List.of(e.get("records").get(0).asText()));
        JsonNode imp = e.get("imports").get(0);
        assertEquals(List.of("pickle 1", "posix", "system", "posix.system", "dangerous"), List.of(imp.get("record").asText(),
                imp.get("module").asText(), imp.get("name").asText(), imp.get("imported_as").asText(),
                imp.get("safety").asText()));
        assertEquals(0, e.get("problems").size());
    }
}
