package org.sdmodel.safetensors;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ReadOptions;
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.io.internal.FileRegionTensor;
import org.sdmodel.pickle.PickleImport;

/**
 * An open safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the tensors' bytes.
 *
 * <p>Opening validates the header against every rule of the reference implementation (see
 * {@link SafetensorsException.Rule}) and reads no tensor data. Tensors are read with positional
 * reads on one open channel, so files larger than 4 GB need no mapping and several threads may
 * read at once. The file stays open until {@link #close()}.
 */
public final class SafetensorsFile implements ModelFile {
    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final boolean hasMetadata;

    private SafetensorsFile(Path path, FileChannel channel, long size, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        Map<String, Tensor> byOffset = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.tensors) {
            byOffset.put(e.name(), new FileRegionTensor(channel, header.dataStart() + e.begin(), e.dtype(), e.shape()));
        }
        this.tensors = Collections.unmodifiableMap(byOffset);
        this.hasMetadata = header.metadata != null;
        this.metadata = hasMetadata ? Collections.unmodifiableMap(header.metadata) : Map.of();
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @param path the file
     * @param options the limits
     * @return the open file
     * @throws SafetensorsException if the file breaks a rule of the format; {@link
     *     SafetensorsException#rule()} says which
     * @throws IOException if the file cannot be read
     */
    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        boolean opened = false;
        try {
            long size = channel.size();
            SafetensorsFile file = new SafetensorsFile(path, channel, size,
                    SafetensorsHeader.read(channel, options.maxHeaderBytes()));
            opened = true;
            return file;
        } finally {
            if (!opened) {
                channel.close();
            }
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.SAFETENSORS;
    }

    /**
     * The tensors by name, as an unmodifiable {@code Map<String, Tensor>} in file order (by data
     * offset; the header itself may list them in any order).
     */
    @Override
    public Map<String, Tensor> root() {
        return tensors;
    }

    /** The tensors: a safetensors file holds nothing else, so this is {@link #root()}. */
    @Override
    public StateDict stateDict() throws org.sdmodel.ModelFormatException {
        return StateDict.of(tensors);
    }

    /** The {@code __metadata__} entry in header order; empty if there is none. */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Whether the header has a {@code __metadata__} object, even an empty one. The reference
     * writer writes {@code "__metadata__":{}} for an empty map and nothing for none, so this is
     * what a byte-exact rewrite needs to know.
     *
     * @return whether the header has a {@code __metadata__} entry
     */
    public boolean hasMetadata() {
        return hasMetadata;
    }

    /** Always empty: safetensors files hold no pickles. */
    @Override
    public List<PickleImport> imports() {
        return List.of();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
