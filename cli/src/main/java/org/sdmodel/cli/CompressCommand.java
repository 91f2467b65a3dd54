package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdResult;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel compress}: a file to FILE.zst, checked by decompressing it again. */
final class CompressCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "compress",
            "Compress files with zstd (multi-threaded, with a checksum and the size in the frame "
                + "header), for archiving or moving them; every sdmodel command reads the result as it is. "
                + "The output is decompressed again and compared with the input (SHA-256) before it appears. "
                + "Default output: FILE.zst.");

    private final Arg<List<Path>> inputs = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("1..*").description("Files to compress (any file; model files are what it is tuned for)."));

    private final Arg<Integer> level = CommandSpecs.option(spec, int.class, OptionSpec.builder("-l", "--level")
            .paramLabel("N").defaultValue("" + ZstdSettings.DEFAULT_LEVEL)
            .description("zstd level, 1 (fastest) to 19 (smallest). Default: ${DEFAULT-VALUE} (see the README for measurements)."));

    private final Arg<Integer> threads = CommandSpecs.option(spec, Integer.class, OptionSpec.builder("--threads")
            .paramLabel("N").description("Compression threads (default: cores, at most 4)."));

    private final Arg<Integer> longWindowLog = CommandSpecs.option(spec, Integer.class, OptionSpec.builder("--long")
            .paramLabel("WINDOWLOG").arity("0..1").fallbackValue("27").preprocessor(new OptionalNumber())
            .description("Long-distance matching over a 2^WINDOWLOG-byte window (default ${FALLBACK-VALUE}, 128 MiB; at most 30):"
                    + " finds repeats far apart, such as duplicated tensors. Readers need the same window in memory."));

    private final OutputOptions outputs = new OutputOptions(spec);

    @Override
    public Integer call() throws CliException {
        ZstdSettings settings;
        try {
            settings = ZstdSettings.defaults().withLevel(level.get());
            if (threads.get() != null) {
                settings = settings.withWorkers(threads.get());
            }
            if (longWindowLog.get() != null) {
                settings = settings.withLongWindowLog(longWindowLog.get());
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        ZstdSettings chosen = settings;
        try (RunOutputs run = RunOutputs.prepare(spec, inputs.get(), outputs.output(), false, input -> List.of(target(input)))) {
            return EachInput.run(spec, inputs.get(), outputs.json(), input -> compress(input, chosen));
        }
    }

    /** FILE -> FILE.zst beside it, or in the -o folder, or -o itself. */
    private Path target(Path input) {
        return OutputPaths.resolveName(input, outputs.output(), input.getFileName() + ".zst");
    }

    private ObjectNode compress(Path input, ZstdSettings settings) throws CliException {
        ZstdCommands.requireFile(input);
        try {
            if (ZstdFiles.isZstd(input)) {
                throw new CliException(ExitCode.INVALID_INPUT, input + ": is already zstd-compressed");
            }
        } catch (IOException e) {
            throw Failures.reading(input, e);
        }
        Path target = target(input);
        OutputPaths.check(input, target, outputs.force());
        long start = System.nanoTime();
        ZstdResult result;
        try (AtomicOutput out = AtomicOutput.create(target, outputs.force())) {
            try (ProgressBar bar = bar(target.getFileName() + " (zstd " + settings.level() + ")", Files.size(input))) {
                result = ZstdFiles.compress(input, out.channel(), settings, bar::advance);
            }
            if (!outputs.noSync()) {
                out.channel().force(false);
            }
            ZstdResult back;
            try (ProgressBar bar = bar(target.getFileName() + " (verifying)", result.compressedBytes())) {
                back = ZstdFiles.decompress(out.tempFile(), null, bar::advance);
            } catch (IOException e) {
                throw new CliException(ExitCode.OUTPUT_FAILED, target + ": self-check: the output does not decompress: "
                        + Failures.describe(e), e);
            }
            if (!back.sameContent(result)) {
                throw new CliException(ExitCode.OUTPUT_FAILED, target + ": self-check: the output does not decompress to the input");
            }
            out.commit(!outputs.noSync());
        } catch (IOException e) {
            throw Failures.writing(target, e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ObjectNode s = ZstdCommands.summary(input, target, result, seconds);
        s.put("level", settings.level());
        s.put("threads", settings.workers());
        s.put("long_window_log", settings.longWindowLog());
        s.put("verified", true);
        if (!outputs.json()) {
            ZstdCommands.print(spec.commandLine().getOut(), input, target, result, seconds, true,
                    String.format(java.util.Locale.ROOT, "zstd level %d, %.1f%% of the input; round trip verified",
                            settings.level(), 100 * result.ratio()));
        }
        return s;
    }

    private ProgressBar bar(String label, long total) {
        return outputs.bar(spec.commandLine().getErr(), label, total);
    }
}
