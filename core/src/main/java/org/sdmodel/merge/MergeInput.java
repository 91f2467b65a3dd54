package org.sdmodel.merge;

import java.io.IOException;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.sdmodel.ModelFile;
import org.sdmodel.hash.ModelHashes;

/**
 * A model to merge, with what the web UI's recipe records of it: its name, its SHA-256 and its
 * legacy hash.
 *
 * @param file the open file
 * @param name the name the web UI lists it by (the file name)
 * @param sha256 the SHA-256 of the whole file, 64 hex digits
 * @param legacyHash the web UI's old 8-digit hash ({@link ModelHashes#autov1()})
 */
public record MergeInput(ModelFile file, String name, String sha256, String legacyHash) {
    /**
     * Creates the record, checking its components.
     *
     * @param file the open file
     * @param name the name the web UI lists it by (the file name)
     * @param sha256 the SHA-256 of the whole file, 64 hex digits
     * @param legacyHash the web UI's old 8-digit hash ({@link ModelHashes#autov1()})
     */
    public MergeInput {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(legacyHash, "legacyHash");
    }

    /**
     * {@return {@code file} with its hashes computed (reads the whole file)}
     *
     * @param file an open model file
     * @throws IOException if the file cannot be read
     */
    public static MergeInput of(ModelFile file) throws IOException {
        return of(file, n -> { });
    }

    /**
     * {@return {@code file} with its hashes computed; {@code progress} receives the bytes read}
     *
     * @param file an open model file
     * @param progress told of the bytes read
     * @throws IOException if the file cannot be read
     */
    public static MergeInput of(ModelFile file, LongConsumer progress) throws IOException {
        ModelHashes h = ModelHashes.sha256AndLegacy(file.path(), progress);
        return new MergeInput(file, file.path().getFileName().toString(), h.sha256(), h.autov1());
    }

    /** {@return the name without its extension, as the web UI's {@code model_name} (used in default output names)} */
    public String modelName() {
        String n = name.endsWith(".zst") ? name.substring(0, name.length() - 4) : name;
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
