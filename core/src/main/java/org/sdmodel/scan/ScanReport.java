package org.sdmodel.scan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.sdmodel.ModelFormat;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;

/**
 * What {@link ModelScanner} found in one file: what kind of container it is, the pickles it
 * scanned, every import they make with its class, the problems that kept it from reading all of
 * them, and notes that change nothing (bytes after the last pickle, a flag torch ignores).
 */
public final class ScanReport {

    /** The conclusion about a file, most severe first. */
    public enum Verdict {
        /**
         * Unsafe to load with {@code torch.load} (or {@code pickle.load}): an import is not on the
         * allow list (or is dangerous), or a pickle is written in a way sdmodel does not follow
         * exactly as Python would.
         */
        UNSAFE,
        /** Nothing unsafe was seen, but the file could not be read in full: it is not vouched for. */
        UNREADABLE,
        /** Read in full; every import (if any) is on the allow list. */
        CLEAN;

        /** {@return lower-case label for output} */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How imports count towards the verdict. */
    public enum Mode {
        /** Only imports on the allow list are accepted (the default). */
        ALLOW_LIST,
        /**
         * sdmodel's behaviour before the allow list: only known-dangerous imports make a file
         * unsafe; imports that are merely not allowed are listed but accepted.
         */
        DENY_LIST
    }

    /**
     * Why a file or part of it was not read in full.
     *
     * @param message one line, naming the record
     * @param unfollowed true if sdmodel stopped where Python's unpickler would go on (or read
     *     differently): the file is then unsafe, not merely unreadable
     */
    public record Problem(String message, boolean unfollowed) {
        @Override
        public String toString() {
            return message;
        }
    }

    private final Path file;
    private final ModelFormat format;
    private final String container;
    private final List<String> records;
    private final List<PickleImport> imports;
    private final List<Problem> problems;
    private final List<String> notes;

    ScanReport(Path file, ModelFormat format, String container, List<String> records, List<PickleImport> imports,
            List<Problem> problems, List<String> notes) {
        this.file = file;
        this.format = format;
        this.container = container;
        this.records = List.copyOf(records);
        this.imports = List.copyOf(imports);
        this.problems = List.copyOf(problems);
        this.notes = List.copyOf(notes);
    }

    /** {@return the file scanned, as given} */
    public Path file() {
        return file;
    }

    /** {@return the file's model format, or null if it is another container (a plain pickle, numpy, a zip) or none} */
    public ModelFormat format() {
        return format;
    }

    /**
     * What the file is, in words: "PyTorch checkpoint (zip)", "PyTorch checkpoint (legacy)",
     * "pickle", "numpy array", "zip archive", "safetensors", or what it was recognised as when it
     * could not be read ("7z archive").
     *
     * @return the container, in words
     */
    public String container() {
        return container;
    }

    /**
     * The pickles scanned: record names of a zip file ({@code archive/data.pkl}), {@code pickle 1}
     * to {@code pickle 5} of a legacy file or a pickle stream; empty for safetensors.
     *
     * @return the record names
     */
    public List<String> records() {
        return records;
    }

    /** {@return every import, in order of first appearance, once per record} */
    public List<PickleImport> imports() {
        return imports;
    }

    /**
     * {@return the imports of one class}
     *
     * @param safety one class of imports
     */
    public List<PickleImport> imports(ImportSafety safety) {
        return imports.stream().filter(i -> i.safety() == safety).toList();
    }

    /** {@return what kept the scan from reading the whole file, each naming its record; empty when read in full} */
    public List<Problem> problems() {
        return problems;
    }

    /** {@return remarks that do not change the verdict} */
    public List<String> notes() {
        return notes;
    }

    /** {@return whether every pickle was read to its end (for safetensors: whether the file is valid)} */
    public boolean complete() {
        return problems.isEmpty();
    }

    /** {@return the verdict by the allow list: see {@link #verdict(Mode)}} */
    public Verdict verdict() {
        return verdict(Mode.ALLOW_LIST);
    }

    /**
     * The verdict: {@link Verdict#UNSAFE} if an import is not allowed (in {@link Mode#DENY_LIST},
     * only if one is dangerous) or a problem is one sdmodel does not follow, even in a file that is
     * otherwise unreadable; else {@link Verdict#UNREADABLE} if there are problems; else {@link
     * Verdict#CLEAN}.
     *
     * @param mode how strict the verdict is
     * @return the verdict
     */
    public Verdict verdict(Mode mode) {
        boolean unsafeImport = imports.stream().anyMatch(i -> i.safety() == ImportSafety.DANGEROUS
                || mode == Mode.ALLOW_LIST && i.safety() == ImportSafety.NOT_ALLOWED);
        if (unsafeImport || problems.stream().anyMatch(Problem::unfollowed)) {
            return Verdict.UNSAFE;
        }
        return problems.isEmpty() ? Verdict.CLEAN : Verdict.UNREADABLE;
    }

    @Override
    public String toString() {
        return "ScanReport[" + file + ", " + container + ", " + verdict().label() + ", " + imports.size() + " imports, "
                + problems.size() + " problems]";
    }
}
