package org.sdmodel.cli;

import java.nio.file.Path;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Option;

/** The output options {@code prune} and {@code convert} share (a picocli mixin). */
final class WriteOptions {
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Output file (one input) or folder (several inputs).")
    Path output;

    @Option(names = "--force", description = "Replace an existing output.")
    boolean force;

    @Option(names = "--verify", description = "After writing, re-read all data and compare it with the source.")
    boolean verify;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar.")
    boolean quiet;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Option(names = "--zstd", paramLabel = "LEVEL", arity = "0..1", fallbackValue = "" + ZstdSettings.DEFAULT_LEVEL,
            preprocessor = OptionalNumber.class,
            description = "Compress the output with zstd (level 1-19, default ${FALLBACK-VALUE}); default names get .zst."
                    + " An output named *.zst is compressed without it.")
    Integer zstd;
}
