package org.sdmodel.cli;

import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The output options {@code prune} and {@code convert} share: those of every writing command, plus --verify and --zstd. */
final class WriteOptions {
    @Mixin
    OutputOptions out;

    @Option(names = "--verify", description = "After writing, re-read all data and compare it with the source.")
    boolean verify;

    @Option(names = "--zstd", paramLabel = "LEVEL", arity = "0..1", fallbackValue = "" + ZstdSettings.DEFAULT_LEVEL,
            preprocessor = OptionalNumber.class,
            description = "Compress the output with zstd (level 1-19, default ${FALLBACK-VALUE}); default names get .zst."
                    + " An output named *.zst is compressed without it.")
    Integer zstd;
}
