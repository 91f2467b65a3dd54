package org.sdmodel.safetensors;

import org.sdmodel.testing.BytesTensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.DType;
import org.sdmodel.ReadOptions;
import org.sdmodel.Tensor;
import org.sdmodel.io.internal.FileRegionTensor;
import org.sdmodel.safetensors.SafetensorsWriter.TensorSpec;

/**
 * The writer against files the reference library wrote ({@code
 * testdata/safetensors/write_reference_files.py}): read each, write it again, expect the same bytes.
 */
class SafetensorsWriterTest {
    @TempDir
    Path dir;

    static Stream<Path> referenceFiles() throws IOException {
        try (Stream<Path> files = Files.list(TestFiles.testdata().resolve("reference"))) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            assertTrue(list.size() >= 7, "reference files missing: " + list);
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("referenceFiles")
    void rewritesReferenceFilesByteForByte(Path reference) throws IOException {
        Path out = dir.resolve("out.safetensors");
        try (SafetensorsFile f = open(reference)) {
            SafetensorsWriter.write(out, f.root(), f.hasMetadata() ? f.metadata() : null);
        }
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(out));
    }

    /** The streaming interface, tensors written backwards in small pieces by two threads. */
    @ParameterizedTest
    @MethodSource("referenceFiles")
    void streamsReferenceFilesByteForByteFromTwoThreads(Path reference) throws Exception {
        Path out = dir.resolve("streamed.safetensors");
        try (SafetensorsFile f = open(reference);
                FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            List<TensorSpec> specs = new ArrayList<>();
            f.root().forEach((name, t) -> specs.add(TensorSpec.of(name, t)));
            Collections.shuffle(specs, new java.util.Random(42)); // the writer must not care
            SafetensorsWriter writer = new SafetensorsWriter(specs, f.hasMetadata() ? f.metadata() : null);
            List<String> names = new ArrayList<>(f.root().keySet());
            Collections.reverse(names);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int half = 0; half < 2; half++) {
                    int parity = half;
                    done.add(pool.submit(() -> {
                        for (int i = parity; i < names.size(); i += 2) {
                            byte[] bytes = TestFiles.bytesOf(f.root().get(names.get(i)));
                            for (int pos = bytes.length - 3; pos > -3; pos -= 3) { // 3-byte pieces, last first
                                int from = Math.max(0, pos);
                                writer.writeTensor(names.get(i), from, ByteBuffer.wrap(bytes, from, pos + 3 - from), channel);
                            }
                        }
                        return null;
                    }));
                }
                writer.writeHeader(channel);
                for (Future<?> d : done) {
                    d.get();
                }
            } finally {
                pool.shutdown();
            }
            assertEquals(writer.fileSize(), channel.size());
        }
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(out));
    }

    @Test
    void layoutIsExposedBeforeAnythingIsWritten() {
        SafetensorsWriter writer = new SafetensorsWriter(List.of(
                new TensorSpec("b", DType.F16, new long[] {2, 3}),
                new TensorSpec("a", DType.F16, new long[] {1}),
                new TensorSpec("c", DType.F32, new long[] {})), null);
        // Reference layout: F32 before F16, then by name; header padded to 8.
        assertEquals(List.of("c", "a", "b"), writer.tensors().stream().map(TensorSpec::name).toList());
        int dataStart = writer.header().length;
        assertEquals(0, dataStart % 8);
        assertEquals(dataStart, writer.dataOffset("c"));
        assertEquals(dataStart + 4, writer.dataOffset("a"));
        assertEquals(dataStart + 6, writer.dataOffset("b"));
        assertEquals(dataStart + 18, writer.fileSize());
        assertThrows(IllegalArgumentException.class, () -> writer.dataOffset("d"));
    }

    @Test
    void refusesWhatNoReaderShouldSee() throws IOException {
        long[] one = {1};
        Map<String, String> none = null;
        for (String bad : List.of("", "__metadata__", "lone\ud800")) {
            assertThrows(IllegalArgumentException.class,
                    () -> new SafetensorsWriter(List.of(new TensorSpec(bad, DType.U8, one)), none), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter(List.of(
                new TensorSpec("x", DType.U8, one), new TensorSpec("x", DType.F16, one)), none));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter(List.of(), Map.of("k", "\udc00")));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("x", DType.U8, new long[] {-1}));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter(List.of(new TensorSpec("x", DType.F4, new long[] {3})), none));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter(List.of(
                new TensorSpec("x", DType.F64, new long[] {1L << 60})), none));

        SafetensorsWriter writer = new SafetensorsWriter(List.of(new TensorSpec("x", DType.F16, new long[] {2})), none);
        try (FileChannel ch = FileChannel.open(dir.resolve("w"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertThrows(IllegalArgumentException.class, () -> writer.writeTensor("x", 1, ByteBuffer.allocate(4), ch));
            assertThrows(IllegalArgumentException.class, () -> writer.writeTensor("x", -1, ByteBuffer.allocate(1), ch));
            assertThrows(IllegalArgumentException.class, () -> writer.writeTensor("y", 0, ByteBuffer.allocate(1), ch));
        }
    }

    @Test
    void copyFailsOnATensorThatEndsEarly() {
        Tensor shortTensor = new Tensor() { // claims 4 bytes, delivers 2
            @Override
            public DType dtype() {
                return DType.U8;
            }

            @Override
            public long[] shape() {
                return new long[] {4};
            }

            @Override
            public int read(long position, ByteBuffer dst) {
                int n = (int) Math.max(0, Math.min(dst.remaining(), 2 - position));
                dst.position(dst.position() + n);
                return n;
            }
        };
        assertThrows(java.io.EOFException.class,
                () -> SafetensorsWriter.write(dir.resolve("short"), Map.of("t", shortTensor), null));
    }

    /**
     * A tensor past 4 GB: the writer places it, the reader finds and reads it with positional
     * reads. The 5 GB before it are never written, so the file is sparse where the file system
     * allows; the test needs the space where it does not.
     */
    @Test
    void offsetsBeyondFourGigabytes() throws IOException {
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > (6L << 30), "needs 6 GB of free space");
        long bigElements = 625_000_001L; // F64: 5,000,000,008 bytes
        SafetensorsWriter writer = new SafetensorsWriter(List.of(
                new TensorSpec("tail", DType.U8, new long[] {4}),
                new TensorSpec("big", DType.F64, new long[] {bigElements})), Map.of("k", "v"));
        Path out = dir.resolve("large.safetensors");
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writer.writeHeader(ch);
            writer.writeTensor("tail", 0, ByteBuffer.wrap(new byte[] {9, 8, 7, 6}), ch);
            writer.writeTensor("big", bigElements * 8 - 8, ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), ch);
        }
        assertEquals(writer.fileSize(), Files.size(out));
        try (SafetensorsFile f = open(out)) {
            Tensor tail = f.root().get("tail");
            assertTrue(((FileRegionTensor) tail).fileOffset() > (1L << 32));
            assertArrayEquals(new byte[] {9, 8, 7, 6}, TestFiles.bytesOf(tail));
            Tensor big = f.root().get("big");
            assertEquals(bigElements * 8, big.byteSize());
            ByteBuffer last = ByteBuffer.allocate(8);
            big.readFully(big.byteSize() - 8, last);
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, last.array());
            ByteBuffer middle = ByteBuffer.allocate(8);
            big.readFully((1L << 32) + 3, middle);
            assertArrayEquals(new byte[8], middle.array());
            assertEquals(List.of("big", "tail"), List.copyOf(f.root().keySet()));
        } finally {
            Files.delete(out);
        }
    }

    @Test
    void writesToAChannelFromPositionZeroAndTruncates() throws IOException {
        Path out = dir.resolve("reused");
        Files.write(out, new byte[1000]); // longer than the result
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("t", new BytesTensor(DType.I16, new long[] {2}, new byte[] {1, 0, 2, 0}));
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.WRITE)) {
            ch.position(500);
            SafetensorsWriter.write(ch, tensors, Map.of());
        }
        try (SafetensorsFile f = open(out)) {
            assertArrayEquals(new byte[] {1, 0, 2, 0}, TestFiles.bytesOf(f.root().get("t")));
            assertTrue(f.hasMetadata());
        }
    }

    private static SafetensorsFile open(Path p) throws IOException {
        return (SafetensorsFile) SafetensorsFile.open(p, ReadOptions.defaults());
    }
}
