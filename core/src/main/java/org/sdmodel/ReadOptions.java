package org.sdmodel;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.sdmodel.pickle.ImportPolicy;

/**
 * Limits and choices for opening a model file. The defaults suit any real checkpoint; the limits
 * are there so that a hostile file cannot make sdmodel allocate what it claims.
 *
 * <p>Imports: nothing a pickle imports is ever run. A <b>dangerous</b> import (see {@link
 * ImportPolicy}) makes the reader refuse the file with {@link UnsafeModelException}, unless {@code
 * allowDangerousImports}. An import that is <b>not allowed</b> (not on the allow list, not known to
 * be dangerous) becomes an inert placeholder and is listed by {@link ModelFile#imports()}; with
 * {@code refuseNotAllowedImports} it is refused too, as torch's {@code weights_only} would refuse it.
 *
 * @param allowDangerousImports when false (the default), a pickle that imports something
 *     dangerous is refused with {@link UnsafeModelException} as soon as the import is seen; when
 *     true it is read (inertly) and reported by {@link ModelFile#imports()}, as {@code scan} does
 * @param maxPickleBytes the largest pickle record read into memory
 * @param maxNesting the deepest nesting of a pickle's marks (containers being built)
 * @param maxMemoEntries the most entries a pickle's memo, and its stack, may hold
 * @param maxHeaderBytes the largest safetensors JSON header (the reference limit is 100,000,000)
 * @param tempDirectory where a compressed input is decompressed; null for the system default
 * @param importPolicy the allow list and the dangerous list imports are classified by
 * @param refuseNotAllowedImports whether an import that is not on the allow list is refused
 *     ({@link UnsafeModelException}) rather than kept as a placeholder (never refused when
 *     {@code allowDangerousImports}: then nothing is refused)
 * @param decompressionProgress told how many more bytes of a zstd-compressed input were read as it
 *     is decompressed into its temporary copy (they add up to the compressed file's size), from
 *     the opening thread; never called for other inputs
 */
public record ReadOptions(
        boolean allowDangerousImports,
        long maxPickleBytes,
        int maxNesting,
        int maxMemoEntries,
        int maxHeaderBytes,
        Path tempDirectory,
        ImportPolicy importPolicy,
        boolean refuseNotAllowedImports,
        LongConsumer decompressionProgress) {

    private static final LongConsumer NO_PROGRESS = n -> { };

    /**
     * Creates the record, checking its components.
     *
     * @param allowDangerousImports when false (the default), a pickle that imports something
     *     dangerous is refused with {@link UnsafeModelException} as soon as the import is seen; when
     *     true it is read (inertly) and reported by {@link ModelFile#imports()}, as {@code scan} does
     * @param maxPickleBytes the largest pickle record read into memory
     * @param maxNesting the deepest nesting of a pickle's marks (containers being built)
     * @param maxMemoEntries the most entries a pickle's memo, and its stack, may hold
     * @param maxHeaderBytes the largest safetensors JSON header (the reference limit is 100,000,000)
     * @param tempDirectory where a compressed input is decompressed; null for the system default
     * @param importPolicy the allow list and the dangerous list imports are classified by
     * @param refuseNotAllowedImports whether an import that is not on the allow list is refused
     *     ({@link UnsafeModelException}) rather than kept as a placeholder (never refused when
     *     {@code allowDangerousImports}: then nothing is refused)
     * @param decompressionProgress told how many more bytes of a zstd-compressed input were read as it
     *     is decompressed into its temporary copy (they add up to the compressed file's size), from
     *     the opening thread; never called for other inputs
     */
    public ReadOptions {
        Objects.requireNonNull(importPolicy, "importPolicy");
        Objects.requireNonNull(decompressionProgress, "decompressionProgress");
    }

    /**
     * The limits alone, with the default import policy (dangerous refused, not allowed kept).
     *
     * @param allowDangerousImports when false (the default), a pickle that imports something
     *     dangerous is refused with {@link UnsafeModelException} as soon as the import is seen; when
     *     true it is read (inertly) and reported by {@link ModelFile#imports()}, as {@code scan} does
     * @param maxPickleBytes the largest pickle record read into memory
     * @param maxNesting the deepest nesting of a pickle's marks (containers being built)
     * @param maxMemoEntries the most entries a pickle's memo, and its stack, may hold
     * @param maxHeaderBytes the largest safetensors JSON header (the reference limit is 100,000,000)
     * @param tempDirectory where a compressed input is decompressed; null for the system default
     */
    public ReadOptions(boolean allowDangerousImports, long maxPickleBytes, int maxNesting, int maxMemoEntries,
            int maxHeaderBytes, Path tempDirectory) {
        this(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes, tempDirectory,
                ImportPolicy.defaults(), false, NO_PROGRESS);
    }

    /** {@return the defaults: dangerous imports refused, 1 GiB pickles, nesting 100,000, 10 million memo entries} */
    public static ReadOptions defaults() {
        return new ReadOptions(false, 1L << 30, 100_000, 10_000_000, 100_000_000, null);
    }

    /**
     * {@return the same options, with dangerous imports recorded instead of refused}
     *
     * @param allow whether dangerous imports are recorded rather than refused
     */
    public ReadOptions withDangerousImportsAllowed(boolean allow) {
        return new ReadOptions(allow, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes, tempDirectory,
                importPolicy, refuseNotAllowedImports, decompressionProgress);
    }

    /**
     * {@return the same options, with another folder for temporary decompressed copies}
     *
     * @param dir the folder
     */
    public ReadOptions withTempDirectory(Path dir) {
        return new ReadOptions(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes, dir,
                importPolicy, refuseNotAllowedImports, decompressionProgress);
    }

    /**
     * {@return the same options, classifying imports by {@code policy} (e.g. with names added by {@link ImportPolicy#allowing})}
     *
     * @param policy the import policy
     */
    public ReadOptions withImportPolicy(ImportPolicy policy) {
        return new ReadOptions(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes,
                tempDirectory, policy, refuseNotAllowedImports, decompressionProgress);
    }

    /**
     * {@return the same options, refusing (or not) imports that are not on the allow list}
     *
     * @param refuse whether imports outside the allow list are refused
     */
    public ReadOptions withNotAllowedImportsRefused(boolean refuse) {
        return new ReadOptions(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes,
                tempDirectory, importPolicy, refuse, decompressionProgress);
    }

    /**
     * The same options, telling {@code progress} how decompressing a zstd-compressed input goes
     * (compressed bytes read; the total is the file's size), which for a multi-GB file takes a while
     * before anything else happens.
     *
     * @param progress told of compressed bytes read
     * @return the same options with that listener
     */
    public ReadOptions withDecompressionProgress(LongConsumer progress) {
        return new ReadOptions(allowDangerousImports, maxPickleBytes, maxNesting, maxMemoEntries, maxHeaderBytes,
                tempDirectory, importPolicy, refuseNotAllowedImports, progress == null ? NO_PROGRESS : progress);
    }
}
