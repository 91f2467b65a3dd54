package org.sdmodel.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An output file that appears only when complete: bytes go to a temporary file in the target's
 * folder (so the final rename stays on one file system and is atomic), which {@link #commit()}
 * renames into place. Closing without committing deletes the temporary file; so does a JVM
 * shutdown (Ctrl-C). A killed process ({@code kill -9}) can leave a temporary file named
 * {@code .<name>.*.sdmodel-partial}, never a partial file under the target's name.
 *
 * <pre>{@code
 * try (AtomicOutput out = AtomicOutput.create(target, false)) {
 *     out.channel().write(bytes);
 *     out.commit();
 * }
 * }</pre>
 */
public final class AtomicOutput implements Closeable {
    /** Suffix of temporary files, so that a user can recognise (and delete) one left by a killed run. */
    public static final String TEMP_SUFFIX = ".sdmodel-partial";

    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final FileChannel channel;
    private boolean committed;
    private Thread flusher;
    private volatile boolean stopFlushing;

    private AtomicOutput(Path target, Path temp, boolean overwrite, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
        this.channel = channel;
    }

    /**
     * Starts writing {@code target}.
     *
     * @param overwrite whether an existing target may be replaced on commit
     * @param target the file that appears on commit
     * @return the output, open for writing; close it (without commit, nothing appears)
     * @throws FileAlreadyExistsException if the target exists and {@code overwrite} is false
     * @throws java.nio.file.NoSuchFileException if the target's folder does not exist
     */
    public static AtomicOutput create(Path target, boolean overwrite) throws IOException {
        Path abs = target.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new FileAlreadyExistsException(target.toString(), null, "is a directory");
        }
        if (!overwrite && Files.exists(abs)) {
            throw new FileAlreadyExistsException(target.toString(), null, "already exists (use --force to replace it)");
        }
        Path dir = abs.getParent();
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no such folder");
        }
        // Not Files.createTempFile: its files are private (0600); an output should get the
        // permissions any new file gets from the user's umask.
        FileChannel ch = null;
        Path temp = null;
        for (int attempt = 0; ch == null; attempt++) {
            // The name only has to be new: CREATE_NEW refuses an existing file or link, and a
            // clash is retried. So no SecureRandom, whose seeding cost the CLI 25 ms of start-up.
            long random = java.util.concurrent.ThreadLocalRandom.current().nextLong();
            temp = dir.resolve("." + abs.getFileName() + "." + Long.toUnsignedString(random, 36) + TEMP_SUFFIX);
            try {
                ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
        TemporaryFile.deleteAtExit(temp);
        try {
            return new AtomicOutput(abs, temp, overwrite, ch);
        } catch (RuntimeException e) {
            ch.close();
            TemporaryFile.forget(temp);
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** {@return the channel to write to (positional writes welcome); do not close it} */
    public FileChannel channel() {
        return channel;
    }

    /** {@return the temporary file being written} */
    public Path tempFile() {
        return temp;
    }

    /** {@return the final path} */
    public Path target() {
        return target;
    }

    /**
     * Starts flushing written data to disk in the background while the caller goes on writing,
     * so that the flush {@link #commit()} must do before the rename finds little left to do: the
     * disk works while the CPU converts. Costs no extra I/O.
     */
    public synchronized void flushInBackground() {
        if (flusher != null) {
            return;
        }
        stopFlushing = false;
        // Stopped by a flag, never by interrupt: an interrupt inside force() closes the channel.
        flusher = new Thread(() -> {
            try {
                while (!stopFlushing) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                    if (!stopFlushing) {
                        channel.force(false);
                    }
                }
            } catch (IOException e) {
                // the channel was closed: commit() forces everything anyway
            }
        }, "sdmodel-flush");
        flusher.setDaemon(true);
        flusher.start();
    }

    private synchronized void stopFlusher() {
        if (flusher != null) {
            stopFlushing = true;
            java.util.concurrent.locks.LockSupport.unpark(flusher);
            try {
                flusher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flusher = null;
        }
    }

    /**
     * Flushes the data to disk and renames the temporary file into place.
     *
     * @throws FileAlreadyExistsException if the target appeared meanwhile and may not be replaced
     */
    public void commit() throws IOException {
        commit(true);
    }

    /**
     * Renames the temporary file into place; with {@code durable}, flushes its data to disk first,
     * so that a crash never leaves a short file under the target's name. Without, the data may
     * still be only in the operating system's cache when the name appears (a crash or power loss
     * soon after can leave a short or empty file under it); a failed or killed process still
     * leaves nothing there.
     *
     * @param durable flush the data to disk before the rename
     * @throws FileAlreadyExistsException if the target appeared meanwhile and may not be replaced
     */
    public void commit(boolean durable) throws IOException {
        stopFlusher();
        if (durable) {
            channel.force(true);
        }
        channel.close();
        if (!overwrite && Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "already exists (use --force to replace it)");
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
        TemporaryFile.forget(temp);
    }

    /** Deletes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        stopFlusher();
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
            TemporaryFile.forget(temp);
        }
    }
}
