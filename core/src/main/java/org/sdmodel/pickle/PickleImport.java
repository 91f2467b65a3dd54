package org.sdmodel.pickle;

import java.util.Objects;

/**
 * One import a pickle makes with {@code GLOBAL}, {@code STACK_GLOBAL} or {@code INST}/{@code OBJ}:
 * a module and a name, the record of the file it was found in, and how it is classified.
 */
public final class PickleImport {
    private final String module;
    private final String name;
    private final String record;
    private final ImportSafety safety;

    public PickleImport(String module, String name, String record) {
        this.module = Objects.requireNonNull(module);
        this.name = Objects.requireNonNull(name);
        this.record = record == null ? "" : record;
        this.safety = ImportSafety.classify(module, name);
    }

    /** The module, as written in the pickle ({@code torch._utils}). */
    public String module() {
        return module;
    }

    /** The attribute name ({@code _rebuild_tensor_v2}). */
    public String name() {
        return name;
    }

    /** {@code module.name}. */
    public String qualifiedName() {
        return module + "." + name;
    }

    /** The record of the file the pickle came from ({@code archive/data.pkl}), or "" for a legacy file. */
    public String record() {
        return record;
    }

    /** How this import is classified. */
    public ImportSafety safety() {
        return safety;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PickleImport
                && ((PickleImport) o).module.equals(module)
                && ((PickleImport) o).name.equals(name)
                && ((PickleImport) o).record.equals(record);
    }

    @Override
    public int hashCode() {
        return Objects.hash(module, name, record);
    }

    @Override
    public String toString() {
        return qualifiedName() + " (" + safety.label() + ")";
    }
}
