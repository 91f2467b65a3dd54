package org.sdmodel.torch;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ModelFormatException;
import org.sdmodel.StateDict;
import org.sdmodel.pickle.PickleImport;

/** An open torch checkpoint of either format: the unpickled root and the file its tensors read from. */
final class TorchCheckpoint implements ModelFile {
    private final Path path;
    private final ModelFormat format;
    private final FileChannel channel;
    private final Object root;
    private final List<PickleImport> imports;
    private final long size;
    private StateDict stateDict;

    TorchCheckpoint(Path path, ModelFormat format, FileChannel channel, Object root, List<PickleImport> imports)
            throws IOException {
        this.path = path;
        this.format = format;
        this.channel = channel;
        this.root = root;
        this.imports = List.copyOf(imports);
        this.size = channel.size();
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ModelFormat format() {
        return format;
    }

    @Override
    public Object root() {
        return root;
    }

    @Override
    public synchronized StateDict stateDict() throws ModelFormatException {
        if (stateDict == null) {
            stateDict = StateDict.of(root);
        }
        return stateDict;
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public List<PickleImport> imports() {
        return imports;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
