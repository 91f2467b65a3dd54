package org.sdmodel.pickle;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Python dict (also {@code collections.OrderedDict} and {@code defaultdict}), in insertion order.
 * {@code BUILD} on a dict sets attributes rather than entries: torch's state dicts carry their
 * {@code _metadata} that way, and the entries must survive it.
 */
public final class PyDict extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;

    /** See {@link #pythonType()}. */
    private final String pythonType;
    /** See {@link #attributes()}. */
    private final Map<Object, Object> attributes = new LinkedHashMap<>();

    /** Creates an empty {@code dict}. */
    public PyDict() {
        this("dict");
    }

    /**
     * Creates an empty dict of a given Python type.
     *
     * @param pythonType {@code dict}, {@code collections.OrderedDict} or {@code collections.defaultdict}
     */
    public PyDict(String pythonType) {
        this.pythonType = pythonType;
    }

    /** {@return {@code dict}, {@code collections.OrderedDict} or {@code collections.defaultdict}} */
    public String pythonType() {
        return pythonType;
    }

    /** {@return attributes set by {@code BUILD} (such as {@code _metadata}); never mixed into the entries} */
    public Map<Object, Object> attributes() {
        return attributes;
    }

    // A dict is not hashable in Python; identity semantics keep Java from walking deep structures.
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return pythonType + " of " + size() + " entries";
    }
}
