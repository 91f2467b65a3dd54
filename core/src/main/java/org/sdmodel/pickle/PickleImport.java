package org.sdmodel.pickle;

import java.util.Objects;

/**
 * One import a pickle makes with {@code GLOBAL}, {@code STACK_GLOBAL} or {@code INST}: a module and
 * a name as written, the import CPython would make of them (Python 2 names are renamed for
 * protocols below 3), the record of the file it was found in, and how it is classified.
 */
public final class PickleImport {
    /** The name of an import whose module and name the pickle computes at load time. */
    public static final String COMPUTED = "(computed at load time)";

    private final String module;
    private final String name;
    private final String resolvedModule;
    private final String resolvedName;
    private final String record;
    private final ImportSafety safety;

    /** An import classified by the default policy, as at protocol 3 or above (no renaming). */
    public PickleImport(String module, String name, String record) {
        this(module, name, record, 4, ImportPolicy.defaults());
    }

    /**
     * An import made by a pickle of {@code protocol} (0 when it has no {@code PROTO}), classified by
     * {@code policy}.
     */
    public PickleImport(String module, String name, String record, int protocol, ImportPolicy policy) {
        this.module = Objects.requireNonNull(module);
        this.name = Objects.requireNonNull(name);
        this.record = record == null ? "" : record;
        if (module.isEmpty() && name.equals(COMPUTED)) {
            this.resolvedModule = module;
            this.resolvedName = name;
            this.safety = ImportSafety.DANGEROUS;
        } else {
            String[] r = policy.resolve(module, name, protocol);
            this.resolvedModule = r[0];
            this.resolvedName = r[1];
            this.safety = policy.classify(module, name, protocol);
        }
    }

    /**
     * A {@code STACK_GLOBAL} whose module or name is not a string in the pickle but the result of
     * a call: Python would import whatever the call returned, so it could be anything. Classified
     * dangerous; its {@link #qualifiedName()} is {@value #COMPUTED}.
     */
    public static PickleImport computed(String record) {
        return new PickleImport("", COMPUTED, record, 4, ImportPolicy.defaults());
    }

    /** The module, as written in the pickle ({@code torch._utils}); "" for a {@link #computed} import. */
    public String module() {
        return module;
    }

    /** The attribute name ({@code _rebuild_tensor_v2}). */
    public String name() {
        return name;
    }

    /** {@code module.name} as written, or {@value #COMPUTED}. */
    public String qualifiedName() {
        return module.isEmpty() ? name : module + "." + name;
    }

    /**
     * {@code module.name} as CPython imports it: the same as {@link #qualifiedName()} except for a
     * Python 2 name in a protocol 0-2 pickle ({@code __builtin__.set} is {@code builtins.set}).
     */
    public String resolvedName() {
        return resolvedModule.isEmpty() ? resolvedName : resolvedModule + "." + resolvedName;
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

    /** The name to show: as written, followed by what CPython imports when that differs. */
    public String displayName() {
        String q = qualifiedName();
        String r = resolvedName();
        return q.equals(r) ? q : q + " (imported as " + r + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PickleImport
                && ((PickleImport) o).module.equals(module)
                && ((PickleImport) o).name.equals(name)
                && ((PickleImport) o).resolvedModule.equals(resolvedModule)
                && ((PickleImport) o).resolvedName.equals(resolvedName)
                && ((PickleImport) o).record.equals(record)
                && ((PickleImport) o).safety == safety;
    }

    @Override
    public int hashCode() {
        return Objects.hash(module, name, resolvedModule, resolvedName, record);
    }

    @Override
    public String toString() {
        return displayName() + " (" + safety.label() + ")";
    }
}
