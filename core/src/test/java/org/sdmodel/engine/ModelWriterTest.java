package org.sdmodel.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.Tensor;
import org.sdmodel.zstd.ZstdSettings;

/** The engine's guarantees around the data: where it refuses to write, and what a failure leaves. */
class ModelWriterTest {
    @TempDir
    Path dir;

    private static TensorPlan plan(Tensor t) {
        return TensorPlan.of(List.of(new TensorPlan.Entry("w", Expr.source("w", t))), Map.of("format", "pt"));
    }

    private static Tensor ones() {
        return ChunkedEvaluationTest.random(DType.F32, new long[] {1000, 700}, 7);
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void neverOverAnInputNorAnExistingFile() throws Exception {
        Path input = Files.writeString(dir.resolve("in.ckpt"), "x");
        Path existing = Files.writeString(dir.resolve("out.safetensors"), "old");
        TensorPlan p = plan(ones()).withInputs(input);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> ModelWriter.write(p, input, WriteOptions.defaults().withOverwrite(true)));
        assertTrue(e.getReason().contains("is an input"), e.getReason());
        assertThrows(FileAlreadyExistsException.class, () -> ModelWriter.write(p, existing, WriteOptions.defaults()));
        assertEquals("old", Files.readString(existing));
        assertEquals(List.of("in.ckpt", "out.safetensors"), listing());
    }

    @Test
    void anExistingSideFileIsRefusedBeforeWriting() throws Exception {
        Path yaml = Files.writeString(dir.resolve("config.yaml"), "model: {}\n");
        Files.writeString(dir.resolve("out.yaml"), "mine");
        TensorPlan p = plan(ones()).withSidecar(new TensorPlan.Sidecar(yaml, ".yaml"));
        assertThrows(FileAlreadyExistsException.class, () -> ModelWriter.write(p, dir.resolve("out.safetensors"), WriteOptions.defaults()));
        assertEquals(List.of("config.yaml", "out.yaml"), listing());
        WriteResult r = ModelWriter.write(p, dir.resolve("out.safetensors"), WriteOptions.defaults().withOverwrite(true));
        assertEquals("model: {}\n", Files.readString(dir.resolve("out.yaml")));
        assertEquals(List.of(dir.resolve("out.yaml")), r.sidecars());
    }

    @Test
    void aSourceThatEndsEarlyLeavesNothing() throws Exception {
        Tensor full = ones();
        Tensor truncated = new Tensor() {
            @Override
            public DType dtype() {
                return full.dtype();
            }

            @Override
            public long[] shape() {
                return full.shape();
            }

            @Override
            public int read(long position, ByteBuffer dst) throws java.io.IOException {
                if (position >= 1_000_000) {
                    throw new EOFException("storage ends at 1000000");
                }
                return full.read(position, dst);
            }
        };
        SourceReadException e = assertThrows(SourceReadException.class,
                () -> ModelWriter.write(plan(truncated), dir.resolve("out.safetensors"), WriteOptions.defaults().withThreads(2)));
        assertEquals("w", e.origin());
        assertTrue(e.getMessage().startsWith("w: the file ends early"), e.getMessage());
        assertEquals(List.of(), listing());
    }

    @Test
    void aNameSafetensorsCannotHold() {
        TensorPlan p = TensorPlan.of(List.of(new TensorPlan.Entry("__metadata__", Expr.source("x", ones()))), null);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelWriter.write(p, dir.resolve("out.safetensors"), WriteOptions.defaults()));
        assertTrue(e.getMessage().startsWith("cannot be written as safetensors"), e.getMessage());
    }

    @Test
    void zstdOutputDecompressesToTheSafetensorsFile() throws Exception {
        Tensor t = ones();
        WriteResult r = ModelWriter.write(plan(t), dir.resolve("out.safetensors.zst"),
                WriteOptions.defaults().withZstd(ZstdSettings.defaults()).withVerify(true));
        assertEquals(Files.size(dir.resolve("out.safetensors.zst")), r.fileBytes());
        assertTrue(r.compressed().uncompressedBytes() == r.safetensorsBytes());
        try (ModelFile f = ModelFile.open(dir.resolve("out.safetensors.zst"))) {
            assertEquals(t.readAll(1 << 30), f.stateDict().tensors().get("w").readAll(1 << 30));
        }
        assertTrue(r.nanos().containsKey(WritePhase.COMPRESS) && r.nanos().containsKey(WritePhase.VERIFY));
        assertEquals(List.of("out.safetensors.zst"), listing());
    }
}
