package org.sdmodel.pickle.internal;

import java.io.IOException;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.PyGlobal;
import org.sdmodel.pickle.PyObject;
import org.sdmodel.pickle.PyTuple;

/**
 * What a format adds to the generic {@link PickleMachine}: how to resolve persistent ids (torch's
 * storages) and how to rebuild the objects of globals it knows (torch's tensors). Hooks are plain
 * Java code keyed by name; nothing is looked up by reflection.
 */
public interface PickleHooks {

    /** No hooks: every call of an unknown global becomes a placeholder, persistent ids are refused. */
    PickleHooks NONE = new PickleHooks() {
    };

    /**
     * Rebuilds the result of calling {@code callable(*args)} for a global the machine does not
     * handle itself.
     *
     * @return the object, or null to let the machine make an inert {@link PyObject} placeholder
     */
    default Object call(PyGlobal callable, PyTuple args) throws IOException {
        return null;
    }

    /**
     * Resolves a persistent id ({@code PERSID}/{@code BINPERSID}).
     *
     * @throws PickleException if this format has no persistent ids or the id is invalid
     */
    default Object persistentLoad(Object pid) throws IOException {
        throw new PickleException("the pickle refers to external data (a persistent id), which this file cannot have");
    }

    /**
     * Applies {@code BUILD} state to an object these hooks made.
     *
     * @return true if handled; false lets the machine apply its default (ignore the state)
     */
    default boolean build(Object target, Object state) throws IOException {
        return false;
    }
}
