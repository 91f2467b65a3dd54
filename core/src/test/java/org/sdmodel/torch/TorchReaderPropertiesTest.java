package org.sdmodel.torch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ObjectTrees;
import org.sdmodel.ReadOptions;
import org.sdmodel.Tensor;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.pickle.internal.PickleHooks;
import org.sdmodel.pickle.internal.PickleImportScanner;
import org.sdmodel.pickle.internal.PickleInput;
import org.sdmodel.pickle.internal.PickleMachine;
import org.sdmodel.scan.ModelScanner;
import org.sdmodel.scan.ScanReport;
import org.sdmodel.testing.Bytes;
import org.sdmodel.testing.TestFiles;

/**
 * The torch readers and the pickle machine on random and mutated input (starting from real
 * checkpoints torch wrote, and from CPython's pickles): whatever the bytes, opening fails only
 * with the documented {@link ModelFormatException} or {@link UnsafeModelException} (reading a
 * tensor of a file that opened, only with an {@link IOException}), quickly, with a one-line
 * message; and {@code scan} never fails at all. The safetensors reader has the same properties in
 * {@code SafetensorsPropertiesTest}.
 */
class TorchReaderPropertiesTest {

    /** One change to a file's bytes, placed inside a pickle record with probability {@code inPickle}. */
    record Mutation(Kind kind, double where, boolean inPickle, byte[] bytes) {
        enum Kind { FLIP, INSERT, DELETE, TRUNCATE, DUPLICATE, OPCODE }

        byte[] apply(byte[] in, long pickleStart, long pickleLength) {
            long from = inPickle ? pickleStart : 0;
            long span = inPickle ? Math.max(1, pickleLength) : Math.max(1, in.length);
            int at = (int) Math.min(in.length, from + (long) (where * span));
            switch (kind) {
                case FLIP: {
                    byte[] out = in.clone();
                    for (int i = 0; i < bytes.length && at + i < out.length; i++) {
                        out[at + i] ^= bytes[i] == 0 ? 1 : bytes[i];
                    }
                    return out;
                }
                case OPCODE: {
                    // Overwrite with bytes that are opcodes with hostile arguments.
                    byte[] out = in.clone();
                    byte[] ops = {(byte) 0x8e, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f, '(', 'h', (byte) 0x93, 'R', 'Q'};
                    int k = bytes.length == 0 ? 0 : Math.floorMod(bytes[0], ops.length);
                    if (at < out.length) {
                        out[at] = ops[k];
                    }
                    return out;
                }
                case INSERT:
                    return Bytes.splice(in, at, at, bytes);
                case DELETE:
                    return Bytes.splice(in, at, Math.min(in.length, at + 1 + bytes.length * 5), new byte[0]);
                case TRUNCATE:
                    return Arrays.copyOf(in, at);
                case DUPLICATE: {
                    int end = Math.min(in.length, at + 1 + bytes.length * 3);
                    return Bytes.splice(in, end, end, Arrays.copyOfRange(in, at, end));
                }
                default:
                    throw new AssertionError(kind);
            }
        }

        @Override
        public String toString() {
            return kind + "@" + where + (inPickle ? " in pickle " : " ") + Arrays.toString(bytes);
        }
    }

    /** A real file and where its first pickle is (the data pickle of a zip; the whole pickle run of a legacy file). */
    record Original(String name, byte[] bytes, long pickleStart, long pickleLength) {
        @Override
        public String toString() {
            return name;
        }
    }

    @Property(tries = 400)
    void mutatedCheckpointsAreRefusedOrRead(@ForAll("originals") Original original,
            @ForAll("mutations") List<Mutation> mutations) throws IOException {
        byte[] content = original.bytes;
        for (Mutation m : mutations) {
            content = m.apply(content, original.pickleStart, original.pickleLength);
        }
        Path file = Files.createTempFile("sdmodel-mutated", ".ckpt");
        long start = System.nanoTime();
        try {
            Files.write(file, content);
            openAndReadEverything(file);
            ScanReport r = ModelScanner.scan(file);
            for (ScanReport.Problem p : r.problems()) {
                assertOneLine(p.message());
            }
        } finally {
            Files.delete(file);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 5_000, "took " + millis + " ms");
    }

    private static void openAndReadEverything(Path file) throws IOException {
        ModelFile m;
        try {
            m = ModelFile.open(file);
        } catch (UnsafeModelException e) {
            Statistics.collect("unsafe");
            assertOneLine(e.getMessage());
            return;
        } catch (ModelFormatException e) {
            Statistics.collect(e.getClass().getSimpleName());
            assertOneLine(e.getMessage());
            return;
        } catch (Throwable t) {
            fail("opening threw " + t, t);
            return;
        }
        try (m) {
            try {
                m.stateDict();
            } catch (ModelFormatException e) {
                Statistics.collect("state dict refused");
                assertOneLine(e.getMessage());
            }
            List<Tensor> tensors = new ArrayList<>();
            ObjectTrees.forEachTensor(m.root(), tensors::add);
            boolean failedRead = false;
            for (Tensor t : tensors) {
                try {
                    ByteBuffer b = ByteBuffer.allocate((int) Math.min(t.byteSize(), 1 << 20));
                    for (long pos = 0; pos < t.byteSize(); pos += b.capacity()) {
                        b.clear();
                        t.read(pos, b);
                    }
                } catch (IOException e) {
                    failedRead = true; // a storage cut short: reported when read, as documented
                }
            }
            Statistics.collect(failedRead ? "opened, a read failed" : "opened");
        } catch (Throwable t) {
            fail("a file that opened threw " + t, t);
        }
    }

