package org.sdmodel.pickle;

/**
 * A reference to a Python global ({@code module.name}) as a pickle names it with {@code GLOBAL} or
 * {@code STACK_GLOBAL}. It is only a name: nothing is looked up.
 *
 * @param module the module, as written ({@code torch._utils})
 * @param name the name in the module ({@code _rebuild_tensor_v2})
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
