package org.sdmodel.zstd;

/**
 * What went through a compression or decompression: both sizes and the uncompressed data's
 * SHA-256, so that a round trip can be checked and reported.
 *
 * @param uncompressedBytes bytes of uncompressed data
 * @param uncompressedSha256 lower-case hex SHA-256 of the uncompressed data
 * @param compressedBytes bytes of zstd data
 */
public record ZstdResult(long uncompressedBytes, String uncompressedSha256, long compressedBytes) {

    /**
     * {@return whether {@code other} stands for the same uncompressed bytes}
     *
     * @param other another result
     */
    public boolean sameContent(ZstdResult other) {
        return uncompressedBytes == other.uncompressedBytes && uncompressedSha256.equals(other.uncompressedSha256);
    }

    /** {@return compressed size as a fraction of the uncompressed size (1.0 for empty data)} */
    public double ratio() {
        return uncompressedBytes == 0 ? 1.0 : compressedBytes / (double) uncompressedBytes;
    }
}
