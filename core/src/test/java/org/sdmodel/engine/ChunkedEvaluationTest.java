package org.sdmodel.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.convert.FloatBits;
import org.sdmodel.testing.BytesTensor;

/**
 * Tensors of many chunks, written by several workers: narrow, overwrite and transpose cut at
 * chunk boundaries must give what the same operations give done by hand on whole arrays.
 */
class ChunkedEvaluationTest {
    @TempDir
    Path tmp;

    static BytesTensor random(DType t, long[] shape, long seed) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) t.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = (float) r.nextGaussian();
            if (t == DType.F32) {
                b.putFloat(v);
            } else {
                b.putShort((short) FloatBits.f32ToF16(Float.floatToRawIntBits(v)));
            }
        }
        return new BytesTensor(t, shape, b.array());
    }

    @Test
    void inpaintingMergeAcrossChunksIsTheMergeOfTheCopiedChannels() throws Exception {
        int o = 300;
        int hw = 33 * 35;
        BytesTensor a = random(DType.F16, new long[] {o, 9, 33, 35}, 1);
        BytesTensor b = random(DType.F32, new long[] {o, 4, 33, 35}, 2);
        Expr ea = Expr.source("a", a);
        Expr merged = new Expr.Overwrite(ea, 1, 0,
                Expr.convert(Expr.weightedSum(new Expr.Narrow(ea, 1, 0, 4), Expr.source("b", b), 0.3), DType.F16));

        // by hand: copy A's first 4 channels out, merge them whole, put them back
        byte[] first4 = new byte[o * 4 * hw * 2];
        for (int i = 0; i < o; i++) {
            System.arraycopy(a.bytes(), i * 9 * hw * 2, first4, i * 4 * hw * 2, 4 * hw * 2);
        }
        Expr whole = Expr.convert(Expr.weightedSum(Expr.source("a4", new BytesTensor(DType.F16, new long[] {o, 4, 33, 35}, first4)),
                Expr.source("b", b), 0.3), DType.F16);
        byte[] mergedFirst4 = bytes(ModelWriter.evaluate(whole, 1 << 30));
        byte[] expected = a.bytes().clone();
        for (int i = 0; i < o; i++) {
            System.arraycopy(mergedFirst4, i * 4 * hw * 2, expected, i * 9 * hw * 2, 4 * hw * 2);
        }
        assertEquals(ByteBuffer.wrap(expected), written(merged));
    }

    @Test
    void transposeAndNarrowAcrossChunks() throws Exception {
        int rows = 1500;
        int cols = 700;
        BytesTensor t = random(DType.F32, new long[] {rows, cols}, 3);
        ByteBuffer in = ByteBuffer.wrap(t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer expected = ByteBuffer.allocate(t.bytes().length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                expected.putInt(in.getInt((r * cols + c) * 4));
            }
        }
        assertEquals(expected.flip(), written(new Expr.Transpose(Expr.source("t", t))));

        ByteBuffer middleRows = ByteBuffer.wrap(t.bytes(), 500 * cols * 4, 500 * cols * 4).slice();
        assertEquals(middleRows, written(new Expr.Narrow(Expr.source("t", t), 0, 500, 500)));
    }

    /** Writes {@code e} alone with four workers and reads its bytes back. */
    private ByteBuffer written(Expr e) throws Exception {
        Path out = tmp.resolve("t" + System.nanoTime() + ".safetensors");
        ModelWriter.write(TensorPlan.of(List.of(new TensorPlan.Entry("x", e)), Map.of()), out,
                WriteOptions.defaults().withThreads(4).withVerify(true));
        try (ModelFile f = ModelFile.open(out)) {
            return f.stateDict().tensors().get("x").readAll(1 << 30);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
