package org.sdmodel.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.testing.TestFiles;

/**
 * The merge arithmetic against torch 2.11's own results ({@code ../shared/oracles/merge_arith.py}):
 * every pair of float32, float16 and bfloat16 operands, six multipliers, random values plus
 * signed zeros, subnormals, values at each format's limits, infinities and NaN. Every element must
 * have torch's bits.
 */
class MergeArithmeticOracleTest {

    static Path oracle() {
        Path file = TestFiles.projectRoot().resolveSibling("shared").resolve("oracles")
                .resolve("merge-arith-torch2.11.safetensors");
        if (!Files.isRegularFile(file)) {
            assumeTrue(System.getenv("CI") == null, "CI run without " + file);
            assumeTrue(false, "no " + file);
        }
        return file;
    }

    @Test
    void weightedSumDifferenceAndAddDifferenceAreTorch2BitForBit() throws Exception {
        try (ModelFile f = ModelFile.open(oracle())) {
            Map<String, Tensor> t = f.stateDict().tensors();
            String[] multipliers = f.metadata().get("multipliers").split(",");
            List<String> failures = new ArrayList<>();
            int checked = 0;
            for (String x : new String[] {"f32", "f16", "bf16"}) {
                for (String y : new String[] {"f32", "f16", "bf16"}) {
                    String k = x + "-" + y;
                    Expr a = Expr.source(k + "/a", t.get(k + "/a"));
                    Expr b = Expr.source(k + "/b", t.get(k + "/b"));
                    checked += compare(new Expr.Subtract(a, b), t.get(k + "/diff"), k + "/diff", failures);
                    for (String m : multipliers) {
                        double mult = Double.parseDouble(m);
                        checked += compare(Expr.weightedSum(a, b, mult), t.get(k + "/M=" + m + "/ws"), k + "/M=" + m + "/ws", failures);
                        checked += compare(Expr.addScaled(a, b, mult), t.get(k + "/M=" + m + "/ad"), k + "/M=" + m + "/ad", failures);
                    }
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " tensors differ:\n" + String.join("\n", failures));
            assertEquals(9 * (1 + 2 * multipliers.length), checked);
        }
    }

    /** Evaluates {@code e} and compares it with torch's tensor; returns 1. */
    static int compare(Expr e, Tensor torch, String name, List<String> failures) throws Exception {
        if (e.dtype() != torch.dtype()) {
            failures.add(name + ": dtype " + e.dtype() + ", torch has " + torch.dtype());
            return 1;
        }
        int n = (int) torch.numel();
        ByteBuffer ours = ByteBuffer.allocate((int) torch.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        new Evaluator().evaluate(e, 0, n, ours, new ConversionStats());
        ours.flip();
        ByteBuffer theirs = torch.readAll(1 << 24);
        int size = torch.dtype().elementSize();
        for (int i = 0; i < n; i++) {
            long o = bits(ours, i, size);
            long w = bits(theirs, i, size);
            if (o != w) {
                failures.add(String.format("%s[%d]: %x, torch %x", name, i, o, w));
                return 1;
            }
        }
        return 1;
    }

    private static long bits(ByteBuffer b, int i, int size) {
        return size == 4 ? b.getInt(i * 4) & 0xFFFF_FFFFL : size == 2 ? b.getShort(i * 2) & 0xFFFF : b.getLong(i * 8);
    }

    @Test
    void typePromotionIsTorchs() {
        assertEquals(DType.F32, TorchTypes.promote(DType.F16, DType.BF16, "+"));
        assertEquals(DType.F32, TorchTypes.promote(DType.F16, DType.F32, "+"));
        assertEquals(DType.F64, TorchTypes.promote(DType.BF16, DType.F64, "+"));
        assertEquals(DType.F16, TorchTypes.promote(DType.I64, DType.F16, "+"));
        assertEquals(DType.I16, TorchTypes.promote(DType.U8, DType.I8, "-"));
        assertEquals(DType.I64, TorchTypes.promote(DType.I32, DType.I64, "-"));
        assertEquals(DType.F32, TorchTypes.scaled(DType.I64));
        assertEquals(DType.BF16, TorchTypes.scaled(DType.BF16));
    }
}
