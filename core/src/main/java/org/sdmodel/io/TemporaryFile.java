package org.sdmodel.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A scratch file that lives only as long as the work needing it: a decompressed copy of a
 * compressed input, an uncompressed output waiting to be compressed. It is created in a chosen
 * folder (the output's folder, so that the space it takes is where the user expects output to
 * go), named like {@link AtomicOutput}'s temporary files ({@code .<name>.*.sdmodel-partial}) so
 * that one left by a killed process is recognisable, and deleted by {@link #close()} or at JVM
 * shutdown, whichever comes first.
 */
public final class TemporaryFile implements Closeable {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : LIVE) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            }
        }, "sdmodel-temporary-cleanup"));
    }

    private final Path path;

    private TemporaryFile(Path path) {
        this.path = path;
    }

    /**
     * Creates an empty temporary file in {@code folder}.
     *
     * @param name the name of the file it stands for (used in the temporary name only)
     * @param folder where to create it (the target's folder, so that the final rename is atomic)
     * @return the temporary file, deleted when closed unless moved away
     * @throws IOException if it cannot be created
     */
    public static TemporaryFile create(Path folder, String name) throws IOException {
        Path p = Files.createTempFile(folder, "." + name + ".", AtomicOutput.TEMP_SUFFIX);
        deleteAtExit(p);
        return new TemporaryFile(p);
    }

    /** {@return the file's path} */
    public Path path() {
        return path;
    }

    /** Deletes the file. */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(path);
        } finally {
            forget(path);
        }
    }

    /** Deletes {@code p} at JVM shutdown (Ctrl-C) unless {@link #forget} is called first; shared with {@link AtomicOutput}. */
    static void deleteAtExit(Path p) {
        LIVE.add(p);
    }

    /** Leaves {@code p} alone at shutdown: it was deleted, or became a finished output. */
    static void forget(Path p) {
        LIVE.remove(p);
    }

    /**
     * Refuses to start writing {@code bytes} into {@code folder} when its file store has less
     * usable space than that.
     *
     * @param purpose what the space is for, for the message
     * @param folder the folder to write in
     * @param bytes the bytes needed
     * @throws InsufficientSpaceException if there is not enough space
     */
    public static void requireSpace(Path folder, long bytes, String purpose) throws IOException {
        long usable = usableSpace(folder);
        if (usable < bytes) {
            throw new InsufficientSpaceException(folder, purpose, bytes, usable);
        }
    }

    /**
     * {@return bytes this process may still write in {@code folder}'s file store}
     *
     * @param folder a folder
     * @throws IOException if the file store cannot be asked
     */
    public static long usableSpace(Path folder) throws IOException {
        FileStore store = Files.getFileStore(folder);
        long usable = store.getUsableSpace();
        // Some file systems report a negative value when they cannot tell: unknown, not full.
        return usable < 0 ? Long.MAX_VALUE : usable;
    }
}
