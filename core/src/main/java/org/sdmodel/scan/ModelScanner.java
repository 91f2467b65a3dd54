package org.sdmodel.scan;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.internal.PickleHooks;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.pickle.internal.PickleImportScanner;
import org.sdmodel.pickle.internal.PickleInput;
import org.sdmodel.pickle.internal.PickleMachine;
import org.sdmodel.safetensors.SafetensorsFile;
import org.sdmodel.torch.TorchZipFile;

/**
 * Scans a file for the imports its pickles make, without running or building anything, wherever
 * Python would unpickle something from it:
 * <ul>
 * <li>a torch zip checkpoint, or any zip archive (.npz included): every entry whose bytes are a
 *     pickle, whatever its name, folder or extension (a {@code .pkl} name or a {@code PROTO} start
 *     makes it one; any other entry that reads as a whole pickle too), read as torch's own zip
 *     reader reads it: the last end-of-directory record, stored or deflated data, flag bits
 *     (encryption, data descriptors, patch data) ignored as torch ignores them;</li>
 * <li>a legacy torch file: its five pickles; a plain pickle file (any protocol, with or without
 *     {@code PROTO}): every pickle in it, one after another;</li>
 * <li>a numpy {@code .npy} array (also inside an {@code .npz}): the pickle after its header when the
 *     dtype holds objects, as {@code numpy.load} reads it; none otherwise;</li>
 * <li>a safetensors file: no code; it is validated.</li>
 * </ul>
 * Containers sdmodel does not read (7z, tar, gzip, encrypted zip entries, other compression
 * methods) are problems, never clean. A malformed pickle does not hide what came before it: the
 * imports seen up to the problem are reported beside it. When every pickle of a torch file reads
 * to its end, the file is also opened as {@link ModelFile#open} opens it, so that a clean report
 * means sdmodel's readers accept the file.
 *
 * <pre>{@code
 * ScanReport r = ModelScanner.scan(Path.of("model.ckpt"));
 * for (PickleImport i : r.imports()) {
 *     System.out.println(i.record() + " " + i.safety().label() + " " + i.qualifiedName());
 * }
 * boolean safeToLoad = r.verdict() == ScanReport.Verdict.CLEAN;
 * }</pre>
 */
public final class ModelScanner {
    /** A legacy file: magic number, protocol version, system info, data, storage keys; then raw storages. */
    private static final int LEGACY_PICKLES = 5;
    private static final BigInteger TORCH_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    /** More pickles than this in one stream are not followed (no real file has more than a handful). */
    private static final int MAX_PICKLES = 10_000;
    private static final byte[] SEVEN_ZIP = {'7', 'z', (byte) 0xBC, (byte) 0xAF, 0x27, 0x1C};

    private ModelScanner() {
    }

    /**
     * Scans a file with the default limits and import policy.
     *
     * @param file the file
     * @return every import and problem found
     * @throws IOException if the file cannot be read at all
     */
    public static ScanReport scan(Path file) throws IOException {
        return scan(file, ReadOptions.defaults());
    }

