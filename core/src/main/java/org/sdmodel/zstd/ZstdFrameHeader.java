package org.sdmodel.zstd;

import java.nio.ByteBuffer;

/**
 * What the first frame of a zstd file says about itself (RFC 8878, section 3.1.1), parsed by hand
 * so that nothing is allocated or trusted before it is checked: the declared content size is only
 * ever compared with free disk space, never used to size a buffer.
 *
 * @param contentSize the uncompressed size the first frame declares, or -1 when it does not say
 *     (streamed input, or a first frame that is a skippable frame). A file of several frames
 *     holds more than its first frame declares.
 * @param checksum whether the first frame ends with a content checksum (verified while
 *     decompressing)
 * @param skippable whether the file starts with a skippable frame (as pzstd writes)
 */
public record ZstdFrameHeader(long contentSize, boolean checksum, boolean skippable) {
    /** The most bytes a frame header can take: magic, descriptor, window, dictionary id, content size. */
    public static final int MAX_BYTES = 18;

    private static final int MAGIC = 0xFD2FB528;
    private static final int SKIPPABLE_MAGIC = 0x184D2A50; // low 4 bits are free

    /** {@return whether the content size is known} */
    public boolean hasContentSize() {
        return contentSize >= 0;
    }

    /**
     * {@return whether the buffer (from its position 0) starts with the magic number of a zstd frame or a skippable frame}
     *
     * @param head the first bytes
     */
    public static boolean isZstd(ByteBuffer head) {
        if (head.limit() < 4) {
            return false;
        }
        int magic = littleEndianInt(head, 0);
        return magic == MAGIC || (magic & 0xFFFFFFF0) == SKIPPABLE_MAGIC;
    }

    /**
     * Parses the header at the start of {@code head} (absolute reads from index 0 to the limit).
     *
     * @param head the first bytes, from position 0
     * @return the header
     * @throws ZstdFormatException if it is not a zstd frame header or is cut short
     */
    public static ZstdFrameHeader parse(ByteBuffer head) throws ZstdFormatException {
        if (!isZstd(head)) {
            throw new ZstdFormatException("is not zstd-compressed (no zstd magic number)");
        }
        int n = head.limit();
        if ((littleEndianInt(head, 0) & 0xFFFFFFF0) == SKIPPABLE_MAGIC) {
            if (n < 8) {
                throw new ZstdFormatException("the zstd data ends inside its first frame header (truncated?)");
            }
            return new ZstdFrameHeader(-1, false, true);
        }
        if (n < 5) {
            throw new ZstdFormatException("the zstd data ends inside its first frame header (truncated?)");
        }
        int descriptor = head.get(4) & 0xFF;
        int contentSizeFlag = descriptor >>> 6;
        boolean singleSegment = (descriptor & 0x20) != 0;
        if ((descriptor & 0x08) != 0) {
            throw new ZstdFormatException("the zstd frame header is corrupt (reserved bit set)");
        }
        boolean checksum = (descriptor & 0x04) != 0;
        int dictionaryIdBytes = new int[] {0, 1, 2, 4}[descriptor & 0x03];
        int contentSizeBytes = new int[] {singleSegment ? 1 : 0, 2, 4, 8}[contentSizeFlag];
        int at = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes;
        if (n < at + contentSizeBytes) {
            throw new ZstdFormatException("the zstd data ends inside its first frame header (truncated?)");
        }
        long size = -1;
        if (contentSizeBytes > 0) {
            size = 0;
            for (int i = contentSizeBytes - 1; i >= 0; i--) {
                size = (size << 8) | (head.get(at + i) & 0xFF);
            }
            if (contentSizeBytes == 2) {
                size += 256; // the 2-byte field is offset by 256 (smaller sizes use the 1-byte field)
            }
            if (size < 0) {
                throw new ZstdFormatException("the zstd frame header claims an impossible size (over 2^63 bytes)");
            }
        }
        return new ZstdFrameHeader(size, checksum, false);
    }

    private static int littleEndianInt(ByteBuffer b, int at) {
        return (b.get(at) & 0xFF) | (b.get(at + 1) & 0xFF) << 8 | (b.get(at + 2) & 0xFF) << 16 | (b.get(at + 3) & 0xFF) << 24;
    }
}
