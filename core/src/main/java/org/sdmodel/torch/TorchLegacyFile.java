package org.sdmodel.torch;

import java.io.IOException;
import java.nio.file.Path;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;

/** Placeholder until the reader lands. */
public final class TorchLegacyFile {
    private TorchLegacyFile() {
    }

    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}
