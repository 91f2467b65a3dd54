package org.sdmodel.zstd;

/**
 * How sdmodel compresses: level, worker threads, and long-distance matching. Every frame it
 * writes carries a content checksum and, when the input's size is known in advance, the content
 * size (which lets a reader check free space before decompressing).
 *
 * @param level 1 (fastest) to 19 (smallest); see {@link #DEFAULT_LEVEL}
 * @param workers compression threads; 1 compresses on the calling thread
 * @param longWindowLog base-2 log of the long-distance-matching window (27 = 128 MiB, zstd's
 *     {@code --long} default; at most 30), or 0 for none. The decoder needs a window this large,
 *     so it costs memory when reading as well as writing.
 */
public record ZstdSettings(int level, int workers, int longWindowLog) {
    /**
     * The default level: measured on SD-shaped fp16 and fp32 checkpoints (see the README), higher
     * levels shrink model weights by well under one percent more while running several times
     * slower; 3 is zstd's own default.
     */
    public static final int DEFAULT_LEVEL = 3;
    /** The highest level accepted; 20 to 22 ("ultra") need hundreds of MiB per worker for a gain weights do not show. */
    public static final int MAX_LEVEL = 19;
    /** The largest long-distance-matching window accepted when writing. */
    public static final int MAX_LONG_WINDOW_LOG = 30;

    /**
     * Creates the record, checking its components.
     *
     * @param level 1 (fastest) to 19 (smallest); see {@link #DEFAULT_LEVEL}
     * @param workers compression threads; 1 compresses on the calling thread
     * @param longWindowLog base-2 log of the long-distance-matching window (27 = 128 MiB, zstd's
     *     {@code --long} default; at most 30), or 0 for none. The decoder needs a window this large,
     *     so it costs memory when reading as well as writing.
     */
    public ZstdSettings {
        if (level < 1 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("zstd level must be 1 to " + MAX_LEVEL + ", not " + level);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1");
        }
        if (longWindowLog != 0 && (longWindowLog < 10 || longWindowLog > MAX_LONG_WINDOW_LOG)) {
            throw new IllegalArgumentException("long window log must be 0 or 10 to " + MAX_LONG_WINDOW_LOG);
        }
    }

    /** {@return the default level, one worker per core up to four, no long-distance matching} */
    public static ZstdSettings defaults() {
        return new ZstdSettings(DEFAULT_LEVEL, Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), 0);
    }

    /**
     * {@return the same settings at another level}
     *
     * @param newLevel the level, 1 to 19
     */
    public ZstdSettings withLevel(int newLevel) {
        return new ZstdSettings(newLevel, workers, longWindowLog);
    }

    /**
     * {@return the same settings with another number of workers}
     *
     * @param newWorkers the number of worker threads
     */
    public ZstdSettings withWorkers(int newWorkers) {
        return new ZstdSettings(level, newWorkers, longWindowLog);
    }

    /**
     * {@return the same settings with long-distance matching over a window of 2^{@code windowLog} bytes (0: none)}
     *
     * @param windowLog the window's log2, or 0
     */
    public ZstdSettings withLongWindowLog(int windowLog) {
        return new ZstdSettings(level, workers, windowLog);
    }
}
