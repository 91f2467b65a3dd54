package org.sdmodel.safetensors;

import org.sdmodel.testing.BytesTensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.sdmodel.DType;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;
import org.sdmodel.Tensor;
import org.sdmodel.safetensors.SafetensorsWriter.TensorSpec;

/**
 * Random valid files survive a write and a read unchanged; mutated files (real and generated)
 * are refused with a {@link ModelFormatException}, quickly, or read without error.
 */
class SafetensorsPropertiesTest {

    /** A set of tensors and metadata (null for none) as a generator makes them. */
    record Model(Map<String, BytesTensor> tensors, Map<String, String> metadata) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("Model[");
            tensors.forEach((n, t) -> b.append(SafetensorsHeader.quote(n)).append('=').append(Tensor.describe(t)).append(' '));
            return b.append("metadata=").append(metadata).append(']').toString();
        }
    }

    @Property(tries = 200)
    void validFilesRoundTripExactly(@ForAll("models") Model model) throws IOException {
        Path file = Files.createTempFile("sdmodel-roundtrip", ".safetensors");
        Path again = Files.createTempFile("sdmodel-roundtrip-again", ".safetensors");
        try {
            SafetensorsWriter.write(file, model.tensors, model.metadata);
            byte[] written = Files.readAllBytes(file);
            assertEquals(0, (written.length - dataSize(model)) % 8, "header not padded to 8 bytes");
            try (SafetensorsFile f = (SafetensorsFile) SafetensorsFile.open(file, ReadOptions.defaults())) {
                assertEquals(model.tensors.keySet(), f.root().keySet());
                for (Map.Entry<String, BytesTensor> e : model.tensors.entrySet()) {
                    Tensor read = f.root().get(e.getKey());
                    assertEquals(e.getValue().dtype(), read.dtype());
                    assertArrayEquals(e.getValue().shape(), read.shape());
                    assertArrayEquals(e.getValue().bytes(), TestFiles.bytesOf(read));
                }
                assertEquals(model.metadata != null, f.hasMetadata());
                Map<String, String> metadata = model.metadata == null ? Map.of() : model.metadata;
                assertEquals(List.copyOf(metadata.entrySet()), List.copyOf(f.metadata().entrySet()));
                // Reading back and writing again changes nothing.
                SafetensorsWriter.write(again, f.root(), f.hasMetadata() ? f.metadata() : null);
            }
            assertArrayEquals(written, Files.readAllBytes(again));
        } finally {
            Files.delete(file);
            Files.delete(again);
        }
    }

    @Property(tries = 300)
    void mutatedRealFilesAreRefusedOrRead(@ForAll("realFiles") byte[] original, @ForAll("mutations") List<Mutation> mutations)
            throws IOException {
        openMutated(original, mutations);
    }

    @Property(tries = 300)
    void mutatedGeneratedFilesAreRefusedOrRead(@ForAll("models") Model model, @ForAll("mutations") List<Mutation> mutations)
            throws IOException {
        Path file = Files.createTempFile("sdmodel-generated", ".safetensors");
        try {
            SafetensorsWriter.write(file, model.tensors, model.metadata);
            openMutated(Files.readAllBytes(file), mutations);
        } finally {
            Files.delete(file);
        }
    }

    private static void openMutated(byte[] original, List<Mutation> mutations) throws IOException {
        byte[] content = original;
        for (Mutation m : mutations) {
            content = m.apply(content);
        }
        Path file = Files.createTempFile("sdmodel-mutated", ".safetensors");
        long start = System.nanoTime();
        try {
            Files.write(file, content);
            try (SafetensorsFile f = (SafetensorsFile) SafetensorsFile.open(file, ReadOptions.defaults())) {
                // Whatever opens is consistent: every tensor reads in full.
                long total = 0;
                for (Tensor t : f.root().values()) {
                    total += TestFiles.bytesOf(t).length;
                }
                assertTrue(total <= content.length);
                Statistics.collect("opened");
            } catch (ModelFormatException expected) {
                Statistics.collect(expected instanceof SafetensorsException ? ((SafetensorsException) expected).rule() : "other");
                assertTrue(expected.getMessage() != null && !expected.getMessage().contains("\n"), expected.getMessage());
            } catch (Throwable t) {
                fail("a mutated file threw " + t, t);
            }
        } finally {
            Files.delete(file);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 5_000, "took " + millis + " ms");
    }

    private static long dataSize(Model model) {
        long n = 0;
        for (BytesTensor t : model.tensors.values()) {
            n += t.byteSize();
        }
        return n;
    }

    // ---- generators ----

    @Provide
    Arbitrary<Model> models() {
        Arbitrary<Map<String, BytesTensor>> tensors = tensorSpec().list().ofMaxSize(8)
                .uniqueElements(TensorSpec::name)
                .flatMap(specs -> {
                    List<Arbitrary<BytesTensor>> each = new ArrayList<>();
                    for (TensorSpec s : specs) {
                        each.add(Arbitraries.bytes().array(byte[].class).ofSize((int) s.byteSize())
                                .map(bytes -> new BytesTensor(s.dtype(), s.shape(), bytes)));
                    }
                    return Combinators.combine(each).as(list -> {
                        Map<String, BytesTensor> map = new LinkedHashMap<>();
                        for (int i = 0; i < list.size(); i++) {
                            map.put(specs.get(i).name(), list.get(i));
                        }
                        return map;
                    });
                });
        Arbitrary<Map<String, String>> metadata = Combinators.combine(text(0), text(0)).as(Tuple::of)
                .list().ofMaxSize(5).uniqueElements(Tuple.Tuple2::get1)
                .map(entries -> {
                    Map<String, String> map = new LinkedHashMap<>();
                    entries.forEach(e -> map.put(e.get1(), e.get2()));
                    return map;
                })
                .injectNull(0.3);
        return Combinators.combine(tensors, metadata).as(Model::new);
    }

    private static Arbitrary<TensorSpec> tensorSpec() {
        Arbitrary<String> names = text(1).filter(n -> !n.equals("__metadata__"));
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 4).array(long[].class).ofMaxSize(4);
        return Combinators.combine(names, Arbitraries.of(DType.class), shapes).as((name, dtype, shape) -> {
            // Sub-byte dtypes need element counts that fill whole bytes: one more dimension does it.
            long numel = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (numel * dtype.bits() % 8 != 0) {
                shape = Arrays.copyOf(shape, shape.length + 1);
                shape[shape.length - 1] = 8 / gcd(8, dtype.bits());
            }
            return new TensorSpec(name, dtype, shape);
        });
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** Valid Unicode, weighted toward a few letters (so names collide and sort) and toward characters JSON escapes. */
    private static Arbitrary<String> text(int minLength) {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between('a', 'd')),
                Tuple.of(3, Arbitraries.integers().between(0, 0x7F)),
                Tuple.of(1, Arbitraries.integers().between(0x80, 0xD7FF)),
                Tuple.of(1, Arbitraries.integers().between(0xE000, 0xFFFF)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)));
        return codePoint.list().ofMinSize(minLength).ofMaxSize(6).map(cps -> {
            StringBuilder b = new StringBuilder();
            cps.forEach(b::appendCodePoint);
            return b.toString();
        });
    }

    @Provide
    Arbitrary<byte[]> realFiles() {
        List<byte[]> files = new ArrayList<>();
        Path dir = TestFiles.projectRoot().resolve("../shared/realmodels").normalize();
        for (String name : List.of("safetensors-samples-overall.safetensors", "cloneofsimo-lora_disney.safetensors",
                "kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors")) {
            try {
                if (Files.exists(dir.resolve(name))) {
                    files.add(Files.readAllBytes(dir.resolve(name)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (files.isEmpty()) {
            TestFiles.realModels(); // skips, or fails under CI
        }
        return Arbitraries.of(files);
    }

    /** One change to a file's bytes. */
    record Mutation(Kind kind, double where, boolean inHeader, byte[] bytes) {
        enum Kind { FLIP, INSERT, DELETE, TRUNCATE, SET_LENGTH, DUPLICATE, DIGIT }

        byte[] apply(byte[] in) {
            // Most changes land in the length field and header, where the rules are.
            int headerEnd = (int) Math.min(in.length, in.length >= 8 ? 8 + Math.max(0, Math.min(
                    java.nio.ByteBuffer.wrap(in).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0), in.length)) : in.length);
            int span = inHeader ? Math.max(1, headerEnd) : Math.max(1, in.length);
            int at = Math.min(in.length, (int) (where * span));
            switch (kind) {
                case FLIP: {
                    byte[] out = in.clone();
                    for (int i = 0; i < bytes.length && at + i < out.length; i++) {
                        out[at + i] ^= bytes[i] == 0 ? 1 : bytes[i];
                    }
                    return out;
                }
                case INSERT:
                    return splice(in, at, at, bytes);
                case DELETE:
                    return splice(in, at, Math.min(in.length, at + 1 + (bytes.length * 7)), new byte[0]);
                case TRUNCATE:
                    return Arrays.copyOf(in, at);
                case SET_LENGTH: {
                    byte[] out = in.length >= 8 ? in.clone() : Arrays.copyOf(in, 8);
                    long length = bytes.length == 0 ? -1 : (long) (where * 2 * Math.max(1, headerEnd)) - bytes.length;
                    java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, length);
                    return out;
                }
                case DIGIT: {
                    // Change a number in the header (a shape, an offset): reaches the layout rules.
                    byte[] out = in.clone();
                    for (int i = Math.max(8, at); i < headerEnd; i++) {
                        if (out[i] >= '0' && out[i] <= '9') {
                            out[i] = (byte) ('0' + Math.floorMod(out[i] + (bytes.length == 0 ? 1 : bytes[0]), 10));
                            break;
                        }
                    }
                    return out;
                }
                case DUPLICATE: {
                    int end = Math.min(in.length, at + 1 + bytes.length * 3);
                    return splice(in, end, end, Arrays.copyOfRange(in, at, end));
                }
                default:
                    throw new AssertionError(kind);
            }
        }

        private static byte[] splice(byte[] in, int from, int to, byte[] insert) {
            byte[] out = new byte[in.length - (to - from) + insert.length];
            System.arraycopy(in, 0, out, 0, from);
            System.arraycopy(insert, 0, out, from, insert.length);
            System.arraycopy(in, to, out, from + insert.length, in.length - to);
            return out;
        }

        @Override
        public String toString() {
            return kind + "@" + where + (inHeader ? " in header " : " ") + Arrays.toString(bytes);
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<byte[]> bytes = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(4),
                // bytes that mean something in a header
                Arbitraries.of("{", "}", "\"", "[", "]", ",", ":", "0", "-", "9", "\\", "\\u", " ", "1e9", "\u00e9", "null")
                        .map(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Arbitrary<Mutation> one = Combinators.combine(Arbitraries.of(Mutation.Kind.class),
                Arbitraries.doubles().between(0, 1), Arbitraries.of(true, true, true, false), bytes).as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(3);
    }
}
