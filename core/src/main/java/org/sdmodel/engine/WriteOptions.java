package org.sdmodel.engine;

import java.util.Objects;
import org.sdmodel.zstd.ZstdSettings;

/**
 * How {@link ModelWriter} writes.
 *
 * @param overwrite whether an existing output (and existing side files) may be replaced
 * @param threads worker threads evaluating and writing chunks (at least 1)
 * @param verify after writing, re-read the whole output through the reader and compare every
 *     tensor with the plan recomputed; without it only the header and size are checked
 * @param zstd compress the output with these settings; null for a plain safetensors file
 * @param progress where progress goes
 * @param sync make the output durable (on disk, not only in the page cache) before it is renamed
 *     into place, so that a crash or power loss never leaves a short file under the target's
 *     name; false gives that up for speed (the rename still happens only after every byte was
 *     written, so a failed or killed run still leaves nothing under the target's name)
 */
public record WriteOptions(boolean overwrite, int threads, boolean verify, ZstdSettings zstd, WriteProgress progress,
        boolean sync) {

    /**
     * Creates the record, checking its components.
     *
     * @param overwrite whether an existing output (and existing side files) may be replaced
     * @param threads worker threads evaluating and writing chunks (at least 1)
     * @param verify after writing, re-read the whole output through the reader and compare every
     *     tensor with the plan recomputed; without it only the header and size are checked
     * @param zstd compress the output with these settings; null for a plain safetensors file
     * @param progress where progress goes
     * @param sync make the output durable before it is renamed into place
     */
    public WriteOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        Objects.requireNonNull(progress, "progress");
    }

    /**
     * Durable ({@code sync} true).
     *
     * @param overwrite whether an existing output (and existing side files) may be replaced
     * @param threads worker threads evaluating and writing chunks (at least 1)
     * @param verify after writing, re-read the whole output through the reader and compare every
     *     tensor with the plan recomputed; without it only the header and size are checked
     * @param zstd compress the output with these settings; null for a plain safetensors file
     * @param progress where progress goes
     */
    public WriteOptions(boolean overwrite, int threads, boolean verify, ZstdSettings zstd, WriteProgress progress) {
        this(overwrite, threads, verify, zstd, progress, true);
    }

    /** The most workers {@link #defaultThreads()} gives. */
    public static final int MAX_DEFAULT_THREADS = 8;

    /**
     * {@return no overwriting, {@link #defaultThreads()} workers, header check only, uncompressed,
     * durable, no progress}
     */
    public static WriteOptions defaults() {
        return new WriteOptions(false, defaultThreads(), false, null, WriteProgress.NONE, true);
    }

    /**
     * One worker per processor the JVM may use, at most {@value #MAX_DEFAULT_THREADS}: more
     * workers than processors only slowed a prune (8 on 2 cores: 20% slower than 2), and on a
     * 16-core machine 16 workers were slower than 8 (the README's Performance section has the
     * measurements).
     *
     * @return the default number of workers
     */
    public static int defaultThreads() {
        return Math.max(1, Math.min(MAX_DEFAULT_THREADS, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * {@return a copy with another {@code overwrite}}
     *
     * @param b whether an existing output (and existing side files) may be replaced
     */
    public WriteOptions withOverwrite(boolean b) {
        return new WriteOptions(b, threads, verify, zstd, progress, sync);
    }

    /**
     * {@return a copy with another {@code threads}}
     *
     * @param n worker threads evaluating and writing chunks (at least 1)
     */
    public WriteOptions withThreads(int n) {
        return new WriteOptions(overwrite, n, verify, zstd, progress, sync);
    }

    /**
     * {@return a copy with another {@code verify}}
     *
     * @param b after writing, re-read the whole output through the reader and compare every
     *     tensor with the plan recomputed; without it only the header and size are checked
     */
    public WriteOptions withVerify(boolean b) {
        return new WriteOptions(overwrite, threads, b, zstd, progress, sync);
    }

    /**
     * {@return a copy with another {@code zstd}}
     *
     * @param settings compress the output with these settings; null for a plain safetensors file
     */
    public WriteOptions withZstd(ZstdSettings settings) {
        return new WriteOptions(overwrite, threads, verify, settings, progress, sync);
    }

    /**
     * {@return a copy with another {@code progress}}
     *
     * @param p where progress goes
     */
    public WriteOptions withProgress(WriteProgress p) {
        return new WriteOptions(overwrite, threads, verify, zstd, p, sync);
    }

    /**
     * {@return a copy with another {@code sync}}
     *
     * @param b make the output durable before it is renamed into place
     */
    public WriteOptions withSync(boolean b) {
        return new WriteOptions(overwrite, threads, verify, zstd, progress, b);
    }
}