    @Property(tries = 1000)
    void randomPicklesAreRefusedOrRead(@ForAll("opcodeSoup") byte[] pickle) throws IOException {
        try {
            new PickleMachine(PickleInput.of(pickle), PickleHooks.NONE, ReadOptions.defaults(), "x").load();
            Statistics.collect("loaded");
        } catch (UnsafeModelException e) {
            Statistics.collect("unsafe");
            assertOneLine(e.getMessage());
        } catch (ModelFormatException e) {
            Statistics.collect("refused");
            assertOneLine(e.getMessage());
        } catch (Throwable t) {
            fail("the machine threw " + t, t);
        }
        try {
            PickleImportScanner.Result r = PickleImportScanner.scan(PickleInput.of(pickle), "x", ReadOptions.defaults());
            if (r.problem() != null) {
                assertOneLine(r.problem().getMessage());
            }
        } catch (Throwable t) {
            fail("the scanner threw " + t, t);
        }
    }

    private static void assertOneLine(String message) {
        assertTrue(message != null && !message.isBlank(), "no message");
        assertFalse(message.contains("\n") || message.contains("\r"), message);
    }

    // ---- generators ----

    @Provide
    Arbitrary<Original> originals() {
        List<Original> files = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        for (String name : List.of("sd1-train.ckpt", "sd1-train-legacy.ckpt", "sd2-v-train.ckpt", "misc-objects.pt",
                "misc-objects-proto4.pt", "hostile/torch-zip-os-system.pt", "hostile/torch-legacy-os-system.pt")) {
            paths.add(TestFiles.testdata(name));
        }
        Path real = TestFiles.projectRoot().resolveSibling("shared").resolve("realmodels");
        for (String name : List.of("legacy-taming-lpips-vgg.pth", "candle-test.pt", "a1111-test-empty.pt",
                "gopickle-testdata/tensor_float16_proto1.pt", "gopickle-testdata/tensor_bfloat16_proto5_zip.pt")) {
            if (Files.exists(real.resolve(name))) {
                paths.add(real.resolve(name));
            }
        }
        for (Path p : paths) {
            try {
                byte[] bytes = Files.readAllBytes(p);
                long[] region = pickleRegion(p);
                files.add(new Original(p.getFileName().toString(), bytes, region[0], region[1]));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Arbitraries.of(files);
    }

    /** Where the pickles are: the first .pkl record of a zip, the five leading pickles of a legacy file. */
    private static long[] pickleRegion(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(2);
            ch.read(head, 0);
            if (head.get(0) == 'P' && head.get(1) == 'K') {
                TorchZipFile.Record r = TorchZipFile.pickleRecords(ch).get(0);
                return new long[] {r.offset(), r.size()};
            }
            long end = 0;
            for (int i = 0; i < 5 && end < ch.size(); i++) {
                end += PickleImportScanner.scan(PickleInput.of(ch, end, ch.size() - end, 1 << 20), "", ReadOptions.defaults())
                        .length();
            }
            return new long[] {0, end};
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(6);
        Arbitrary<Mutation> one = Combinators.combine(Arbitraries.of(Mutation.Kind.class),
                Arbitraries.doubles().between(0, 1), Arbitraries.of(true, true, true, false), bytes).as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(4);
    }

    private static List<Byte> opcodes(String ascii, int... more) {
        List<Byte> out = new ArrayList<>();
        for (char c : ascii.toCharArray()) {
            out.add((byte) c);
        }
        for (int b : more) {
            out.add((byte) b);
        }
        return out;
    }

    /**
     * Sequences of real opcodes with arguments of plausible and hostile sizes: short strings and
     * numbers, lengths up to 2^63, memo indices stored and not, marks and the opcodes that pop them.
     */
    @Provide
    Arbitrary<byte[]> opcodeSoup() {
        Arbitrary<byte[]> op = Arbitraries.oneOf(
                Arbitraries.of(opcodes("()]}Ntldaesu" + "Rbo012Q.", 0x88, 0x89, 0x85, 0x86, 0x87, 0x8f, 0x90, 0x91, 0x81,
                        0x92, 0x93, 0x94)).map(b -> new byte[] {b}),
                Arbitraries.of("c__builtin__\nset\n", "cos\nsystem\n", "ccollections\nOrderedDict\n",
                        "ctorch._utils\n_rebuild_tensor_v2\n", "i__main__\nX\n", "I12\n", "L99L\n", "F1.5\n",
                        "S'abc'\n", "Vtext\n", "p0\n", "g0\n", "Pid\n").map(String::getBytes),
                Combinators.combine(Arbitraries.of(opcodes("KhqUC", 0x8c, 0x8a)), Arbitraries.integers().between(0, 255))
                        .as((o, n) -> new byte[] {o, (byte) (int) n}),
                Combinators.combine(Arbitraries.of(opcodes("JMjrXBT", 0x8b)), Arbitraries.integers())
                        .as((o, n) -> ByteBuffer.allocate(5).order(java.nio.ByteOrder.LITTLE_ENDIAN).put(o).putInt(n).array()),
                Combinators.combine(Arbitraries.of(opcodes("G", 0x8d, 0x8e, 0x96, 0x95)), Arbitraries.longs())
                        .as((o, n) -> ByteBuffer.allocate(9).order(java.nio.ByteOrder.LITTLE_ENDIAN).put(o).putLong(n).array()),
                Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8).map(s -> {
                    byte[] b = s.getBytes();
                    byte[] out = new byte[b.length + 2];
                    out[0] = (byte) 0x8c;
                    out[1] = (byte) b.length;
                    System.arraycopy(b, 0, out, 2, b.length);
                    return out;
                }),
                Arbitraries.bytes().map(b -> new byte[] {b}));
        return op.list().ofMaxSize(40).map(parts -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.write(0x80);
            out.write(4);
            parts.forEach(out::writeBytes);
            out.write('.');
            return out.toByteArray();
        });
    }
}
