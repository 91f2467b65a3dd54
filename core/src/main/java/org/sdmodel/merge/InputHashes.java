package org.sdmodel.merge;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import org.sdmodel.ModelFile;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.hash.ModelHashes;

/**
 * A merge's inputs hashed on background threads while the engine writes the merge: the recipe
 * records each input's SHA-256, which takes reading every input whole once more, and the merge
 * itself needs none of it. The merge is planned with {@link #pending()}, whose SHA-256s are
 * placeholders of the same length; the engine asks for the real ones ({@link #await()}) once the
 * tensors are written, through {@link TensorPlan#withLateMetadata}:
 *
 * <pre>{@code
 * try (InputHashes hashes = InputHashes.start(List.of(a, b, c), 3, n -> { })) {
 *     List<MergeInput> p = hashes.pending();
 *     MergePlan plan = MergePlanner.plan(p.get(0), p.get(1), p.get(2), options);
 *     TensorPlan tensors = plan.tensors().withLateMetadata(() -> {
 *         List<MergeInput> h = hashes.await();
 *         return MergePlanner.plan(h.get(0), h.get(1), h.get(2), options).tensors().metadata();
 *     });
 *     ModelWriter.write(tensors, target, WriteOptions.defaults());
 * }
 * }</pre>
 *
 * The placeholders are distinct and can be no file's SHA-256 (they are not hexadecimal), so the
 * final header is never longer than the one laid out: equal when the inputs' hashes are all
 * different and name no merge recorded in the inputs' metadata, shorter (and padded) when two
 * inputs are the same file or one is recorded in another's family tree.
 */
public final class InputHashes implements AutoCloseable {
    private final List<MergeInput> pending;
    private final List<Future<ModelHashes>> hashes;
    private final ExecutorService pool;
    private final long bytes;
    private final long started = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicLong finished = new java.util.concurrent.atomic.AtomicLong();

    private InputHashes(List<MergeInput> pending, List<Future<ModelHashes>> hashes, ExecutorService pool, long bytes) {
        this.pending = pending;
        this.hashes = hashes;
        this.pool = pool;
        this.bytes = bytes;
    }

    /**
     * Starts hashing {@code files} on up to {@code threads} threads (each file is read by one);
     * reads nothing itself, so any failure to read comes from {@link #await()}.
     *
     * @param files the merge's inputs, in order
     * @param threads the most threads to hash on
     * @return the hashing, under way
     * @param progress receives the bytes hashed as hashing goes on, from the hashing threads
     */
    public static InputHashes start(List<ModelFile> files, int threads, LongConsumer progress) {
        List<MergeInput> pending = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < files.size(); i++) {
            ModelFile f = files.get(i);
            pending.add(new MergeInput(f, f.path().getFileName().toString(), placeholder(i), LEGACY_PLACEHOLDER));
            bytes += f.size();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, files.size())), r -> {
            Thread t = new Thread(r, "sdmodel-hash");
            t.setDaemon(true);
            return t;
        });
        List<Future<ModelHashes>> hashes = new ArrayList<>();
        InputHashes h = new InputHashes(Collections.unmodifiableList(pending), hashes, pool, bytes);
        for (ModelFile f : files) {
            hashes.add(pool.submit(() -> {
                ModelHashes r = ModelHashes.sha256AndLegacy(f.path(), progress);
                h.finished.accumulateAndGet(System.nanoTime(), Math::max);
                return r;
            }));
        }
        pool.shutdown();
        return h;
    }

    /** The legacy hash's stand-in: 8 characters, as the hash has. */
    static final String LEGACY_PLACEHOLDER = "pending.";

    /** A SHA-256's stand-in for input {@code i}: 64 characters, not hexadecimal, so no file's SHA-256. */
    static String placeholder(int i) {
        String p = "sdmodel-sha256-of-input-" + i + "-pending-";
        StringBuilder b = new StringBuilder(p);
        while (b.length() < 64) {
            b.append('x');
        }
        return b.toString();
    }

    /** {@return the inputs with placeholders for their hashes, of the same lengths (their names are real)} */
    public List<MergeInput> pending() {
        return pending;
    }

    /** {@return the bytes the hashing reads: every input whole} */
    public long bytes() {
        return bytes;
    }

    /** {@return how long the hashing took (so far, if it is not finished), in nanoseconds} */
    public long nanos() {
        return (isDone() ? Math.max(finished.get(), started) : System.nanoTime()) - started;
    }

    /** {@return whether every input is hashed (or failed)} */
    public boolean isDone() {
        for (Future<ModelHashes> f : hashes) {
            if (!f.isDone()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return the inputs with their SHA-256}, waiting for the hashing to finish.
     *
     * @throws InputHashException naming the input that could not be read
     */
    public List<MergeInput> await() throws IOException {
        List<MergeInput> out = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            MergeInput p = pending.get(i);
            try {
                ModelHashes h = hashes.get(i).get();
                out.add(new MergeInput(p.file(), p.name(), h.sha256(), h.autov1()));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw new InputHashException(p.file(), cause instanceof IOException ? (IOException) cause
                        : new IOException(cause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing the inputs");
            }
        }
        return out;
    }

    /** Stops hashing (a failed merge does not wait for it). */
    @Override
    public void close() {
        pool.shutdownNow(); // each hash reads its own channel: an interrupt closes only that
    }

    /** An input could not be read to hash it. */
    public static final class InputHashException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient ModelFile file;

        InputHashException(ModelFile file, IOException cause) {
            super(cause.getMessage(), cause);
            this.file = file;
        }

        /** {@return the input} */
        public ModelFile file() {
            return file;
        }
    }
}
