package org.sdmodel.pickle;

/**
 * A reference to a Python global ({@code module.name}) as a pickle names it with {@code GLOBAL} or
 * {@code STACK_GLOBAL}. It is only a name: nothing is looked up.
 */
public record PyGlobal(String module, String name) {
    /** {@return {@code module.name}} */
    public String qualifiedName() {
        return module + "." + name;
    }

    @Override
    public String toString() {
        return qualifiedName();
    }
}
