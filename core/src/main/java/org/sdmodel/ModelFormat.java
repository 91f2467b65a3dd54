package org.sdmodel;

import java.io.IOException;
import java.nio.file.Path;

/** The container formats sdmodel reads. */
public enum ModelFormat {
    /** {@code torch.save} since torch 1.6: a zip archive holding {@code data.pkl} and one record per storage. */
    TORCH_ZIP,
    /** {@code torch.save(..., _use_new_zipfile_serialization=False)} and torch before 1.6: pickles followed by raw storages. */
    TORCH_LEGACY,
    /** The safetensors format: an 8-byte header length, a JSON header, then the tensor bytes. */
    SAFETENSORS;

    /**
     * The format of a file, detected from its first bytes as {@link ModelFile#open} detects it
     * (never from its name); nothing else is checked.
     *
     * @param path the file
     * @return its format
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws ModelFormatException if the file is of no format sdmodel reads (empty, a web page,
     *     zstd-compressed, unknown bytes)
     */
    public static ModelFormat detect(Path path) throws IOException {
        return ModelFiles.detect(path);
    }

    /**
     * {@return the format of a file from its first bytes (up to 16 are looked at), as {@link #detect(Path)}}
     *
     * @param head the file's first bytes, from position 0
     * @throws ModelFormatException if they are of no format sdmodel reads
     */
    public static ModelFormat detect(java.nio.ByteBuffer head) throws ModelFormatException {
        return ModelFiles.detect(head.duplicate());
    }
}
