package org.sdmodel.zstd;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;
import org.sdmodel.StateDict;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.io.TemporaryFile;
import org.sdmodel.pickle.PickleImport;

/**
 * A zstd-compressed model file ({@code X.ckpt.zst}, {@code X.safetensors.zst}, ...), read through
 * a decompressed temporary copy.
 *
 * <p>Why a copy for every format: a torch zip checkpoint needs random access (its directory is at
 * the end), and sdmodel's tensors are read with positional reads, from several threads and in any
 * order, which no zstd stream allows. A safetensors file could be read in one pass, but only by a
 * consumer that takes its tensors in file order; rather than two code paths with different
 * guarantees, every format gets the copy.
 *
 * <p>The copy goes into {@link ReadOptions#tempDirectory()} (the command line sets the output
 * folder), else the system's temporary folder. Free space is checked first against the size the
 * frame header declares, and again as decompression goes on; the copy is deleted when this file
 * is closed, when opening fails, and at JVM shutdown.
 */
public final class ZstdModelFile implements ModelFile {
    /** Space kept free while decompressing data of undeclared size. */
    static final long RESERVE_BYTES = 64L << 20;

    private final Path path;
    private final ModelFile decompressed;
    private final TemporaryFile copy;
    private final long compressedSize;
    private final long decompressedSize;

    private ZstdModelFile(Path path, ModelFile decompressed, TemporaryFile copy, long compressedSize, long decompressedSize) {
        this.path = path;
        this.decompressed = decompressed;
        this.copy = copy;
        this.compressedSize = compressedSize;
        this.decompressedSize = decompressedSize;
    }

    /**
     * Decompresses {@code path} to a temporary copy and opens that with {@link ModelFile#open}.
     *
     * @param path the zstd-compressed model file
     * @param options the limits and where the temporary copy goes
     * @return the open model file; closing it deletes the copy
     * @throws ZstdFormatException if the zstd data is corrupt or truncated, or decompresses to zstd data again
     * @throws InsufficientSpaceException if the temporary folder cannot hold the copy
     * @throws ModelFormatException if the decompressed data is not a valid model file
     */
    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        ZstdFrameHeader header = ZstdFiles.readHeader(path);
        Path folder = options.tempDirectory() != null ? options.tempDirectory()
                : Path.of(System.getProperty("java.io.tmpdir"));
        String purpose = "the decompressed copy of " + path.getFileName();
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString(), null, "cannot write " + purpose + ": no folder " + folder);
        }
        if (header.hasContentSize()) {
            TemporaryFile.requireSpace(folder, header.contentSize(), purpose);
        }
        TemporaryFile copy = createCopy(folder, path.getFileName().toString(), purpose);
        try {
            long size;
            try (FileChannel out = FileChannel.open(copy.path(), StandardOpenOption.WRITE)) {
                size = ZstdFiles.decompress(path, out, options.decompressionProgress(),
                        new SpaceGuard(folder, header.hasContentSize() ? header.contentSize() : 0, purpose))
                        .uncompressedBytes();
            }
            refuseNested(copy.path());
            ModelFile model = ModelFile.open(copy.path(), options);
            return new ZstdModelFile(path, model, copy, Files.size(path), size);
        } catch (IOException | RuntimeException | Error e) {
            try {
                copy.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** An empty temporary file; failing for want of permission, an error that names the folder, not the input. */
    private static TemporaryFile createCopy(Path folder, String name, String purpose) throws IOException {
        try {
            return TemporaryFile.create(folder, name.endsWith(".zst") ? name.substring(0, name.length() - 4) : name);
        } catch (AccessDeniedException e) {
            throw new FileSystemException(folder.toString(), null, "cannot write " + purpose + " in " + folder + ": permission denied");
        }
    }

    /** zstd inside zstd would send {@link ModelFile#open} round again: refuse it plainly. */
    private static void refuseNested(Path copy) throws IOException {
        if (ZstdFiles.isZstd(copy)) {
            throw new ZstdFormatException("is zstd-compressed twice: decompress it first ('sdmodel decompress')");
        }
    }

    /**
     * Keeps decompression from filling the disk: beyond the size the header declared (all of it
     * when undeclared), every 64 MiB it checks that 64 MiB are still free.
     */
    private static final class SpaceGuard implements ZstdFiles.WriteGuard {
        private final Path folder;
        private final long declared;
        private final String purpose;
        private long nextCheck;

        SpaceGuard(Path folder, long declared, String purpose) {
            this.folder = folder;
            this.declared = declared;
            this.purpose = purpose;
            this.nextCheck = declared;
        }

        @Override
        public void beforeWrite(long writtenSoFar, int next) throws IOException {
            if (writtenSoFar + next <= nextCheck) {
                return;
            }
            long usable = TemporaryFile.usableSpace(folder);
            if (usable < RESERVE_BYTES + next) {
                // what is known to be needed: what has been written, plus a reserve
                throw new InsufficientSpaceException(folder, purpose, Math.max(declared, writtenSoFar) + RESERVE_BYTES,
                        usable + writtenSoFar);
            }
            nextCheck = writtenSoFar + RESERVE_BYTES;
        }
    }

    /** The {@code .zst} file's path as given to {@link #open}. */
    @Override
    public Path path() {
        return path;
    }

    /** The format of the decompressed data. */
    @Override
    public ModelFormat format() {
        return decompressed.format();
    }

    @Override
    public Object root() {
        return decompressed.root();
    }

    @Override
    public StateDict stateDict() throws ModelFormatException {
        return decompressed.stateDict();
    }

    @Override
    public Map<String, String> metadata() {
        return decompressed.metadata();
    }

    @Override
    public List<PickleImport> imports() {
        return decompressed.imports();
    }

    /** Size of the compressed file. */
    @Override
    public long size() {
        return compressedSize;
    }

    /** {@return size of the decompressed data} */
    public long decompressedSize() {
        return decompressedSize;
    }

    /** Closes the decompressed copy and deletes it. */
    @Override
    public void close() throws IOException {
        try {
            decompressed.close();
        } finally {
            copy.close();
        }
    }
}
