package org.sdmodel.hash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * The hashes by which the Stable Diffusion web UI and model sites name a file:
 *
 * <ul>
 *   <li>{@link #sha256()}: the SHA-256 of the whole file, as {@code sha256sum} prints it;
 *   <li>{@link #autov1()}: the web UI's old "model hash" ({@code sd_models.model_hash}): the first 8
 *       hex digits of the SHA-256 of the {@code 0x10000} bytes at offset {@code 0x100000}, fewer
 *       bytes (or none) when the file is shorter;
 *   <li>{@link #autov2()}: the first 10 hex digits of {@link #sha256()}, which the web UI shows
 *       beside a checkpoint's name;
 *   <li>{@link #autov3()}: safetensors files only, the first 12 hex digits of the SHA-256 of
 *       everything after the header (kohya's "addnet" hash, {@code hashes.addnet_hash_safetensors}
 *       in the web UI), which survives edits of the metadata; null for other files.
 * </ul>
 *
 * <p>{@link #compute} reads the file once, with bounded memory, whatever its size.
 *
 * <pre>{@code
 * ModelHashes h = ModelHashes.compute(Path.of("v1-5-pruned-emaonly.safetensors"), bytes -> { });
 * System.out.println(h.autov2() + " " + h.sha256());   // as the web UI shows it, and in full
 * }</pre>
 *
 * @param sha256 the full SHA-256, 64 lower-case hex digits
 * @param autov1 the web UI's legacy hash, 8 hex digits
 * @param autov3 12 hex digits, or null when the file is not a safetensors file
 * @param addnetSha256 the full SHA-256 behind {@code autov3}, or null
 * @param size the number of bytes hashed
 */
public record ModelHashes(String sha256, String autov1, String autov3, String addnetSha256, long size) {

    /** Where the web UI's legacy hash starts reading. */
    public static final long AUTOV1_OFFSET = 0x100000;
    /** How many bytes the web UI's legacy hash reads. */
    public static final int AUTOV1_LENGTH = 0x10000;

    /**
     * Creates the record, checking its components.
     *
     * @param sha256 the full SHA-256, 64 lower-case hex digits
     * @param autov1 the web UI's legacy hash, 8 hex digits
     * @param autov3 12 hex digits, or null when the file is not a safetensors file
     * @param addnetSha256 the full SHA-256 behind {@code autov3}, or null
     * @param size the number of bytes hashed
     */
    public ModelHashes {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(autov1, "autov1");
    }

    /** {@return the first 10 hex digits of the SHA-256: the web UI's "short hash" of a checkpoint} */
    public String autov2() {
        return sha256.substring(0, 10);
    }

    /**
     * Hashes a file.
     *
     * @param progress receives the number of bytes read as reading goes on (from one thread)
     * @param file the file
     * @return its hashes
     * @throws java.nio.file.NoSuchFileException if there is no such file
     */
    public static ModelHashes compute(Path file, LongConsumer progress) throws IOException {
        return compute(file, progress, DigestPipeline.CHUNK_BYTES);
    }

    static ModelHashes compute(Path file, LongConsumer progress, int chunkBytes) throws IOException {
        return compute(file, progress, chunkBytes, true);
    }

    /**
     * The SHA-256 and the legacy hash only ({@link #autov3()} null): what a merge's recipe records.
     * Half the work of {@link #compute} on a safetensors file, whose {@code autov3} is a second
     * SHA-256 of nearly all of it.
     *
     * @param file the model file
     * @param progress receives the bytes hashed as hashing goes on
     * @return the SHA-256 and legacy hash
     * @throws IOException if the file cannot be read
     */
    public static ModelHashes sha256AndLegacy(Path file, LongConsumer progress) throws IOException {
        return compute(file, progress, DigestPipeline.CHUNK_BYTES, false);
    }

    private static ModelHashes compute(Path file, LongConsumer progress, int chunkBytes, boolean addnetHash)
            throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long dataStart = addnetHash ? safetensorsDataStart(channel) : -1;
            DigestPipeline pipeline = new DigestPipeline(chunkBytes);
            DigestPipeline.Range full = pipeline.add(0, Long.MAX_VALUE);
            DigestPipeline.Range legacy = pipeline.add(AUTOV1_OFFSET, AUTOV1_OFFSET + AUTOV1_LENGTH);
            DigestPipeline.Range addnet = dataStart < 0 ? null : pipeline.add(dataStart, Long.MAX_VALUE);
            long size = pipeline.run(channel, progress);
            String addnetHex = addnet == null ? null : addnet.hex();
            return new ModelHashes(full.hex(), legacy.hex().substring(0, 8),
                    addnetHex == null ? null : addnetHex.substring(0, 12), addnetHex, size);
        }
    }

    /**
     * The web UI's legacy hash alone: reads at most {@link #AUTOV1_LENGTH} bytes, so it is
     * instant on any file.
     *
     * @param file the file
     * @return the web UI's old (autov1) hash, 8 hex digits
     * @throws IOException if the file cannot be read
     */
    public static String autov1(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            DigestPipeline pipeline = new DigestPipeline(AUTOV1_LENGTH);
            DigestPipeline.Range legacy = pipeline.add(AUTOV1_OFFSET, AUTOV1_OFFSET + AUTOV1_LENGTH);
            pipeline.run(channel, Math.min(AUTOV1_OFFSET, channel.size()), n -> { });
            return legacy.hex().substring(0, 8);
        }
    }

    /**
     * Where the tensor data of a safetensors file starts ({@code 8 + header length}), or -1 when
     * the file does not look like one: the header length must fit in the file and the header must
     * start with {@code '{'}. The web UI decides by the file name's extension instead; content is
     * what sdmodel trusts everywhere else.
     */
    static long safetensorsDataStart(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 9) {
            return -1;
        }
        ByteBuffer head = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining()) {
            if (channel.read(head, head.position()) < 0) {
                return -1;
            }
        }
        long headerLength = head.getLong(0);
        if (headerLength < 2 || headerLength > size - 8 || head.get(8) != '{') {
            return -1;
        }
        return 8 + headerLength;
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
