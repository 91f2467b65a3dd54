package org.sdmodel.safetensors;

import java.io.IOException;
import java.nio.file.Path;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;

/** Placeholder until the reader lands. */
public final class SafetensorsFile {
    private SafetensorsFile() {
    }

    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}
