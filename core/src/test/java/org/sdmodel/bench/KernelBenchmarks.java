package org.sdmodel.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.ElementConverter;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * The inner loops of prune, each on its own, so that a change to one can be judged alone. Each
 * operation handles one 64 MiB block of fp32 weights; JMH reports seconds per operation, so
 * GB/s = 0.067 / score. Run with {@code testdata/bench/jmh.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KernelBenchmarks {
    static final int BYTES = 64 << 20;

    ByteBuffer f32;
    ByteBuffer half;
    ElementConverter toF16;
    ElementConverter toBf16;
    Path dir;
    ModelFile file;
    Tensor tensor;
    FileChannel out;
    SafetensorsWriter writer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        f32 = ByteBuffer.allocateDirect(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(42);
        while (f32.hasRemaining()) {
            f32.putFloat((float) (r.nextGaussian() * 0.02)); // the distribution of trained weights
        }
        f32.flip();
        half = ByteBuffer.allocateDirect(BYTES / 2).order(ByteOrder.LITTLE_ENDIAN);
        toF16 = ElementConverter.of(DType.F32, DType.F16);
        toBf16 = ElementConverter.of(DType.F32, DType.BF16);
        dir = Files.createTempDirectory("sdmodel-jmh");
        Path in = dir.resolve("in.safetensors");
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            SafetensorsWriter w = new SafetensorsWriter(
                    List.of(new SafetensorsWriter.TensorSpec("w", DType.F32, new long[] {BYTES / 4})), Map.of());
            w.writeHeader(ch);
            w.writeTensor("w", 0, f32.duplicate(), ch);
        }
        file = ModelFile.open(in);
        tensor = file.stateDict().tensors().get("w");
        writer = new SafetensorsWriter(List.of(new SafetensorsWriter.TensorSpec("w", DType.F16, new long[] {BYTES / 4})), Map.of());
        out = FileChannel.open(dir.resolve("out.safetensors"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        file.close();
        out.close();
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** fp32 to fp16 as prune does it (torch's .half()), with loss counting. */
    @Benchmark
    public ByteBuffer convertF32ToF16() {
        ByteBuffer src = f32.duplicate();
        half.clear();
        toF16.convert(src, half, new ConversionStats());
        return half;
    }

    /** fp32 to bf16 (torch's .bfloat16()). */
    @Benchmark
    public ByteBuffer convertF32ToBf16() {
        ByteBuffer src = f32.duplicate();
        half.clear();
        toBf16.convert(src, half, new ConversionStats());
        return half;
    }

    /** Reading a tensor's bytes from a (cached) file with positional reads, in prune's 8 MiB chunks. */
    @Benchmark
    public long readTensor() throws IOException {
        ByteBuffer b = f32;
        long pos = 0;
        int chunk = 8 << 20;
        while (pos < tensor.byteSize()) {
            b.clear();
            b.limit(chunk);
            tensor.readFully(pos, b);
            pos += chunk;
        }
        return pos;
    }

    /** Writing fp16 bytes at their place in a safetensors file, in prune's chunks. */
    @Benchmark
    public long writeTensor() throws IOException {
        long pos = 0;
        int chunk = 4 << 20;
        while (pos < half.capacity()) {
            ByteBuffer b = half.duplicate();
            b.position((int) pos).limit((int) pos + chunk);
            writer.writeTensor("w", pos, b, out);
            pos += chunk;
        }
        return pos;
    }
}
