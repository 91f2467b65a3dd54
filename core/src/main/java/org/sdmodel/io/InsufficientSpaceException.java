package org.sdmodel.io;

import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A folder has too little free space for a file sdmodel is about to write there. Thrown before
 * writing when the size is known, so that a long job does not fail near its end with a full disk.
 * {@link #getReason()} is a one-line explanation; {@link #getFile()} names the folder.
 */
public final class InsufficientSpaceException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    /** The value {@link #needed()} returns. */
    private final long needed;
    /** The value {@link #available()} returns. */
    private final long available;

    /**
     * Creates the exception, with a message that says all of this.
     *
     * @param folder the folder that lacks space
     * @param purpose what the space is for, e.g. "the decompressed copy of model.ckpt.zst"
     * @param needed bytes needed
     * @param available bytes available to this process
     */
    public InsufficientSpaceException(Path folder, String purpose, long needed, long available) {
        super(folder.toString(), null, "not enough free space in " + folder + " for " + purpose + ": needs "
                + mebibytes(needed) + ", " + mebibytes(available) + " free");
        this.needed = needed;
        this.available = available;
    }

    /** {@return bytes needed} */
    public long needed() {
        return needed;
    }

    /** {@return bytes that were available} */
    public long available() {
        return available;
    }

    // MiB, rounded up: small enough to read, and never claims that a need fits when it does not.
    private static String mebibytes(long bytes) {
        return ((bytes + (1 << 20) - 1) >> 20) + " MiB";
    }
}
