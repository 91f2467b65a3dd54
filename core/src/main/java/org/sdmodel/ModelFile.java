package org.sdmodel;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.sdmodel.pickle.PickleImport;

/**
 * An open model file: a PyTorch checkpoint (zip or legacy format) or a safetensors file. Opening
 * reads and validates the structure (the pickle, the zip directory, the safetensors header) but no
 * tensor data; tensors are read on demand through {@link Tensor}. Either may be zstd-compressed
 * ({@code X.ckpt.zst}, found by the magic number, not the name): it is then decompressed into a
 * temporary copy first (see {@link org.sdmodel.zstd.ZstdModelFile}).
 *
 * <pre>{@code
 * try (ModelFile model = ModelFile.open(Path.of("v1-5-pruned.ckpt"))) {
 *     for (Map.Entry<String, Tensor> e : model.stateDict().tensors().entrySet()) {
 *         System.out.println(e.getKey() + " " + Tensor.describe(e.getValue()));
 *     }
 * }
 * }</pre>
 *
 * <p>Nothing in a file is ever executed. A pickle is interpreted by sdmodel's own machine: known
 * torch and container types are rebuilt as data, any other class becomes an inert
 * {@link org.sdmodel.pickle.PyObject} placeholder, and a dangerous import is refused (see
 * {@link ReadOptions#allowDangerousImports()}).
 */
public interface ModelFile extends Closeable {

    /**
     * Opens a model file with the default options, detecting its format from its first bytes.
     *
     * @param path the file
     * @return the open file; close it
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws ModelFormatException if the file is not a valid model file
     * @throws UnsafeModelException if its pickle imports something dangerous
     */
    static ModelFile open(Path path) throws IOException {
        return open(path, ReadOptions.defaults());
    }

    /**
     * Opens a model file with the given options.
     *
     * @param path the file
     * @param options limits, import policy, temporary folder
     * @return the open file; close it
     * @throws IOException as {@link #open(Path)} does
     */
    static ModelFile open(Path path, ReadOptions options) throws IOException {
        return ModelFiles.open(path, options);
    }

    /** {@return the file's path as given to {@link #open}} */
    Path path();

    /** {@return the container format} */
    ModelFormat format();

    /**
     * The root of the object tree. For a torch file, the unpickled object: {@link java.util.Map}
     * ({@link org.sdmodel.pickle.PyDict}) for dicts, {@link java.util.List} for lists,
     * {@link org.sdmodel.pickle.PyTuple}, {@link String}, {@link Long}, {@link java.math.BigInteger},
     * {@link Double}, {@link Boolean}, {@code null} for None, {@link org.sdmodel.pickle.PyBytes},
     * {@link Tensor}, and {@link org.sdmodel.pickle.PyObject} for anything else. For a
     * safetensors file, a map from tensor name to {@link Tensor}.
     *
     * @return the root object
     */
    Object root();

    /**
     * {@return the model's weights: see {@link StateDict} for how they are found in the object tree}
     *
     * @throws ModelFormatException if no state dict can be found or read
     */
    StateDict stateDict() throws ModelFormatException;

    /** {@return the safetensors {@code __metadata__} (empty for torch files and files without it)} */
    Map<String, String> metadata();

    /** {@return every import the file's pickles make, in order of first appearance (empty for safetensors)} */
    List<PickleImport> imports();

    /** {@return size of the file in bytes} */
    long size();
}
