package org.sdmodel.pickle;

import java.util.Objects;

/**
 * One import a pickle makes with {@code GLOBAL}, {@code STACK_GLOBAL} or {@code INST}: a module
 * and a name, the record of the file it was found in, and how it is classified.
 */
public final class PickleImport {
    /** The name of an import whose module and name the pickle computes at load time. */
    public static final String COMPUTED = "(computed at load time)";

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

    /**
     * A {@code STACK_GLOBAL} whose module or name is not a string in the pickle but the result of
     * a call: Python would import whatever the call returned, so it could be anything. Classified
     * dangerous; its {@link #qualifiedName()} is {@value #COMPUTED}.
     */
    public static PickleImport computed(String record) {
        return new PickleImport("", COMPUTED, record);
    }

    /** The module, as written in the pickle ({@code torch._utils}); "" for a {@link #computed} import. */
    public String module() {
        return module;
    }

    /** The attribute name ({@code _rebuild_tensor_v2}). */
    public String name() {
        return name;
    }

    /** {@code module.name}, or {@value #COMPUTED}. */
    public String qualifiedName() {
        return module.isEmpty() ? name : module + "." + name;
    }

    /**
     * The record of the file the pickle came from: {@code archive/data.pkl} in a zip checkpoint;
     * "" for a legacy file opened as a {@link org.sdmodel.ModelFile}, {@code pickle 4} (its
     * number) in a {@link org.sdmodel.scan.ModelScanner scan}.
     */
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
