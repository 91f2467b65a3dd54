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
 */
public record WriteOptions(boolean overwrite, int threads, boolean verify, ZstdSettings zstd, WriteProgress progress) {

    /**
     * Creates the record, checking its components.
     *
     * @param overwrite whether an existing output (and existing side files) may be replaced
     * @param threads worker threads evaluating and writing chunks (at least 1)
     * @param verify after writing, re-read the whole output through the reader and compare every
     *     tensor with the plan recomputed; without it only the header and size are checked
     * @param zstd compress the output with these settings; null for a plain safetensors file
     * @param progress where progress goes
     */
    public WriteOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        Objects.requireNonNull(progress, "progress");
    }

    /** {@return no overwriting, one thread per core (at most 4), header check only, uncompressed, no progress} */
    public static WriteOptions defaults() {
        return new WriteOptions(false, Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), false,
                null, WriteProgress.NONE);
    }

    /**
     * {@return a copy with another {@code overwrite}}
     *
     * @param b whether an existing output (and existing side files) may be replaced
     */
    public WriteOptions withOverwrite(boolean b) {
        return new WriteOptions(b, threads, verify, zstd, progress);
    }

    /**
     * {@return a copy with another {@code threads}}
     *
     * @param n worker threads evaluating and writing chunks (at least 1)
     */
    public WriteOptions withThreads(int n) {
        return new WriteOptions(overwrite, n, verify, zstd, progress);
    }

    /**
     * {@return a copy with another {@code verify}}
     *
     * @param b after writing, re-read the whole output through the reader and compare every
     *     tensor with the plan recomputed; without it only the header and size are checked
     */
    public WriteOptions withVerify(boolean b) {
        return new WriteOptions(overwrite, threads, b, zstd, progress);
    }

    /**
     * {@return a copy with another {@code zstd}}
     *
     * @param settings compress the output with these settings; null for a plain safetensors file
     */
    public WriteOptions withZstd(ZstdSettings settings) {
        return new WriteOptions(overwrite, threads, verify, settings, progress);
    }

    /**
     * {@return a copy with another {@code progress}}
     *
     * @param p where progress goes
     */
    public WriteOptions withProgress(WriteProgress p) {
        return new WriteOptions(overwrite, threads, verify, zstd, p);
    }
}
