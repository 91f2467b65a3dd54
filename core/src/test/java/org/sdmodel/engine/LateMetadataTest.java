package org.sdmodel.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.testing.SameTensors;

/**
 * A plan whose metadata is known only once its tensors are written (a merge's recipe, whose
 * SHA-256s are computed meanwhile): the file must be the one written with that metadata from the
 * start, byte for byte when the header has the length laid out, else a valid file padded or
 * rewritten; a failure to supply it leaves nothing.
 */
class LateMetadataTest {
    @TempDir
    Path dir;

    private static final String PENDING = "x".repeat(64);
    private static final String REAL = "0123456789abcdef".repeat(4);

    private static TensorPlan plan(Map<String, String> metadata) {
        Tensor a = ChunkedEvaluationTest.random(DType.F32, new long[] {700, 900}, 1);
        Tensor b = ChunkedEvaluationTest.random(DType.F16, new long[] {333}, 2);
        return TensorPlan.of(List.of(new TensorPlan.Entry("a", Expr.convert(Expr.source("a", a), DType.F16)),
                new TensorPlan.Entry("b", Expr.source("b", b))), metadata);
    }

    private static Map<String, String> metadata(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aHeaderOfTheLengthLaidOutGivesTheFileWrittenWithItFromTheStart() throws Exception {
        Map<String, String> last = metadata("format", "pt", "hash", REAL);
        Path direct = dir.resolve("direct.safetensors");
        ModelWriter.write(plan(last), direct, WriteOptions.defaults());
        Path late = dir.resolve("late.safetensors");
        WriteResult r = ModelWriter.write(plan(metadata("format", "pt", "hash", PENDING)).withLateMetadata(() -> last),
                late, WriteOptions.defaults().withVerify(true));
        assertEquals(-1, Files.mismatch(direct, late));
        assertTrue(r.nanos().containsKey(WritePhase.HEADER), r.nanos().toString());
    }

    @Test
    void aShorterHeaderIsPaddedWithSpacesAndReads() throws Exception {
        Map<String, String> last = metadata("format", "pt");
        Path late = dir.resolve("late.safetensors");
        TensorPlan laidOut = plan(metadata("format", "pt", "sd_merge_models", "{\"" + PENDING + "\": {}, \"" + PENDING
                + "2\": {}}"));
        long headerLaidOut = laidOut.layout().header().length;
        ModelWriter.write(laidOut.withLateMetadata(() -> last), late, WriteOptions.defaults());
        byte[] file = Files.readAllBytes(late);
        long jsonLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(headerLaidOut, 8 + jsonLength);
        String json = new String(file, 8, (int) jsonLength, StandardCharsets.UTF_8);
        byte[] shortest = plan(last).layout().header();
        String unpadded = new String(shortest, 8, shortest.length - 8, StandardCharsets.UTF_8).strip();
        assertEquals(unpadded, json.strip());
        assertTrue(json.endsWith("   "), "padded with spaces");
        try (ModelFile written = ModelFile.open(late)) {
            assertEquals(last, written.metadata());
            SameTensors.assertSameTensors(tensors(plan(last)), written.stateDict().tensors());
        }
    }

    @Test
    void aLongerHeaderIsWrittenAgainWholeAndTheFileIsRight() throws Exception {
        Map<String, String> last = metadata("format", "pt", "hash", REAL, "more", "y".repeat(500));
        Path direct = dir.resolve("direct.safetensors");
        ModelWriter.write(plan(last), direct, WriteOptions.defaults());
        Path late = dir.resolve("late.safetensors");
        ModelWriter.write(plan(metadata("format", "pt")).withLateMetadata(() -> last), late, WriteOptions.defaults());
        assertEquals(-1, Files.mismatch(direct, late));
    }

    @Test
    void aFailureToGiveTheMetadataLeavesNothing() throws Exception {
        Path late = dir.resolve("late.safetensors");
        IOException e = assertThrows(IOException.class, () -> ModelWriter.write(
                plan(metadata("format", "pt")).withLateMetadata(() -> {
                    throw new IOException("the hashing failed");
                }), late, WriteOptions.defaults()));
        assertEquals("the hashing failed", e.getMessage());
        assertEquals(List.of(), listing());
    }

    @Test
    void bytesReadAndWrittenAreCounted() throws Exception {
        TensorPlan p = plan(metadata("format", "pt"));
        Path out = dir.resolve("out.safetensors");
        WriteResult r = ModelWriter.write(p, out, WriteOptions.defaults());
        long header = p.layout().header().length;
        long sources = 700 * 900 * 4 + 333 * 2; // a read as F32 (then converted), b as F16
        assertEquals(Files.size(out), r.bytesWritten());
        assertEquals(sources + header, r.bytesRead()); // the header is read back by the self-check

        Path verified = dir.resolve("verified.safetensors");
        WriteResult v = ModelWriter.write(p, verified, WriteOptions.defaults().withVerify(true));
        long outputTensors = 700 * 900 * 2 + 333 * 2;
        assertEquals(sources + header + outputTensors + sources, v.bytesRead()); // and verify re-reads both
    }

    @Test
    void withoutSyncTheFileIsTheSame() throws Exception {
        TensorPlan p = plan(metadata("format", "pt"));
        Path synced = dir.resolve("synced.safetensors");
        Path unsynced = dir.resolve("unsynced.safetensors");
        ModelWriter.write(p, synced, WriteOptions.defaults());
        ModelWriter.write(p, unsynced, WriteOptions.defaults().withSync(false));
        assertEquals(-1, Files.mismatch(synced, unsynced));
        assertEquals(List.of("synced.safetensors", "unsynced.safetensors"), listing());
    }

    @Test
    void theDefaultIsOneWorkerPerProcessorAtMostEight() {
        int cores = Math.min(8, Runtime.getRuntime().availableProcessors());
        assertEquals(cores, WriteOptions.defaults().threads());
        assertEquals(cores, org.sdmodel.prune.PruneOptions.defaults().threads());
        assertTrue(WriteOptions.defaults().sync());
    }

    private static Map<String, Tensor> tensors(TensorPlan p) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorPlan.Entry e : p.entries()) {
            ByteBuffer b = ModelWriter.evaluate(e.expr(), Integer.MAX_VALUE);
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.put(e.name(), new org.sdmodel.testing.BytesTensor(e.dtype(), e.shape(), bytes));
        }
        return out;
    }

    @Test
    void headerPaddingKeepsTheTensorsWhereTheyWere() {
        TensorPlan p = plan(metadata("format", "pt", "long", "z".repeat(300)));
        var laidOut = p.layout();
        var shorter = laidOut.withMetadata(metadata("format", "pt"));
        assertArrayEquals(new long[] {laidOut.fileSize(), laidOut.dataOffset("a"), laidOut.dataOffset("b")},
                new long[] {shorter.fileSize(), shorter.dataOffset("a"), shorter.dataOffset("b")});
    }
}
