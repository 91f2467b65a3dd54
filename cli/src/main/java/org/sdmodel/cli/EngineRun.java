package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.sdmodel.ModelFormatException;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.OutputCheckException;
import org.sdmodel.engine.SourceReadException;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.zstd.ZstdSettings;

/** The engine run for a command: writes a plan and turns its failures into one-line messages and exit codes. */
final class EngineRun {
    private EngineRun() {
    }

    /** Adds {@code --threads}, the engine's worker threads, to a command that runs the engine on many tensors. */
    static CommandSpecs.Arg<Integer> threadsOption(picocli.CommandLine.Model.CommandSpec command) {
        return CommandSpecs.option(command, Integer.class, picocli.CommandLine.Model.OptionSpec.builder("--threads")
                .paramLabel("N").description("Worker threads (default: one per processor, at most 8)."));
    }

    /**
     * The engine's options (not the CLI's {@code WriteOptions}) for a command's flags; an
     * output named {@code *.zst} is compressed even without {@code --zstd}.
     */
    static WriteOptions options(org.sdmodel.cli.WriteOptions write, Path output, int threads,
            org.sdmodel.engine.WriteProgress progress) {
        WriteOptions o = WriteOptions.defaults().withOverwrite(write.out.force()).withVerify(write.verify())
                .withThreads(threads).withProgress(progress).withSync(!write.out.noSync());
        Integer zstdLevel = write.zstd();
        if (zstdLevel != null || output.getFileName().toString().endsWith(".zst")) {
            o = o.withZstd(ZstdSettings.defaults().withWorkers(threads)
                    .withLevel(zstdLevel == null ? ZstdSettings.DEFAULT_LEVEL : zstdLevel));
        }
        return o;
    }

    /**
     * Adds what the engine did to a command's JSON summary: {@code phases} (seconds per phase,
     * those before the engine's first, in order: {@code open}, {@code plan}, {@code hash}, ...),
     * {@code bytes_read} and {@code bytes_written}.
     *
     * @param before the command's own phases before writing, in nanoseconds, in order
     * @param extraRead bytes the command read itself (the inputs hashed by a merge)
     */
    static void putPhases(ObjectNode summary, Map<String, Long> before, WriteResult r, long extraRead) {
        ObjectNode phases = summary.putObject("phases");
        before.forEach((name, nanos) -> phases.put(name, nanos / 1e9));
        r.nanos().forEach((phase, nanos) -> phases.put(phase.name().toLowerCase(Locale.ROOT), nanos / 1e9));
        summary.put("bytes_read", r.bytesRead() + extraRead);
        summary.put("bytes_written", r.bytesWritten());
    }

    /**
     * Writes {@code plan} to {@code output}.
     *
     * @param input what to name when the plan itself is at fault (the input, or the inputs)
     */
    static WriteResult write(TensorPlan plan, Path output, WriteOptions options, String input) throws CliException {
        try {
            return ModelWriter.write(plan, output, options);
        } catch (SourceReadException e) {
            throw new CliException(ExitCode.INVALID_INPUT, input + ": " + e.getMessage(), e);
        } catch (OutputCheckException e) {
            throw new CliException(ExitCode.OUTPUT_FAILED, output + ": " + e.getMessage(), e);
        } catch (InsufficientSpaceException e) {
            throw new CliException(ExitCode.OUTPUT_FAILED, output + ": " + e.getReason(), e);
        } catch (FileAlreadyExistsException e) {
            throw Failures.writing(Path.of(e.getFile()), e);
        } catch (ModelFormatException e) {
            throw new CliException(ExitCode.INVALID_INPUT, input + ": " + e.getMessage(), e);
        } catch (org.sdmodel.merge.InputHashes.InputHashException e) {
            throw Failures.reading(e.file().path(), e.getCause());
        } catch (IOException e) {
            throw Failures.writing(output, e);
        }
    }
}
