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
import org.sdmodel.convert.FloatBits;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * The inner loops of prune, each on its own, so that a change to one can be judged alone. Each
 * operation handles one 64 MiB block of fp32 weights (16 M values; the fp16 ones read the same
 * values as 32 MiB of fp16); JMH reports milliseconds per operation, so GB/s of fp32 input =
 * 67.1 / score, and values per second = 16.8 G / score. Run with {@code testdata/bench/jmh.sh}.
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
    ByteBuffer f16;
    ByteBuffer fp8;
    ElementConverter toF16;
    ElementConverter toBf16;
    ElementConverter toE4m3fn;
    ElementConverter toE5m2;
    ElementConverter f16ToE4m3fn;
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
        fp8 = ByteBuffer.allocateDirect(BYTES / 4).order(ByteOrder.LITTLE_ENDIAN);
        toF16 = ElementConverter.of(DType.F32, DType.F16);
        toBf16 = ElementConverter.of(DType.F32, DType.BF16);
        toE4m3fn = ElementConverter.of(DType.F32, DType.F8_E4M3);
        toE5m2 = ElementConverter.of(DType.F32, DType.F8_E5M2);
        f16ToE4m3fn = ElementConverter.of(DType.F16, DType.F8_E4M3);
        f16 = ByteBuffer.allocateDirect(BYTES / 2).order(ByteOrder.LITTLE_ENDIAN);
        toF16.convert(f32.duplicate(), f16, null);
        f16.flip();
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

    /** fp32 to float8 e4m3fn (torch's .to(torch.float8_e4m3fn)), with loss counting: the two-pass kernel. */
    @Benchmark
    public ByteBuffer convertF32ToF8E4m3fn() {
        fp8.clear();
        toE4m3fn.convert(f32.duplicate(), fp8, new ConversionStats());
        return fp8;
    }

    /** fp32 to float8 e5m2. */
    @Benchmark
    public ByteBuffer convertF32ToF8E5m2() {
        fp8.clear();
        toE5m2.convert(f32.duplicate(), fp8, new ConversionStats());
        return fp8;
    }

    /** fp16 to float8 e4m3fn (the same values as fp16): widened exactly, then the same kernel. */
    @Benchmark
    public ByteBuffer convertF16ToF8E4m3fn() {
        fp8.clear();
        f16ToE4m3fn.convert(f16.duplicate(), fp8, new ConversionStats());
        return fp8;
    }

    /**
     * For comparison: fp32 to float8 e4m3fn one value at a time with the scalar reference
     * conversion (branches, a float addition for subnormals), as a straightforward loop does it;
     * no loss counting. The JIT cannot vectorise it.
     */
    @Benchmark
    public ByteBuffer convertF32ToF8E4m3fnScalar() {
        fp8.clear();
        java.nio.IntBuffer in = f32.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        int[] block = new int[2048];
        byte[] out = new byte[2048];
        while (in.hasRemaining()) {
            int n = Math.min(block.length, in.remaining());
            in.get(block, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] = (byte) FloatBits.f32ToF8E4m3fn(block[i]);
            }
            fp8.put(out, 0, n);
        }
        return fp8;
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
