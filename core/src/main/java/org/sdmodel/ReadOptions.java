package org.sdmodel;

import java.nio.file.Path;

/**
 * Limits and choices for opening a model file. The defaults suit any real checkpoint; the limits
 * are there so that a hostile file cannot make sdmodel allocate what it claims.
 *
 * @param allowDangerousImports when false (the default), a pickle that imports something
 *     dangerous is refused with {@link UnsafeModelException} as soon as the import is seen; when
 *     true it is read (inertly) and reported by {@link ModelFile#imports()}, as {@code scan} does
 * @param maxPickleBytes the largest pickle record read into memory
 * @param maxNesting the deepest nesting of containers and the largest pickle stack
 * @param maxMemoEntries the largest memo index a pickle may use
 * @param maxHeaderBytes the largest safetensors JSON header (the reference limit is 100,000,000)
 * @param tempDirectory where a compressed input is decompressed; null for the system default
 */
public record ReadOptions(
        boolean allowDangerousImports,
        long maxPickleBytes,
        int maxNesting,
        int maxMemoEntries,
        int maxHeaderBytes,
        Path tempDirectory) {

    /** The defaults: dangerous imports refused, 1 GiB pickles, nesting 100,000, 10 million memo entries. */
    public static ReadOptions defaults() {
        return new ReadOptions(false, 1L << 30, 100_000, 10_000_000, 100_000_000, null);
    }

    /** The same options, with dangerous imports recorded instead of refused. */
    public ReadOptions withDangerousImportsAllowed(boolean allow) {
        return new ReadOptions(allow, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes, tempDirectory);
    }

    /** The same options, with another folder for temporary decompressed copies. */
    public ReadOptions withTempDirectory(Path dir) {
        return new ReadOptions(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes, dir);
    }
}
