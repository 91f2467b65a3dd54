package org.sdmodel.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.convert.Precision;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.PickleBuilder;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.ZipBuilder;

/**
 * Float8 files: written with the safetensors names {@code F8_E4M3} and {@code F8_E5M2}, read back,
 * read from torch checkpoints, and left alone by every precision (float8 is not converted again).
 */
class Float8FilesTest {
    @TempDir
    Path tmp;

    @Test
    void pruneWritesTheSafetensorsFloat8NamesAndReadsThemBack() throws IOException {
        for (Precision p : new Precision[] {Precision.FP8_E4M3FN, Precision.FP8_E5M2}) {
            Path out = prune(TestFiles.testdata("sd1-train.ckpt"), p, p.label() + ".safetensors");
            String header = header(out);
            String name = p == Precision.FP8_E4M3FN ? "F8_E4M3" : "F8_E5M2";
            assertTrue(header.contains("\"model.diffusion_model.out.2.weight\":{\"dtype\":\"" + name + "\""), header);
            try (ModelFile written = ModelFile.open(out)) {
                Tensor t = written.stateDict().tensors().get("model.diffusion_model.input_blocks.0.0.weight");
                assertEquals(p == Precision.FP8_E4M3FN ? DType.F8_E4M3 : DType.F8_E5M2, t.dtype());
                assertArrayEquals(new long[] {8, 4, 3, 3}, t.shape());
                assertEquals(288, t.byteSize());
                assertEquals(DType.F16, written.stateDict().tensors().get("model.diffusion_model.input_blocks.0.0.bias").dtype());
            }
        }
    }

    /** A float8 file pruned again keeps its float8 tensors byte for byte, at any precision. */
    @Test
    void float8TensorsKeepTheirTypeAtEveryPrecision() throws IOException {
        Path fp8 = prune(TestFiles.testdata("sd1-train.ckpt"), Precision.FP8_E4M3FN, "fp8.safetensors");
        Map<String, String> before = digests(fp8, DType.F8_E4M3);
        for (Precision p : Precision.values()) {
            Path again = prune(fp8, p, "again-" + p.label() + ".safetensors");
            assertEquals(before, digests(again, DType.F8_E4M3), p.label());
        }
    }

    /**
     * torch 2.x pickles a float8 tensor as a tensor over a {@code torch.Float8_e4m3fnStorage}
     * (or {@code Float8_e5m2Storage}); such a checkpoint reads with the float8 dtypes.
     */
    @Test
    void float8TensorsOfATorchCheckpointReadAsFloat8() throws IOException {
        byte[] pickle = PickleBuilder.protocol(2).op('}').op('(')
                .string("e4m3").tensor("Float8_e4m3fnStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .string("e5m2").tensor("Float8_e5m2Storage", "1", 4, 0, new long[] {4}, new long[] {1})
                .op('u').stop().bytes();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", new byte[] {0x38, (byte) 0xB8, 0x7E, (byte) 0xFE, 0x7F, 0x01});
        storages.put("1", new byte[] {0x3C, 0x7B, 0x7C, 0x7F});
        Path file = tmp.resolve("fp8.pt");
        Files.write(file, ZipBuilder.checkpoint("fp8", pickle, storages));
        try (ModelFile model = ModelFile.open(file)) {
            Tensor a = model.stateDict().tensors().get("e4m3");
            Tensor b = model.stateDict().tensors().get("e5m2");
            assertEquals(DType.F8_E4M3, a.dtype());
            assertEquals(DType.F8_E5M2, b.dtype());
            assertArrayEquals(storages.get("0"), bytes(a));
            assertArrayEquals(storages.get("1"), bytes(b));
            // and through prune: kept as they are
            Path out = prune(file, Precision.FP16, "from-torch.safetensors");
            try (ModelFile written = ModelFile.open(out)) {
                assertEquals(DType.F8_E4M3, written.stateDict().tensors().get("e4m3").dtype());
                assertArrayEquals(storages.get("1"), bytes(written.stateDict().tensors().get("e5m2")));
            }
        }
    }

    private Path prune(Path input, Precision precision, String name) throws IOException {
        Path out = tmp.resolve(name);
        try (ModelFile model = ModelFile.open(input)) {
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults().withEma(EmaPolicy.KEEP).withPrecision(precision));
            // verified: re-read and compared with the plan recomputed
            ModelWriter.write(plan.tensors(Map.of("format", "pt")), out, WriteOptions.defaults().withVerify(true));
        }
        return out;
    }

    private static Map<String, String> digests(Path file, DType type) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (ModelFile model = ModelFile.open(file)) {
            for (Map.Entry<String, Tensor> e : model.stateDict().tensors().entrySet()) {
                if (e.getValue().dtype() == type) {
                    out.put(e.getKey(), Expectations.sha256(e.getValue()));
                }
            }
        }
        assertTrue(out.size() > 5, "float8 tensors in " + file);
        return out;
    }

    private static byte[] bytes(Tensor t) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        t.readFully(0, b);
        return b.array();
    }

    private static String header(Path safetensors) throws IOException {
        byte[] all = Files.readAllBytes(safetensors);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return new String(all, 8, (int) n, StandardCharsets.UTF_8);
    }
}
