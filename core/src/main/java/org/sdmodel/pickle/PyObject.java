package org.sdmodel.pickle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An inert placeholder for an instance of a class sdmodel does not rebuild: it records the class,
 * the arguments it was created with, and the state and items the pickle gave it. Nothing is
 * executed.
 */
public final class PyObject {
    private final PyGlobal type;
    private final List<Object> args;
    private Object state;
    private final List<Object> listItems = new ArrayList<>();
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();

    /**
     * Creates a placeholder with no state and no items yet.
     *
     * @param type the class (or callable) the pickle names
     * @param args the arguments it would have been called with (kept, not copied)
     */
    public PyObject(PyGlobal type, List<Object> args) {
        this.type = type;
        this.args = args;
    }

    /** {@return the class (or callable) that would have created the object} */
    public PyGlobal type() {
        return type;
    }

    /** {@return the arguments it was called with (from {@code REDUCE}, {@code NEWOBJ}, {@code OBJ} or {@code INST})} */
    public List<Object> args() {
        return args;
    }

    /** {@return the state given by {@code BUILD} (usually a dict of attributes), or null} */
    public Object state() {
        return state;
    }

    /** {@return items added with {@code APPEND}/{@code APPENDS}} */
    public List<Object> listItems() {
        return listItems;
    }

    /** {@return items set with {@code SETITEM}/{@code SETITEMS}} */
    public Map<Object, Object> dictItems() {
        return dictItems;
    }

    /**
     * Sets the state, as the pickle's {@code BUILD} opcode does. Like the maps and lists of the
     * object tree, a placeholder is a plain mutable record of what the pickle built.
     *
     * @param state the state to record
     */
    public void setState(Object state) {
        this.state = state;
    }

    @Override
    public String toString() {
        return type.qualifiedName() + "(...)";
    }
}
