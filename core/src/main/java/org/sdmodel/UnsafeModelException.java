package org.sdmodel;

import java.io.IOException;
import org.sdmodel.pickle.PickleImport;

/**
 * The file is refused as unsafe: its pickle imports something dangerous (for example {@code
 * os.system} or {@code builtins.eval}), or is written in a way sdmodel does not follow exactly as
 * Python's unpickler would (see {@link org.sdmodel.pickle.PickleRefusedException}), so that what
 * sdmodel reads could differ from what {@code torch.load} would run. sdmodel never runs anything; it
 * refuses the file so that nobody is led to load it elsewhere as if it were a plain checkpoint.
 */
public class UnsafeModelException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient PickleImport dangerousImport;

    /**
     * A dangerous import.
     *
     * @param dangerousImport the import, as the pickle makes it
     */
    public UnsafeModelException(PickleImport dangerousImport) {
        super(ModelFormatException.oneLine("dangerous import " + dangerousImport.displayName()
                + (dangerousImport.record().isEmpty() ? "" : " in " + dangerousImport.record())
                + ": refusing the file (run 'sdmodel scan' for the full list)"));
        this.dangerousImport = dangerousImport;
    }

    /**
     * A refusal for another reason, described by {@code message} (one line).
     *
     * @param message one line naming the file and what is refused
     */
    protected UnsafeModelException(String message) {
        super(ModelFormatException.oneLine(message));
        this.dangerousImport = null;
    }

    /** {@return the first dangerous import found, or null if the file is refused for how its pickle is written} */
    public PickleImport dangerousImport() {
        return dangerousImport;
    }
}
