package org.sdmodel.engine;

/** The steps of writing an output, in order; {@link WriteResult#nanos} times each. */
public enum WritePhase {
    /** Evaluating every tensor and writing it at its place (progress in output bytes). */
    WRITE,
    /**
     * With {@link TensorPlan#withLateMetadata late metadata}: waiting for it (a merge's inputs being
     * hashed), then writing the final header.
     */
    HEADER,
    /** Reading the header back and comparing it with the one meant, and the size. */
    CHECK,
    /** Reading everything back through the reader and comparing it with the plan, recomputed. */
    VERIFY,
    /** Compressing the written file with zstd, and decompressing it again to compare (progress in uncompressed bytes). */
    COMPRESS,
    /** Flushing to disk and renaming into place; copying side files. */
    COMMIT
}
