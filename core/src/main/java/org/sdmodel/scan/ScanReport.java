package org.sdmodel.scan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.sdmodel.ModelFormat;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;

/**
 * What {@link ModelScanner} found in one file: the pickles it scanned, every import they make
 * with its class, and the problems that kept it from reading all of them.
 */
public final class ScanReport {

    /** The conclusion about a file, most severe first. */
    public enum Verdict {
        /** An import that could run code or touch the system (or, when strict, one not known to be safe). */
        DANGEROUS,
        /** Nothing dangerous was seen, but the file could not be read in full: it is not vouched for. */
        UNREADABLE,
        /** Read in full; some imports are neither known safe nor known dangerous. */
        UNKNOWN,
        /** Read in full; every import (if any) is one checkpoints legitimately use. */
        CLEAN;

        /** Lower-case label for output. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Path file;
    private final ModelFormat format;
    private final List<String> records;
    private final List<PickleImport> imports;
    private final List<String> problems;

    ScanReport(Path file, ModelFormat format, List<String> records, List<PickleImport> imports, List<String> problems) {
        this.file = file;
        this.format = format;
        this.records = List.copyOf(records);
        this.imports = List.copyOf(imports);
        this.problems = List.copyOf(problems);
    }

    /** The file scanned, as given. */
    public Path file() {
        return file;
    }

    /** The file's format, or null if it is no format sdmodel reads. */
    public ModelFormat format() {
        return format;
    }

    /**
     * The pickles scanned: record names of a zip file ({@code archive/data.pkl}), {@code pickle 1}
     * to {@code pickle 5} of a legacy file; empty for safetensors.
     */
    public List<String> records() {
        return records;
    }

    /** Every import, in order of first appearance, once per record. */
    public List<PickleImport> imports() {
        return imports;
    }

    /** The imports of one class. */
    public List<PickleImport> imports(ImportSafety safety) {
        return imports.stream().filter(i -> i.safety() == safety).toList();
    }

    /**
     * One-line descriptions of what kept the scan from reading the whole file (a truncated or
     * malformed pickle, a broken zip directory, a safetensors rule), each naming its record.
     * Empty when the file was read in full.
     */
    public List<String> problems() {
        return problems;
    }

    /** Whether every pickle was read to its end (for safetensors: whether the file is valid). */
    public boolean complete() {
        return problems.isEmpty();
    }

    /**
     * The verdict: {@link Verdict#DANGEROUS} if a dangerous import was seen, even in a file that
     * is otherwise unreadable; else {@link Verdict#UNREADABLE} if there are problems; else
     * {@link Verdict#UNKNOWN} or {@link Verdict#CLEAN}.
     *
     * @param strict whether an unknown import counts as dangerous
     */
    public Verdict verdict(boolean strict) {
        boolean unknown = imports.stream().anyMatch(i -> i.safety() == ImportSafety.UNKNOWN);
        if (imports.stream().anyMatch(i -> i.safety() == ImportSafety.DANGEROUS) || strict && unknown) {
            return Verdict.DANGEROUS;
        }
        if (!problems.isEmpty()) {
            return Verdict.UNREADABLE;
        }
        return unknown ? Verdict.UNKNOWN : Verdict.CLEAN;
    }

    @Override
    public String toString() {
        return "ScanReport[" + file + ", " + verdict(false).label() + ", " + imports.size() + " imports, "
                + problems.size() + " problems]";
    }
}
