package org.sdmodel.pickle;

import org.sdmodel.UnsafeModelException;

/**
 * The pickle uses a construct sdmodel does not follow because Python's unpickler could read it
 * differently, or go on where sdmodel stops: a frame that runs past {@code STOP} (where the next
 * pickle of the file starts then depends on how Python buffers the file), a text number in a form
 * only CPython's C parser accepts, an extension-registry code (the import depends on the loading
 * program). No pickler writes these; sdmodel refuses them as unsafe rather than read them another way.
 */
public final class PickleRefusedException extends UnsafeModelException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, one line
     */
    public PickleRefusedException(String message) {
        super(message);
    }
}
