package org.sdmodel.pickle.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.MemoryLimitException;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ObjectTrees;
import org.sdmodel.ReadOptions;
import org.sdmodel.StateDict;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.pickle.PyGlobal;
import org.sdmodel.pickle.PyObject;
import org.sdmodel.testing.Allocations;
import org.sdmodel.testing.PickleBuilder;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.torch.TorchZipFile;

/**
 * The pickle machine and the import scanner on pickles no writer makes: cut at every byte, nested
 * hundreds of thousands deep, imports computed at load time. Neither may fail with anything but
 * a {@link ModelFormatException} (the machine also {@link UnsafeModelException}), nor overflow
 * the stack, here or when the result is walked, printed or hashed.
 */
class PickleHostileTest {

    /** Real pickles: CPython's (every protocol) and torch's data.pkl of each zip fixture. */
    static Stream<Object[]> realPickles() throws IOException {
        List<Object[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(TestFiles.testdata("pickle"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".pkl")).sorted().toList()) {
                byte[] b = Files.readAllBytes(p);
                out.add(new Object[] {p.getFileName().toString(), b});
                if (b.length > 11 && (b[2] & 0xff) == 0x95) {
                    // Protocol 4 and 5 frame their opcodes: a cut is caught by the frame's length
                    // first. Without the frame, every opcode's own truncation check is reached.
                    byte[] unframed = new byte[b.length - 9];
                    System.arraycopy(b, 0, unframed, 0, 2);
                    System.arraycopy(b, 11, unframed, 2, b.length - 11);
                    out.add(new Object[] {p.getFileName() + " without its frame", unframed});
                }
            }
        }
        for (String fixture : List.of("sd1-train.ckpt", "sd2-v-train.ckpt", "misc-objects-proto4.pt")) {
            try (FileChannel ch = FileChannel.open(TestFiles.testdata(fixture), StandardOpenOption.READ)) {
                TorchZipFile.Record r = TorchZipFile.pickleRecords(ch).get(0);
                byte[] b = new byte[(int) r.size()];
                ch.read(java.nio.ByteBuffer.wrap(b), r.offset());
                out.add(new Object[] {fixture, b});
            }
        }
        return out.stream();
    }

    /** Resolves every persistent id to an inert value, so torch pickles run without their storages. */
    static final PickleHooks INERT_STORAGES = new PickleHooks() {
        @Override
        public Object persistentLoad(Object pid) {
            return "storage";
        }
    };

    /**
     * Cut at every byte (so at every opcode boundary and inside every argument). Past 4 KiB the
     * large pickles only repeat the opcodes seen before; there, the last KiB is cut too (the
     * closing opcodes), which keeps the test quadratic in 5 KiB instead of in 18.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("realPickles")
    void cutAtEveryByteIsRefusedAsTruncated(String name, byte[] pickle) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int cut = 0; cut < pickle.length; cut = cut == 4096 ? Math.max(cut + 1, pickle.length - 1024) : cut + 1) {
                byte[] prefix = Arrays.copyOf(pickle, cut);
                PickleException e = assertThrows(PickleException.class, () -> new PickleMachine(PickleInput.of(prefix),
                        INERT_STORAGES, ReadOptions.defaults(), name).load(), "cut at " + cut);
                assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("ends early"),
                        "cut at " + cut + ": " + e.getMessage());
                PickleImportScanner.Result r = PickleImportScanner.scan(PickleInput.of(prefix), name, ReadOptions.defaults());
                assertInstanceOf(PickleException.class, r.problem(), "cut at " + cut);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realPickles")
    void theScannerReadsWholePicklesToTheirEnd(String name, byte[] pickle) throws IOException {
        PickleImportScanner.Result r = PickleImportScanner.scan(PickleInput.of(pickle), name, ReadOptions.defaults());
        assertNull(r.problem());
        assertEquals(pickle.length, r.length());
        // The scanner and the machine agree on the imports.
        PickleMachine m = new PickleMachine(PickleInput.of(pickle), INERT_STORAGES, ReadOptions.defaults(), name);
        m.load();
        assertEquals(m.imports(), r.imports());
    }

    @Test
    void deepCallChainsLoadAndWalkWithoutRecursion() throws IOException {
        // f(f(f(...f(None)...))) 300,000 deep: placeholders inside placeholders, as a hostile
        // callbacks entry would nest them. The callables are pushed first (from the memo), then
        // None, then each TUPLE1 + REDUCE wraps the value so far.
        int deep = 300_000;
        PickleBuilder chain = PickleBuilder.protocol(2).op('}').string("callbacks").global("lightning_fake", "Callback")
                .put(0).op('0');
        for (int i = 0; i < deep; i++) {
            chain.get(0);
        }
        chain.op('N');
        for (int i = 0; i < deep; i++) {
            chain.op(0x85).op('R');
        }
        byte[] pkl = chain.op('s').stop().bytes();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Object root = new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE, ReadOptions.defaults(), "x").load();
            Object callbacks = ((Map<?, ?>) root).get("callbacks");
            int depth = 0;
            for (Object o = callbacks; o instanceof PyObject; o = ((PyObject) o).args().get(0)) {
                depth++;
            }
            assertEquals(deep, depth);
            assertEquals(0, ObjectTrees.tensorCount(root));
            assertEquals("dict of 1 entry", StateDict.describe(root));
            assertEquals("lightning_fake.Callback(...)", callbacks.toString());
            assertEquals("tuple of 1", ((PyObject) callbacks).args().toString());
            callbacks.hashCode();
            StateDict sd = StateDict.of(root);
            assertEquals(Map.of("callbacks", "lightning_fake.Callback object"), sd.skipped());
        });
    }

    @Test
    void frozensetsAndTuplesNestedToTheLimitHashWithoutOverflow() throws IOException {
        // A dict key of containers nested `depth` deep, frozensets and tuples alternating: Java's
        // hashCode and equals recurse through both. Frozensets need their MARKs first.
        int limit = PickleMachine.MAX_HASHED_TUPLE_DEPTH;
        for (int depth : new int[] {limit, limit + 1}) {
            PickleBuilder b = PickleBuilder.protocol(4).op('}');
            for (int level = depth; level >= 1; level--) {
                if (level % 2 == 1) {
                    b.op('('); // for the frozenset at this level
                }
            }
            b.integer(0);
            for (int level = 1; level <= depth; level++) {
                b.op(level % 2 == 1 ? 0x91 : 0x85); // FROZENSET or TUPLE1
            }
            byte[] pkl = b.op('N').op('s').stop().bytes();
            PickleMachine m = new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE, ReadOptions.defaults(), "x");
            if (depth <= limit) {
                Object key = ((Map<?, ?>) m.load()).keySet().iterator().next();
                assertEquals(key.hashCode(), key.hashCode());
                assertTrue(key.equals(key));
            } else {
                PickleException e = assertThrows(PickleException.class, m::load);
                assertTrue(e.getMessage().contains((limit + 1) + " deep"), e.getMessage());
            }
        }
    }

    @Test
    void theMemoHoldsAtMostTheLimitAndAnyIndexPythonAllows() throws IOException {
        ReadOptions small = new ReadOptions(false, 1L << 30, 100, 100, 1000, null);
        byte[] hundred = PickleBuilder.protocol(4).op('N').repeat(0x94, 100).stop().bytes();
        assertNull(new PickleMachine(PickleInput.of(hundred), PickleHooks.NONE, small, "x").load());
        byte[] more = PickleBuilder.protocol(4).op('N').repeat(0x94, 101).stop().bytes();
        MemoryLimitException e = assertThrows(MemoryLimitException.class,
                () -> new PickleMachine(PickleInput.of(more), PickleHooks.NONE, small, "x").load());
        assertEquals(101, e.claimed());
        assertEquals(MemoryLimitException.class,
                PickleImportScanner.scan(PickleInput.of(more), "x", small).problem().getClass());
        // LONG_BINPUT takes any unsigned 32-bit index, as CPython does; only the count is limited.
        byte[] far = PickleBuilder.protocol(2).string("posix").put(0xffffffffL).op('0').get(0xffffffffL)
                .string("system").op(0x93).stop().bytes();
        assertEquals(List.of("posix.system"), PickleImportScanner.scan(PickleInput.of(far), "x", ReadOptions.defaults())
                .imports().stream().map(PickleImport::qualifiedName).toList());
    }

    @Test
    void theStackHoldsAtMostTheLimitWhateverItsArraysSize() throws IOException {
        // the stack is an array that grows: the limit must hold below, at and past its first size (64)
        for (int limit : new int[] {0, 1, 10, 63, 64, 65, 200}) {
            ReadOptions small = new ReadOptions(false, 1L << 30, 100, limit, 1000, null);
            byte[] full = PickleBuilder.protocol(4).op('(').repeat('N', limit).op('l').stop().bytes();
            byte[] over = PickleBuilder.protocol(4).op('(').repeat('N', limit + 1).op('l').stop().bytes();
            if (limit > 0) {
                assertEquals(limit, ((List<?>) new PickleMachine(PickleInput.of(full), PickleHooks.NONE, small, "x").load())
                        .size());
            }
            MemoryLimitException e = assertThrows(MemoryLimitException.class,
                    () -> new PickleMachine(PickleInput.of(over), PickleHooks.NONE, small, "x").load());
            assertEquals(limit + 1L, e.claimed(), "limit " + limit);
        }
    }

    @Test
    void addItemsOnAFrozensetIsRefused() {
        byte[] pkl = PickleBuilder.protocol(4).op('(').op(0x91).op('(').integer(1).op(0x90).stop().bytes();
        PickleException e = assertThrows(PickleException.class,
                () -> new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE, ReadOptions.defaults(), "x").load());
        assertTrue(e.getMessage().contains("ADDITEMS"), e.getMessage());
    }

    @Test
    void anImportComputedAtLoadTimeIsRefused() throws IOException {
        byte[] pkl = PickleBuilder.protocol(4).call("builtins", "str", "posix").string("system").op(0x93).stop().bytes();
        UnsafeModelException e = assertThrows(UnsafeModelException.class,
                () -> new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE, ReadOptions.defaults(), "data.pkl").load());
        assertEquals("dangerous import " + PickleImport.COMPUTED + " in data.pkl: refusing the file (run 'sdmodel scan' "
                + "for the full list)", e.getMessage());
        Object g = new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE,
                ReadOptions.defaults().withDangerousImportsAllowed(true), "data.pkl").load();
        assertEquals(new PyGlobal("", PickleImport.COMPUTED), g);
    }

    @Test
    void textIntegersStopAtPythonsDigitLimit() throws IOException {
        // Python 3.11's int() refuses more than 4300 digits (testdata cannot hold the check: its
        // pickles are small; this is CPython's documented sys.int_info.default_max_str_digits).
        byte[] ok = PickleBuilder.protocol(0).op('L').raw(("-" + "9".repeat(4300) + "L\n").getBytes()).stop().bytes();
        Object v = new PickleMachine(PickleInput.of(ok), PickleHooks.NONE, ReadOptions.defaults(), "x").load();
        assertEquals(4301, v.toString().length());
        byte[] tooLong = PickleBuilder.protocol(0).op('I').raw(("9".repeat(4301) + "\n").getBytes()).stop().bytes();
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThrows(PickleException.class,
                () -> new PickleMachine(PickleInput.of(tooLong), PickleHooks.NONE, ReadOptions.defaults(), "x").load()));
    }

    @Test
    void theScannerSkipsHugePayloadsWithoutReadingThem() throws IOException {
        // A BINBYTES8 of 64 MiB followed by an import: the scanner skips the bytes and sees the import.
        Path file = Files.createTempFile("sdmodel-skip", ".pkl");
        try {
            long n = 64L << 20;
            byte[] head = PickleBuilder.protocol(4).op(0x8e).le(n, 8).bytes();
            byte[] tail = PickleBuilder.protocol(4).op('0').stackGlobal("os", "system").stop().bytes();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(head));
                ch.write(java.nio.ByteBuffer.wrap(Arrays.copyOfRange(tail, 2, tail.length)), head.length + n);
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long before = Allocations.byThisThread();
                PickleImportScanner.Result r = PickleImportScanner.scan(PickleInput.of(ch, 0, ch.size(), 1 << 20), "x",
                        ReadOptions.defaults());
                long allocated = Allocations.byThisThread() - before;
                assertNull(r.problem());
                assertEquals(List.of("os.system"), r.imports().stream().map(PickleImport::qualifiedName).toList());
                assertTrue(allocated < (8 << 20), "allocated " + allocated);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aListHoldingItselfDoesNotHangAnything() throws IOException {
        byte[] pkl = PickleBuilder.protocol(2).op(']').put(0).get(0).op('a').stop().bytes();
        Object root = new PickleMachine(PickleInput.of(pkl), PickleHooks.NONE, ReadOptions.defaults(), "x").load();
        assertEquals(0, ObjectTrees.tensorCount(root));
        assertEquals("list of 1 item", StateDict.describe(root));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> StateDict.of(root));
        assertTrue(e.getMessage().contains("itself"), e.getMessage());
    }

    @Test
    void setsHoldOnlyHashableItems() {
        for (PickleBuilder b : List.of(
                PickleBuilder.protocol(4).op(0x8f).op('(').op(']').op(0x90),                 // a list in a set
                PickleBuilder.protocol(4).op('(').op('}').op(0x91),                         // a dict in a frozenset
                PickleBuilder.protocol(4).op('}').op(']').op(0x85).op('N').op('s'))) {      // a tuple holding a list as a key
            PickleException e = assertThrows(PickleException.class, () -> new PickleMachine(
                    PickleInput.of(b.stop().bytes()), PickleHooks.NONE, ReadOptions.defaults(), "x").load());
            assertTrue(e.getMessage().contains("unhashable"), e.getMessage());
        }
    }
}
