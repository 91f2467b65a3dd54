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

    /**
     * An import classified by the default policy, as at protocol 3 or above (no renaming).
     *
     * @param module the module, as the pickle names it
     * @param name the name in the module
     * @param record the record (file or pickle) that makes the import
     */
    public PickleImport(String module, String name, String record) {
        this(module, name, record, 4, ImportPolicy.defaults());
    }

    /**
     * An import made by a pickle of {@code protocol} (0 when it has no {@code PROTO}), classified by
     * {@code policy}.
     *
     * @param module the module, as the pickle names it
     * @param name the name in the module
     * @param record the record (file or pickle) that makes the import
     * @param protocol the pickle's protocol
     * @param policy the policy that classifies it
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
     *
     * @param record the record (file or pickle) that makes it
     * @return an import whose module or name the pickle computes, which is always dangerous
     */
    public static PickleImport computed(String record) {
        return new PickleImport("", COMPUTED, record, 4, ImportPolicy.defaults());
    }

    /** {@return the module, as written in the pickle ({@code torch._utils}); "" for a {@link #computed} import} */
    public String module() {
        return module;
    }

    /** {@return the attribute name ({@code _rebuild_tensor_v2})} */
    public String name() {
        return name;
    }

    /** {@return {@code module.name} as written, or {@value #COMPUTED}} */
    public String qualifiedName() {
        return module.isEmpty() ? name : module + "." + name;
    }

    /**
     * {@code module.name} as CPython imports it: the same as {@link #qualifiedName()} except for a
     * Python 2 name in a protocol 0-2 pickle ({@code __builtin__.set} is {@code builtins.set}).
     *
     * @return the {@code module.name} CPython would import, after its Python 2 renaming
     */
    public String resolvedName() {
        return resolvedModule.isEmpty() ? resolvedName : resolvedModule + "." + resolvedName;
    }

    /**
     * The record of the file the pickle came from: {@code archive/data.pkl} in a zip checkpoint;
     * "" for a legacy file opened as a {@link org.sdmodel.ModelFile}, {@code pickle 4} (its
     * number) in a {@link org.sdmodel.scan.ModelScanner scan}.
     *
     * @return the record (file or pickle) that makes the import
     */
    public String record() {
        return record;
    }

    /** {@return how this import is classified} */
    public ImportSafety safety() {
        return safety;
    }

    /** {@return the name to show: as written, followed by what CPython imports when that differs} */
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
