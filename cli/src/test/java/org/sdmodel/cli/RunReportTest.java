package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.testing.TestFiles;

/**
 * What a run reports about itself and how it writes: {@code --json}'s phase times and bytes,
 * {@code --no-sync}, and a merge whose header (the inputs' SHA-256s, hashed while the tensors are
 * written) is written last.
 */
class RunReportTest {
    @TempDir
    Path dir;

    private static final Path TRAIN = TestFiles.testdata("sd1-train.ckpt");

    private static JsonNode only(CliRunner r) throws Exception {
        assertEquals(0, r.exitCode, r.toString());
        JsonNode all = new ObjectMapper().readTree(r.out);
        assertEquals(1, all.size(), r.out);
        return all.get(0);
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> i = object.fieldNames(); i.hasNext(); ) {
            out.add(i.next());
        }
        return out;
    }

    private static long headerBytes(Path safetensors) throws Exception {
        byte[] first = new byte[8];
        try (var in = Files.newInputStream(safetensors)) {
            assertEquals(8, in.read(first));
        }
        return 8 + ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void pruneJsonSaysWhereTheTimeWentAndWhatWasReadAndWritten() throws Exception {
        Path out = dir.resolve("out.safetensors");
        JsonNode j = only(CliRunner.run("prune", TRAIN.toString(), "-o", out.toString(), "--json"));
        JsonNode phases = j.get("phases");
        assertEquals(List.of("open", "plan", "write", "check", "commit"), names(phases));
        double sum = 0;
        for (JsonNode p : phases) {
            assertTrue(p.asDouble() >= 0, phases.toString());
            sum += p.asDouble();
        }
        assertTrue(sum <= j.get("seconds").asDouble() + 1e-3, sum + " > " + j.get("seconds"));
        assertEquals(Files.size(out), j.get("bytes_written").asLong());
        // every kept tensor's source read once (an EMA weight from its EMA copy), and the header read back
        long sources = 0;
        try (ModelFile m = ModelFile.open(TRAIN)) {
            for (PrunePlan.Item item : PrunePlan.of(m, PruneOptions.defaults()).items()) {
                sources += item.source().byteSize();
            }
        }
        assertEquals(sources + headerBytes(out), j.get("bytes_read").asLong());

        JsonNode verified = only(CliRunner.run("prune", TRAIN.toString(), "-o", out.toString(), "--json", "--force",
                "--verify"));
        assertEquals(List.of("open", "plan", "write", "check", "verify", "commit"), names(verified.get("phases")));
        long outputTensors = Files.size(out) - headerBytes(out);
        assertEquals(2 * sources + headerBytes(out) + outputTensors, verified.get("bytes_read").asLong());
    }

    /**
     * A merge of a model with itself: the recipe names the same SHA-256 twice and its family tree
     * holds it once (a Python dict), so the header is shorter than the one laid out with two
     * placeholders, and is padded; safetensors (the Python library) reads the file as written.
     */
    @Test
    void aMergeOfAModelWithItselfRecordsItsHashAndPadsTheHeader() throws Exception {
        Path b = Files.copy(TestFiles.testdata("merge/b.safetensors"), dir.resolve("b.safetensors"));
        Path out = dir.resolve("out.safetensors");
        JsonNode j = only(CliRunner.run("merge", b.toString(), b.toString(), "-o", out.toString(), "--json"));
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(b)));
        JsonNode recipe = new ObjectMapper().readTree(j.get("metadata").get("sd_merge_recipe").asText());
        assertEquals(sha256, recipe.get("primary_model_hash").asText());
        assertEquals(sha256, recipe.get("secondary_model_hash").asText());
        // as the web UI builds it, a Python dict: A's hash, A's own family tree, then B's hash (the
        // same key: its value replaced in place) and B's family tree (the same keys again)
        java.util.LinkedHashMap<String, Boolean> expected = new java.util.LinkedHashMap<>();
        expected.put(sha256, true);
        try (ModelFile in = ModelFile.open(b)) {
            names(new ObjectMapper().readTree(in.metadata().get("sd_merge_models"))).forEach(k -> expected.put(k, true));
        }
        assertTrue(expected.size() > 1, "b.safetensors is a merge with a family tree");
        JsonNode models = new ObjectMapper().readTree(j.get("metadata").get("sd_merge_models").asText());
        assertEquals(List.copyOf(expected.keySet()), names(models));
        assertEquals(List.of("open", "plan", "write", "header", "check", "commit"), names(j.get("phases")));
        assertTrue(j.get("hashing_seconds").asDouble() > 0, j.toString());
        assertTrue(j.get("bytes_read").asLong() >= 2 * Files.size(b), j.toString()); // hashed twice, and merged

        byte[] file = Files.readAllBytes(out);
        int json = (int) (headerBytes(out) - 8);
        assertTrue(new String(file, 8, json, java.nio.charset.StandardCharsets.UTF_8).endsWith("        "),
                "the header is padded");
        try (ModelFile m = ModelFile.open(out)) {
            assertEquals(j.get("metadata").get("sd_merge_recipe").asText(), m.metadata().get("sd_merge_recipe"));
        }
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import sys\n"
                + "from safetensors import safe_open\n"
                + "with safe_open(sys.argv[1], 'np') as f:\n"
                + "    print(len(list(f.keys())), f.metadata()['sd_merge_models'])\n", out.toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assumeTrue(!said.contains("No module named"), "no safetensors for /usr/bin/python3");
        assertEquals(0, p.exitValue(), said);
        assertEquals(j.get("tensors").asInt() + " " + j.get("metadata").get("sd_merge_models").asText(), said);
    }

    @Test
    void noSyncWritesTheSameFile() throws Exception {
        Path synced = dir.resolve("synced.safetensors");
        Path unsynced = dir.resolve("unsynced.safetensors");
        assertEquals(0, CliRunner.run("prune", TRAIN.toString(), "-o", synced.toString(), "--quiet").exitCode);
        CliRunner r = CliRunner.run("prune", TRAIN.toString(), "-o", unsynced.toString(), "--quiet", "--no-sync");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals(-1, Files.mismatch(synced, unsynced));
        for (String command : List.of("convert", "merge", "extract", "compress", "decompress")) {
            CliRunner help = CliRunner.run(command, "--help");
            assertTrue(help.out.contains("--no-sync"), command + ": " + help.out);
        }
    }

    /** Counted with strace in a child JVM: with --no-sync the output is never flushed to disk, without it it is. */
    @Test
    void noSyncMeansNoFsync() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "no strace");
        assertTrue(syncCalls(false) > 0, "a durable write syncs the output");
        assertEquals(0, syncCalls(true));
    }

    private long syncCalls(boolean noSync) throws Exception {
        Path out = dir.resolve("strace-" + noSync + ".safetensors");
        Path log = dir.resolve("strace-" + noSync + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/strace", "-f", "-qq", "-e",
                "trace=fsync,fdatasync,msync,sync_file_range,syncfs,sync", "-o", log.toString(), java, "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "prune", TRAIN.toString(), "-o",
                out.toString(), "--quiet"));
        if (noSync) {
            cmd.add("--no-sync");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assumeTrue(p.exitValue() == 0 || !said.contains("ptrace"), "strace cannot trace here: " + said);
        assertEquals(0, p.exitValue(), said);
        assertTrue(Files.size(out) > 0);
        return Files.readAllLines(log).stream().filter(l -> l.contains("sync")).count();
    }

    @Test
    void theThreadsDefaultIsOnePerProcessor() {
        for (String command : List.of("prune", "merge")) {
            CliRunner help = CliRunner.run(command, "--help");
            assertTrue(help.out.contains("Worker threads (default: one per processor, at most 8)"), help.out);
        }
    }
}
