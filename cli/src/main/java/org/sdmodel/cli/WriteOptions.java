package org.sdmodel.cli;

import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The output options {@code prune} and {@code convert} share: those of every writing command, plus --verify and --zstd. */
final class WriteOptions {
    final OutputOptions out;
    private final Arg<Boolean> verify;
    private final Arg<Integer> zstd;

    /** Adds the options to {@code command}. */
    WriteOptions(CommandSpec command) {
        out = new OutputOptions(command);
        verify = CommandSpecs.flag(command, OptionSpec.builder("--verify")
                .description("After writing, re-read all data and compare it with the source."));
        zstd = CommandSpecs.option(command, Integer.class, OptionSpec.builder("--zstd").paramLabel("LEVEL").arity("0..1")
                .fallbackValue("" + ZstdSettings.DEFAULT_LEVEL).preprocessor(new OptionalNumber())
                .description("Compress the output with zstd (level 1-19, default ${FALLBACK-VALUE}); default names get .zst."
                        + " An output named *.zst is compressed without it."));
    }

    boolean verify() {
        return verify.get();
    }

    /** The zstd level, or null without {@code --zstd}. */
    Integer zstd() {
        return zstd.get();
    }
}
