package org.sdmodel.scan;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.pickle.PickleImportScanner;
import org.sdmodel.pickle.PickleInput;
import org.sdmodel.safetensors.SafetensorsFile;
import org.sdmodel.torch.TorchZipFile;

/**
 * Scans a model file for the imports its pickles make, without interpreting them: every {@code
 * .pkl} record of a torch zip file, the pickles of a legacy torch file (or of a plain pickle
 * file), one after another. A safetensors file holds no code: it is validated and has no imports.
 *
 * <p>A malformed pickle does not hide what came before it: the imports seen up to the problem
 * are reported beside it, and the other records are still scanned. When every pickle reads to its
 * end, the file is also opened as {@link ModelFile#open} opens it (with dangerous imports kept
 * inert instead of refused) and its state dict found, so that a report without problems means
 * sdmodel's readers accept the file: its storages exist, its tensors fit them.
 *
 * <pre>{@code
 * ScanReport r = ModelScanner.scan(Path.of("model.ckpt"));
 * for (PickleImport i : r.imports()) {
 *     System.out.println(i.record() + " " + i.safety().label() + " " + i.qualifiedName());
 * }
 * boolean refuse = r.verdict(false) == ScanReport.Verdict.DANGEROUS;
 * }</pre>
 */
public final class ModelScanner {
    /** A legacy file: magic number, protocol version, system info, data, storage keys; then raw storages. */
    private static final int LEGACY_PICKLES = 5;

    private ModelScanner() {
    }

    /** Scans a file with the default limits. */
    public static ScanReport scan(Path file) throws IOException {
        return scan(file, ReadOptions.defaults());
    }

    /**
     * Scans a file.
     *
     * @param options the limits on pickle nesting and memo, and on a safetensors header
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws IOException if the file cannot be read at all; a malformed file gives a report
     *     whose {@link ScanReport#problems()} say what is wrong
     */
    public static ScanReport scan(Path file, ReadOptions options) throws IOException {
        if (!java.nio.file.Files.isDirectory(file) && java.nio.file.Files.exists(file) && org.sdmodel.zstd.ZstdFiles.isZstd(file)) {
            // A .zst file is scanned as what it decompresses to, in a temporary copy.
            Path dir = options.tempDirectory() != null ? options.tempDirectory()
                    : Path.of(System.getProperty("java.io.tmpdir"));
            try (org.sdmodel.io.TemporaryFile plain = org.sdmodel.io.TemporaryFile.create(dir, file.getFileName().toString())) {
                try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(plain.path(),
                        StandardOpenOption.WRITE)) {
                    org.sdmodel.zstd.ZstdFiles.decompress(file, out, org.sdmodel.zstd.ZstdFiles.NO_PROGRESS);
                } catch (ModelFormatException e) {
                    return new ScanReport(file, null, List.of(), List.of(), List.of(e.getMessage()));
                }
                ScanReport inner = scan(plain.path(), options);
                return new ScanReport(file, inner.format(), inner.records(), inner.imports(), inner.problems());
            }
        }
        ModelFormat format;
        try {
            format = ModelFormat.detect(file);
        } catch (ModelFormatException e) {
            return new ScanReport(file, null, List.of(), List.of(), List.of(e.getMessage()));
        }
        Scan scan = new Scan();
        switch (format) {
            case SAFETENSORS:
                try {
                    SafetensorsFile.open(file, options).close();
                } catch (ModelFormatException e) {
                    scan.problems.add(e.getMessage());
                }
                break;
            case TORCH_ZIP:
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    scanZip(ch, options, scan);
                }
                validate(file, options, scan);
                break;
            case TORCH_LEGACY:
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    scanPickles(ch, options, scan);
                }
                validate(file, options, scan);
                break;
            default:
                throw new AssertionError(format);
        }
        return new ScanReport(file, format, scan.records, new ArrayList<>(scan.imports), scan.problems);
    }

    /** Opens a torch file whose pickles all read, to find what its pickles alone do not show. */
    private static void validate(Path file, ReadOptions options, Scan scan) throws IOException {
        if (!scan.problems.isEmpty()) {
            return; // the reader would stop where the scan stopped
        }
        try (ModelFile model = ModelFile.open(file, options.withDangerousImportsAllowed(true))) {
            model.stateDict();
        } catch (ModelFormatException e) {
            scan.problems.add(e.getMessage());
        }
    }

    private static void scanZip(FileChannel ch, ReadOptions options, Scan scan) throws IOException {
        List<TorchZipFile.Record> records;
        try {
            records = TorchZipFile.pickleRecords(ch);
        } catch (ModelFormatException e) {
            scan.problems.add(e.getMessage());
            return;
        }
        if (records.isEmpty()) {
            scan.problems.add("a zip archive, but not a torch checkpoint: no data.pkl record");
        }
        for (TorchZipFile.Record r : records) {
            scan.add(r.name(), PickleImportScanner.scan(
                    PickleInput.of(ch, r.offset(), r.size(), options.maxPickleBytes()), r.name(), options));
        }
    }

    /** The pickles of a legacy torch file, back to back; a plain pickle file has one and ends. */
    private static void scanPickles(FileChannel ch, ReadOptions options, Scan scan) throws IOException {
        long size = ch.size();
        long position = 0;
        for (int i = 1; i <= LEGACY_PICKLES && position < size; i++) {
            String record = "pickle " + i;
            PickleImportScanner.Result r = PickleImportScanner.scan(
                    PickleInput.of(ch, position, size - position, options.maxPickleBytes()), record, options);
            scan.add(record, r);
            if (!r.complete()) {
                return; // where the next pickle starts is unknown
            }
            position += r.length();
        }
    }

    /** What a scan collects. */
    private static final class Scan {
        final List<String> records = new ArrayList<>();
        final LinkedHashSet<PickleImport> imports = new LinkedHashSet<>();
        final List<String> problems = new ArrayList<>();

        void add(String record, PickleImportScanner.Result r) {
            records.add(record);
            imports.addAll(r.imports());
            if (!r.complete()) {
                problems.add(record + ": " + r.problem().getMessage());
            }
        }
    }
}
