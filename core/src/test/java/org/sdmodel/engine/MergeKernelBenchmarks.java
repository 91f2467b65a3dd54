package org.sdmodel.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sdmodel.DType;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.FloatBits;
import org.sdmodel.testing.BytesTensor;

/**
 * The merge's inner loop on its own: one worker evaluating 16 Mi float16 elements (32 MiB per
 * model, from memory) chunk by chunk, as {@link ModelWriter} does, for weighted sum and add
 * difference; elements per second = 16.8e6 / score. Run with {@code testdata/bench/jmh.sh
 * MergeKernelBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MergeKernelBenchmarks {
    static final int ELEMENTS = 16 << 20;

    Expr weightedSum;
    Expr addDifference;
    Evaluator evaluator;
    ByteBuffer out;

    @Setup(Level.Trial)
    public void setUp() {
        Expr a = Expr.source("a", model(1));
        Expr b = Expr.source("b", model(2));
        Expr c = Expr.source("c", model(3));
        weightedSum = Expr.weightedSum(a, b, 0.3);
        addDifference = Expr.addScaled(a, new Expr.Subtract(b, c), 0.5);
        evaluator = new Evaluator();
        out = ByteBuffer.allocateDirect(2 * ModelWriter.CHUNK_ELEMENTS).order(ByteOrder.LITTLE_ENDIAN);
    }

    static BytesTensor model(long seed) {
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.allocate(2 * ELEMENTS).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ELEMENTS; i++) {
            b.putShort((short) FloatBits.f32ToF16(Float.floatToRawIntBits((float) (r.nextGaussian() * 0.02))));
        }
        return new BytesTensor(DType.F16, new long[] {ELEMENTS}, b.array());
    }

    private ByteBuffer all(Expr e) throws IOException {
        ConversionStats stats = new ConversionStats();
        for (int first = 0; first < ELEMENTS; first += ModelWriter.CHUNK_ELEMENTS) {
            out.clear();
            evaluator.evaluate(e, first, ModelWriter.CHUNK_ELEMENTS, out, stats);
        }
        return out;
    }

    @Benchmark
    public ByteBuffer weightedSumF16() throws IOException {
        return all(weightedSum);
    }

    @Benchmark
    public ByteBuffer addDifferenceF16() throws IOException {
        return all(addDifference);
    }
}
