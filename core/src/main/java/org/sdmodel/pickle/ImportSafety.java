package org.sdmodel.pickle;

import java.util.Locale;

/**
 * How an import found in a pickle is classified by an {@link ImportPolicy}. sdmodel never runs any
 * of them; the class tells whether loading the file with Python's {@code pickle} (as {@code
 * torch.load} does without {@code weights_only}) would run only what model files legitimately use.
 */
public enum ImportSafety {
    /** On the allow list: torch's rebuild functions and storage types, containers, numpy scalars, Lightning classes. */
    ALLOWED,
    /**
     * Not on the allow list: sdmodel keeps it as an inert placeholder and never runs it, but Python
     * would import and may call it, so a file that has one is not safe to load with {@code torch.load}.
     */
    NOT_ALLOWED,
    /** Known code execution, file or network access, or a way to reach them. */
    DANGEROUS;

    /** {@return label for output: {@code allowed}, {@code not-allowed}, {@code dangerous}} */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Classifies {@code module.name} with the {@linkplain ImportPolicy#defaults() default policy}.
     *
     * @param module the module
     * @param name the name in the module
     * @return how safe the import is
     */
    public static ImportSafety classify(String module, String name) {
        return ImportPolicy.defaults().classify(module, name);
    }
}
