package org.sdmodel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;
import org.sdmodel.zstd.ZstdFiles;

/** Opening the model files commands read. */
final class Inputs {
    private Inputs() {
    }

    /**
     * Opens {@code input}; a zstd-compressed one is decompressed into its temporary copy first,
     * which for a multi-GB file takes seconds: a progress bar shows it (on a terminal, when
     * {@code bars}).
     */
    static ModelFile open(Path input, ReadOptions options, PrintWriter err, boolean bars) throws IOException {
        if (!bars || !ProgressBar.terminal() || !Files.isRegularFile(input) || !ZstdFiles.isZstd(input)) {
            return ModelFile.open(input, options);
        }
        try (ProgressBar bar = new ProgressBar(err, "decompressing " + input.getFileName(), Files.size(input), true)) {
            return ModelFile.open(input, options.withDecompressionProgress(bar::advance));
        }
    }
}