    /**
     * Scans a file.
     *
     * @param options the limits on pickle nesting and memo, on a safetensors header, and the
     *     import policy imports are classified by
     * @param file the file
     * @return every import and problem found
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws IOException if the file cannot be read at all; a malformed file gives a report
     *     whose {@link ScanReport#problems()} say what is wrong
     */
    public static ScanReport scan(Path file, ReadOptions options) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        Scan s = new Scan(file, options);
        if (Files.isDirectory(file)) {
            s.problem("is a directory, not a model file");
            return s.report();
        }
        if (org.sdmodel.zstd.ZstdFiles.isZstd(file)) {
            return scanZstd(file, options);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = NpyHeader.head(new Region(ch, 0, ch.size()), 512);
            int n = head.remaining();
            if (n == 0) {
                s.problem("the file is empty");
            } else if (n >= 4 && head.get(0) == 'P' && head.get(1) == 'K' && (head.get(2) == 3 && head.get(3) == 4
                    || head.get(2) == 5 && head.get(3) == 6)) {
                scanZip(ch, s); // torch tells a zip from a legacy file by these first bytes (_is_zipfile)
            } else if (NpyHeader.isNpy(head)) {
                s.container = "numpy array";
                scanNpy(new Region(ch, 0, ch.size()), ch.size(), "", s);
            } else if (startsWith(head, SEVEN_ZIP)) {
                s.container = "7z archive";
                s.problem("a 7z archive: sdmodel does not read 7z (extract it, then scan what it holds)");
            } else if (n >= 262 && head.get(257) == 'u' && head.get(258) == 's' && head.get(259) == 't'
                    && head.get(260) == 'a' && head.get(261) == 'r') {
                s.container = "tar archive";
                s.problem("a tar archive (torch's format before 0.1.10, or a plain tar): sdmodel does not read tar");
            } else if (n >= 2 && (head.get(0) & 0xFF) == 0x1F && (head.get(1) & 0xFF) == 0x8B) {
                s.container = "gzip data";
                s.problem("gzip-compressed: sdmodel does not read gzip (decompress it, then scan the result)");
            } else if (!looksLikePickle(head) && n >= 9 && head.get(8) == '{') {
                scanSafetensors(file, options, s);
            } else {
                scanPickleFile(ch, head, s);
            }
        }
        return s.report();
    }

    private static ScanReport scanZstd(Path file, ReadOptions options) throws IOException {
        // A .zst file is scanned as what it decompresses to, in a temporary copy.
        Path dir = options.tempDirectory() != null ? options.tempDirectory() : Path.of(System.getProperty("java.io.tmpdir"));
        try (org.sdmodel.io.TemporaryFile plain = org.sdmodel.io.TemporaryFile.create(dir, file.getFileName().toString())) {
            try (FileChannel out = FileChannel.open(plain.path(), StandardOpenOption.WRITE)) {
                org.sdmodel.zstd.ZstdFiles.decompress(file, out, org.sdmodel.zstd.ZstdFiles.NO_PROGRESS);
            } catch (ModelFormatException e) {
                Scan s = new Scan(file, options);
                s.container = "zstd data";
                s.problem(e.getMessage());
                return s.report();
            }
            ScanReport inner = scan(plain.path(), options);
            return new ScanReport(file, inner.format(), inner.container() + ", zstd-compressed", inner.records(),
                    inner.imports(), inner.problems(), inner.notes());
        }
    }

    private static void scanSafetensors(Path file, ReadOptions options, Scan s) throws IOException {
        s.format = ModelFormat.SAFETENSORS;
        s.container = "safetensors";
        try {
            SafetensorsFile.open(file, options).close();
        } catch (ModelFormatException e) {
            s.problem(e.getMessage());
        }
    }

    // ---- pickle files: legacy torch or plain pickles ----

    private static void scanPickleFile(FileChannel ch, ByteBuffer head, Scan s) throws IOException {
        long size = ch.size();
        PickleImportScanner.Result first = s.walk(PickleInput.of(ch, 0, size, s.options.maxPickleBytes()), "pickle 1");
        if (!first.complete() && first.imports().isEmpty() && !first.unfollowed()) {
            // Nothing was imported before Python's unpickler would fail too: say what the file is.
            try {
                ModelFormat f = ModelFormat.detect(head);
                s.container = f == ModelFormat.SAFETENSORS ? "safetensors" : "pickle";
                s.problem(first.length() <= 1 && f != ModelFormat.TORCH_LEGACY
                        ? "is not a PyTorch checkpoint, pickle or safetensors file (unknown first bytes)"
                        : "pickle 1: " + first.problem().getMessage());
            } catch (ModelFormatException e) {
                s.container = "not a model file";
                s.problem(e.getMessage());
            }
            return;
        }
        s.add("pickle 1", first);
        if (!first.complete()) {
            s.container = "pickle";
            return; // where a next pickle would start is unknown
        }
        if (first.imports().isEmpty() && isTorchMagic(ch, first.length(), s.options)) {
            s.format = ModelFormat.TORCH_LEGACY;
            s.container = "PyTorch checkpoint (legacy)";
            long position = first.length();
            for (int i = 2; i <= LEGACY_PICKLES; i++) {
                String record = "pickle " + i;
                if (position >= size) {
                    s.problem(record + ": the file ends before it (a legacy torch file has five pickles)");
                    return;
                }
                PickleImportScanner.Result r = s.walk(PickleInput.of(ch, position, size - position, s.options.maxPickleBytes()), record);
                s.add(record, r);
                if (!r.complete()) {
                    return;
                }
                position += r.length();
            }
            s.validate(ch);
            return;
        }
        s.container = "pickle";
        // Bytes after STOP: Python's load() leaves them; a program that loads again reads the next
        // pickle there, so every following pickle is scanned too.
        long position = first.length();
        for (int i = 2; position < size; i++) {
            String record = "pickle " + i;
            if (i > MAX_PICKLES) {
                s.unfollowed("more than " + MAX_PICKLES + " pickles one after another: the rest is not scanned");
                return;
            }
            PickleImportScanner.Result r = s.walk(PickleInput.of(ch, position, size - position, s.options.maxPickleBytes()), record);
            if (!s.addTrailing(record, r, size - position)) {
                return;
            }
            position += r.length();
        }
    }

    /** Whether the pickle at the start of the file is torch's legacy magic number (evaluated as data). */
    private static boolean isTorchMagic(FileChannel ch, long length, ReadOptions options) throws IOException {
        try {
            Object v = new PickleMachine(PickleInput.of(ch, 0, length, options.maxPickleBytes()), PickleHooks.NONE,
                    options.withDangerousImportsAllowed(true), "").load();
            return TORCH_MAGIC.equals(v instanceof Long ? BigInteger.valueOf((Long) v) : v);
        } catch (ModelFormatException e) {
            return false;
        }
    }

    private static boolean looksLikePickle(ByteBuffer head) {
        return head.remaining() >= 2 && (head.get(0) & 0xFF) == 0x80 && (head.get(1) & 0xFF) <= 5;
    }

    private static boolean startsWith(ByteBuffer head, byte[] magic) {
        if (head.remaining() < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (head.get(i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    // ---- numpy ----

    /**
     * An .npy array at the start of {@code data} ({@code length} bytes): the pickle after the header
     * when its dtype holds objects.
     */
    private static void scanNpy(ReadableByteChannel data, long length, String prefix, Scan s) throws IOException {
        NpyHeader header;
        try {
            // The fixed part, then exactly the header, so that the channel stops where the data starts.
            ByteBuffer fixed = ByteBuffer.allocate((int) Math.min(length, 10)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            readFully(data, fixed);
            if (fixed.position() < 10) {
                throw new ModelFormatException("a numpy file too short for its header");
            }
            int major = fixed.get(6) & 0xFF;
            long headerLength;
            ByteBuffer all;
            if (major == 1) {
                headerLength = 10L + (fixed.getShort(8) & 0xFFFF);
                all = ByteBuffer.allocate((int) headerLength);
                all.put(fixed.array(), 0, 10);
            } else {
                ByteBuffer len = ByteBuffer.allocate(2);
                readFully(data, len);
                ByteBuffer four = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                four.put(fixed.array(), 8, 2).put(len.array(), 0, len.position());
                long n = four.position() == 4 ? four.getInt(0) & 0xFFFFFFFFL : Long.MAX_VALUE;
                if (n > 65535) {
                    throw new ModelFormatException("the numpy header claims " + n + " bytes (numpy reads at most 10,000 by default)");
                }
                headerLength = 12 + n;
                all = ByteBuffer.allocate((int) headerLength);
                all.put(fixed.array(), 0, 10).put(len.array(), 0, 2);
            }
            if (headerLength > length) {
                throw new ModelFormatException("the numpy header claims more bytes than the file holds");
            }
            readFully(data, all);
            all.flip();
            header = NpyHeader.parse(all);
        } catch (ModelFormatException e) {
            s.problem((prefix.isEmpty() ? "" : prefix + ": ") + e.getMessage());
            return;
        }
        s.numpy++;
        if (!header.hasObject()) {
            s.notes.add((prefix.isEmpty() ? "" : prefix + ": ") + "numpy array of dtype " + header.descr()
                    + ": plain numbers, no pickle");
            return;
        }
        String record = prefix.isEmpty() ? "array data (pickle)" : prefix + " (pickle)";
        long rest = length - header.dataOffset();
        PickleImportScanner.Result r = s.walk(PickleInput.of(data, rest, s.options.maxPickleBytes()), record);
        s.add(record, r);
        if (r.complete() && r.length() < rest) {
            s.notes.add(record + ": " + (rest - r.length()) + " bytes after its STOP (numpy.load reads one pickle)");
        }
    }

    // ---- zip archives ----

    private static final java.util.Set<String> PICKLE_EXTENSIONS = java.util.Set.of(
            ".pkl", ".pickle", ".joblib", ".dat", ".data", ".p");

    private static void scanZip(FileChannel ch, Scan s) throws IOException {
        s.container = "zip archive";
        List<TorchZipFile.ZipEntry> entries;
        try {
            entries = TorchZipFile.allEntries(ch);
        } catch (ModelFormatException e) {
            s.problem(e.getMessage());
            return;
        }
        long dataPkls = entries.stream().map(TorchZipFile.ZipEntry::name)
                .filter(name -> name.equals("data.pkl") || name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - 9)
                .count();
        if (dataPkls == 1) {
            // A torch checkpoint: first what sdmodel's own reader (stricter than torch's) says of the directory.
            try {
                TorchZipFile.pickleRecords(ch);
            } catch (ModelFormatException e) {
                s.problem(e.getMessage());
            }
        }
        int pickles = 0;
        for (TorchZipFile.ZipEntry e : entries) {
            String name = e.name();
            if (name.endsWith("/") && e.size() == 0) {
                continue; // a folder
            }
            if (e.method() != 0 && e.method() != 8) {
                s.problem(name + ": compressed with method " + e.method() + ", which sdmodel does not read");
                continue;
            }
            if (e.size() > s.options.maxPickleBytes() && e.method() == 8) {
                s.unfollowed(name + ": inflates to " + e.size() + " bytes, more than the " + s.options.maxPickleBytes()
                        + " sdmodel reads of one entry");
                continue;
            }
            ByteBuffer head;
            try (ReadableByteChannel in = open(ch, e)) {
                head = NpyHeader.head(in, 16);
            } catch (IOException ex) {
                s.problem(name + ": cannot be inflated (" + ex.getMessage() + ")");
                continue;
            }
            String lower = name.toLowerCase(Locale.ROOT);
            boolean named = PICKLE_EXTENSIONS.stream().anyMatch(lower::endsWith);
            if (NpyHeader.isNpy(head)) {
                try (ReadableByteChannel in = open(ch, e)) {
                    scanNpy(in, e.size(), name, s);
                }
                continue;
            }
            PickleImportScanner.Result r;
            try (ReadableByteChannel in = open(ch, e)) {
                r = s.walk(PickleInput.of(in, e.size(), s.options.maxPickleBytes()), name);
            } catch (IOException ex) {
                s.problem(name + ": cannot be read (" + ex.getMessage() + ")");
                continue;
            }
            if (named || looksLikePickle(head) || r.complete() || r.unfollowed()) {
                if (!named && !looksLikePickle(head) && r.unfollowed() && r.imports().isEmpty()) {
                    continue; // data that merely starts like a pickle and runs into a limit
                }
                if (!r.complete() && r.imports().isEmpty() && e.encryptedFlag()) {
                    s.problem(name + ": encrypted (its bytes are no pickle as stored): sdmodel does not read encrypted zip entries");
                    continue;
                }
                pickles++;
                s.add(name, r);
                if (e.encryptedFlag()) {
                    s.notes.add(name + ": flagged as encrypted, but stored in the clear: torch ignores the flag and reads it");
                }
                if (r.complete() && r.length() < e.size()) {
                    s.notes.add(name + ": " + (e.size() - r.length()) + " bytes after its STOP (never read by torch.load)");
                }
            } else if (e.encryptedFlag()) {
                s.problem(name + ": encrypted: sdmodel does not read encrypted zip entries");
            }
        }
        if (dataPkls == 1) {
            s.format = ModelFormat.TORCH_ZIP;
            s.container = "PyTorch checkpoint (zip)";
        } else if (s.numpy > 0 && s.numpy == entries.stream().filter(e -> !e.name().endsWith("/")).count()) {
            s.container = "numpy archive (.npz)";
        }
        if (entries.isEmpty()) {
            s.problem("an empty zip archive: nothing to scan");
        } else if (pickles == 0 && s.numpy == 0 && s.problems.isEmpty()) {
            s.problem("a zip archive with no pickle (no data.pkl, no other) and no numpy array in it: nothing to scan");
        }

        if (s.format == ModelFormat.TORCH_ZIP) {
            s.validate(ch);
        }
    }

    /** The bytes of a zip entry: stored in place, or inflated (raw deflate, as zip stores it). */
    private static ReadableByteChannel open(FileChannel ch, TorchZipFile.ZipEntry e) {
        Region region = new Region(ch, e.offset(), e.storedSize());
        if (e.method() == 0) {
            return region;
        }
        // A raw inflater may need one byte past the data to finish (java.util.zip.Inflater, "nowrap").
        InputStream stored = new java.io.SequenceInputStream(Channels.newInputStream(region),
                new java.io.ByteArrayInputStream(new byte[1]));
        InputStream inflated = new InflaterInputStream(stored, new Inflater(true), 64 * 1024);
        return Channels.newChannel(inflated);
    }

    private static void readFully(ReadableByteChannel in, ByteBuffer b) throws IOException {
        while (b.hasRemaining() && in.read(b) > 0) {
            // fill what there is
        }
    }

    /** A region of a file as a sequential channel, read with positional reads. */
    private static final class Region implements ReadableByteChannel {
        private final FileChannel file;
        private final long end;
        private long pos;

        Region(FileChannel file, long offset, long length) {
            this.file = file;
            this.pos = offset;
            this.end = offset + length;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (pos >= end) {
                return -1;
            }
            int oldLimit = dst.limit();
            if (dst.remaining() > end - pos) {
                dst.limit((int) (dst.position() + (end - pos)));
            }
            try {
                int n = file.read(dst, pos);
                if (n > 0) {
                    pos += n;
                }
                return n;
            } finally {
                dst.limit(oldLimit);
            }
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
            // the file belongs to the caller
        }
    }

    /** What a scan collects. */
    private static final class Scan {
        final Path file;
        final ReadOptions options;
        ModelFormat format;
        String container = "unknown";
        int numpy;
        final List<String> records = new ArrayList<>();
        final LinkedHashSet<PickleImport> imports = new LinkedHashSet<>();
        final List<ScanReport.Problem> problems = new ArrayList<>();
        final List<String> notes = new ArrayList<>();

        Scan(Path file, ReadOptions options) {
            this.file = file;
            this.options = options;
        }

        PickleImportScanner.Result walk(PickleInput in, String record) throws IOException {
            return PickleImportScanner.scan(in, record, options);
        }

        void problem(String message) {
            problems.add(new ScanReport.Problem(message, false));
        }

        void unfollowed(String message) {
            problems.add(new ScanReport.Problem(message, true));
        }

        void add(String record, PickleImportScanner.Result r) {
            records.add(record);
            imports.addAll(r.imports());
            if (!r.complete()) {
                problems.add(new ScanReport.Problem(record + ": " + r.problem().getMessage(), r.unfollowed()));
            }
        }

        /**
         * A pickle after the first of a stream: kept if it reads to its end or imports something
         * before it breaks; bytes that are no pickle are a note (Python's load() never reads them).
         *
         * @return whether the next pickle can be looked for
         */
        boolean addTrailing(String record, PickleImportScanner.Result r, long left) {
            if (r.complete()) {
                add(record, r);
                return true;
            }
            if (r.unfollowed() || !r.imports().isEmpty()) {
                add(record, r);
                return false;
            }
            notes.add(left + " bytes after the last pickle are not a pickle (" + r.problem().getMessage()
                    + "); pickle.load never reads them");
            return false;
        }

        /** Opens a torch file whose pickles all read, to find what its pickles alone do not show. */
        void validate(FileChannel ch) throws IOException {
            if (!problems.isEmpty() || imports.stream().anyMatch(i -> i.safety() != org.sdmodel.pickle.ImportSafety.ALLOWED)) {
                return; // the reader would stop where the scan stopped, or the file is unsafe anyway
            }
            try (ModelFile model = ModelFile.open(file, options.withDangerousImportsAllowed(true)
                    .withNotAllowedImportsRefused(false))) {
                model.stateDict();
            } catch (ModelFormatException e) {
                problem(e.getMessage());
            }
        }

        ScanReport report() {
            return new ScanReport(file, format, container, records, new ArrayList<>(imports), problems, notes);
        }
    }
}
