package org.sdmodel;

import java.io.IOException;
import org.sdmodel.pickle.PickleImport;

/**
 * The file's pickle imports something that could run code or touch the system (for example
 * {@code os.system} or {@code builtins.eval}). sdmodel never runs it, but refuses the file so that
 * nobody is led to load it elsewhere as if it were a plain checkpoint.
 */
public class UnsafeModelException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient PickleImport dangerousImport;

    public UnsafeModelException(PickleImport dangerousImport) {
        super(ModelFormatException.oneLine("dangerous import " + dangerousImport.qualifiedName()
                + (dangerousImport.record().isEmpty() ? "" : " in " + dangerousImport.record())
                + ": refusing the file (run 'sdmodel scan' for the full list)"));
        this.dangerousImport = dangerousImport;
    }

    /** The first dangerous import found. */
    public PickleImport dangerousImport() {
        return dangerousImport;
    }
}
