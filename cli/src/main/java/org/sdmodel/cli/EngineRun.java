package org.sdmodel.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
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

    /**
     * The engine's options (not the CLI's {@code WriteOptions} mixin) for a command's flags; an
     * output named {@code *.zst} is compressed even without {@code --zstd}.
     */
    static WriteOptions options(boolean force, boolean verify, Integer zstdLevel, Path output, int threads,
            org.sdmodel.engine.WriteProgress progress) {
        WriteOptions o = WriteOptions.defaults().withOverwrite(force).withVerify(verify).withThreads(threads)
                .withProgress(progress);
        if (zstdLevel != null || output.getFileName().toString().endsWith(".zst")) {
            o = o.withZstd(ZstdSettings.defaults().withWorkers(threads)
                    .withLevel(zstdLevel == null ? ZstdSettings.DEFAULT_LEVEL : zstdLevel));
        }
        return o;
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
        } catch (IOException e) {
            throw Failures.writing(output, e);
        }
    }
}
