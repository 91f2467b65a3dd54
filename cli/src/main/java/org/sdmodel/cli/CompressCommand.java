package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdResult;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel compress}: a file to FILE.zst, checked by decompressing it again. */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Compress files with zstd (multi-threaded, with a checksum and the size in the frame "
                + "header), for archiving or moving them; every sdmodel command reads the result as it is. "
                + "The output is decompressed again and compared with the input (SHA-256) before it appears. "
                + "Default output: FILE.zst.")
final class CompressCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Files to compress (any file; model files are what it is tuned for).")
    List<Path> inputs;

    @Option(names = {"-l", "--level"}, paramLabel = "N", defaultValue = "" + ZstdSettings.DEFAULT_LEVEL,
            description = "zstd level, 1 (fastest) to 19 (smallest). Default: ${DEFAULT-VALUE} (see the README for measurements).")
    int level;

    @Option(names = "--threads", paramLabel = "N", description = "Compression threads (default: cores, at most 4).")
    Integer threads;

    @Option(names = "--long", paramLabel = "WINDOWLOG", arity = "0..1", fallbackValue = "27",
            preprocessor = OptionalNumber.class,
            description = "Long-distance matching over a 2^WINDOWLOG-byte window (default ${FALLBACK-VALUE}, 128 MiB; at most 30):"
                    + " finds repeats far apart, such as duplicated tensors. Readers need the same window in memory.")
    Integer longWindowLog;

    @Mixin
    OutputOptions outputs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        ZstdSettings settings;
        try {
            settings = ZstdSettings.defaults().withLevel(level);
            if (threads != null) {
                settings = settings.withWorkers(threads);
            }
            if (longWindowLog != null) {
                settings = settings.withLongWindowLog(longWindowLog);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        ZstdSettings chosen = settings;
        try (RunOutputs run = RunOutputs.prepare(spec, inputs, outputs.output, false, input -> List.of(target(input)))) {
            return EachInput.run(spec, inputs, outputs.json, input -> compress(input, chosen));
        }
    }

    /** FILE -> FILE.zst beside it, or in the -o folder, or -o itself. */
    private Path target(Path input) {
        return OutputPaths.resolveName(input, outputs.output, input.getFileName() + ".zst");
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
        OutputPaths.check(input, target, outputs.force);
        long start = System.nanoTime();
        ZstdResult result;
        try (AtomicOutput out = AtomicOutput.create(target, outputs.force)) {
            try (ProgressBar bar = bar(target.getFileName() + " (zstd " + settings.level() + ")", Files.size(input))) {
                result = ZstdFiles.compress(input, out.channel(), settings, bar::advance);
            }
            if (!outputs.noSync) {
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
            out.commit(!outputs.noSync);
        } catch (IOException e) {
            throw Failures.writing(target, e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ObjectNode s = ZstdCommands.summary(input, target, result, seconds);
        s.put("level", settings.level());
        s.put("threads", settings.workers());
        s.put("long_window_log", settings.longWindowLog());
        s.put("verified", true);
        if (!outputs.json) {
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
