package org.sdmodel.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.MemoryLimitException;

/**
 * The central directory of a torch zip checkpoint, parsed by hand: torch writes STORED entries
 * with data descriptors and ZIP64 records that {@link java.util.zip.ZipInputStream} cannot read
 * in place, and sdmodel needs each entry as a file region, not a stream.
 *
 * <p>Every offset and length is checked against the file before use: entries must lie between
 * the start of the file and the central directory, must not overlap, must be STORED and not
 * encrypted, and names must be unique.
 */
final class ZipDirectory {
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final int EOCD_SIZE = 22;
    private static final int CENTRAL_HEADER_SIZE = 46;
    private static final int LOCAL_HEADER_SIZE = 30;
    /** A checkpoint's directory holds one small record per storage; 64 MiB is tens of thousands of times more. */
    private static final long MAX_CENTRAL_DIRECTORY = 64L << 20;

    /**
     * One entry: where its bytes are in the file. {@code size} is the stored (compressed) size, {@code
     * uncompressedSize} what it inflates to; they are equal for STORED entries.
     */
    record Entry(String name, long headerOffset, long dataOffset, long size, long uncompressedSize, int method,
            int flags) {
        long dataEnd() {
            return dataOffset + size;
        }
    }

    private final Map<String, Entry> entries;
    private final List<Entry> all;

    private ZipDirectory(Map<String, Entry> entries, List<Entry> all) {
        this.entries = entries;
        this.all = all;
    }

    /** Entries by name, in central directory order (empty when read leniently: see {@link #all()}). */
    Map<String, Entry> entries() {
        return entries;
    }

    /** Every entry in central directory order, duplicates included. */
    List<Entry> all() {
        return all;
    }

    static ZipDirectory read(FileChannel ch) throws IOException {
        return read(ch, false);
    }

    /**
     * Reads the central directory.
     *
     * @param lenient as torch's own reader (miniz) is: flag bits (encryption, patch data, data
     *     descriptors) and the method are recorded, not refused, and entries may overlap or share a
     *     name; {@code scan} reads what torch would. Offsets and lengths are checked either way.
     */
    static ZipDirectory read(FileChannel ch, boolean lenient) throws IOException {
        long fileSize = ch.size();
        if (fileSize < EOCD_SIZE) {
            throw new ZipFormatException("the file is too short to be a zip archive (" + fileSize + " bytes)");
        }
        // The end record sits at the end, followed by a comment of up to 65535 bytes.
        int tailLength = (int) Math.min(fileSize, EOCD_SIZE + 0xFFFF);
        ByteBuffer tail = readAt(ch, fileSize - tailLength, tailLength);
        int eocd = -1;
        // The last signature with a whole record after it, as miniz (torch's reader) takes it
        // (mz_zip_reader_locate_header_sig), whatever the comment length says.
        for (int i = tailLength - EOCD_SIZE; i >= 0; i--) {
            if (tail.getInt(i) == EOCD_SIG) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw new ZipFormatException("no zip end-of-central-directory record (truncated file?)");
        }
        long eocdOffset = fileSize - tailLength + eocd;
        long count = tail.getShort(eocd + 10) & 0xFFFF;
        long cdSize = tail.getInt(eocd + 12) & 0xFFFFFFFFL;
        long cdOffset = tail.getInt(eocd + 16) & 0xFFFFFFFFL;
        long cdLimit = eocdOffset;

        if (eocdOffset >= 20) {
            ByteBuffer loc = readAt(ch, eocdOffset - 20, 20);
            if (loc.getInt(0) == ZIP64_LOCATOR_SIG) {
                long z64Offset = loc.getLong(8);
                if (z64Offset < 0 || z64Offset > eocdOffset - 20 - 56) {
                    throw new ZipFormatException("the ZIP64 end record offset " + z64Offset + " is outside the file");
                }
                ByteBuffer z = readAt(ch, z64Offset, 56);
                if (z.getInt(0) != ZIP64_EOCD_SIG) {
                    throw new ZipFormatException("no ZIP64 end record where the locator points");
                }
                count = z.getLong(32);
                cdSize = z.getLong(40);
                cdOffset = z.getLong(48);
                cdLimit = z64Offset;
            }
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw new ZipFormatException("the central directory (offset " + cdOffset + ", " + cdSize
                    + " bytes) is outside the file");
        }
        if (cdSize > MAX_CENTRAL_DIRECTORY) {
            throw new MemoryLimitException("zip central directory size", cdSize, MAX_CENTRAL_DIRECTORY);
        }
        if (count < 0 || count > cdSize / CENTRAL_HEADER_SIZE) {
            throw new ZipFormatException("the zip claims " + count + " entries but its directory holds at most "
                    + cdSize / CENTRAL_HEADER_SIZE);
        }
        ByteBuffer cd = readAt(ch, cdOffset, (int) cdSize);
        // one buffer for every local header: direct, so a read is one copy (a checkpoint has thousands)
        ByteBuffer local = ByteBuffer.allocateDirect(LOCAL_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> entries = new LinkedHashMap<>((int) Math.min(count, 1 << 16) * 4 / 3 + 1);
        List<Entry> all = new ArrayList<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + CENTRAL_HEADER_SIZE > cdSize || cd.getInt(p) != CENTRAL_SIG) {
                throw new ZipFormatException("central directory entry " + i + " is corrupt");
            }
            int flags = cd.getShort(p + 8) & 0xFFFF;
            int method = cd.getShort(p + 10) & 0xFFFF;
            long csize = cd.getInt(p + 20) & 0xFFFFFFFFL;
            long usize = cd.getInt(p + 24) & 0xFFFFFFFFL;
            int nameLen = cd.getShort(p + 28) & 0xFFFF;
            int extraLen = cd.getShort(p + 30) & 0xFFFF;
            int commentLen = cd.getShort(p + 32) & 0xFFFF;
            long headerOffset = cd.getInt(p + 42) & 0xFFFFFFFFL;
            int next = p + CENTRAL_HEADER_SIZE + nameLen + extraLen + commentLen;
            if (next > cdSize) {
                throw new ZipFormatException("central directory entry " + i + " runs past the directory");
            }
            String name = new String(cd.array(), cd.arrayOffset() + p + CENTRAL_HEADER_SIZE, nameLen, StandardCharsets.UTF_8);
            // ZIP64 extra field: the 64-bit values, in this order, for each 32-bit field that is 0xFFFFFFFF.
            int e = p + CENTRAL_HEADER_SIZE + nameLen;
            int extraEnd = e + extraLen;
            while (e + 4 <= extraEnd) {
                int id = cd.getShort(e) & 0xFFFF;
                int len = cd.getShort(e + 2) & 0xFFFF;
                if (e + 4 + len > extraEnd) {
                    throw new ZipFormatException("a zip extra field of '" + name + "' runs past its entry");
                }
                if (id == 0x0001) {
                    int q = e + 4;
                    int qEnd = q + len;
                    if (usize == 0xFFFFFFFFL) {
                        usize = need8(cd, q, qEnd, name);
                        q += 8;
                    }
                    if (csize == 0xFFFFFFFFL) {
                        csize = need8(cd, q, qEnd, name);
                        q += 8;
                    }
                    if (headerOffset == 0xFFFFFFFFL) {
                        headerOffset = need8(cd, q, qEnd, name);
                    }
                }
                e += 4 + len;
            }
            if (!lenient) {
                if ((flags & 1) != 0) {
                    throw new ZipFormatException("entry '" + name + "' is encrypted; torch never encrypts checkpoints");
                }
                if (method != 0) {
                    throw new ZipFormatException("entry '" + name + "' is compressed (method " + method
                            + "); torch checkpoints store entries uncompressed");
                }
                if (csize != usize) {
                    throw new ZipFormatException("entry '" + name + "' is stored but its sizes differ");
                }
            }
            if (headerOffset < 0 || headerOffset > cdOffset - LOCAL_HEADER_SIZE) {
                throw new ZipFormatException("entry '" + name + "' starts outside the archive data");
            }
            readAt(ch, headerOffset, local.clear());
            if (local.getInt(0) != LOCAL_SIG) {
                throw new ZipFormatException("entry '" + name + "' has no local header where the directory points");
            }
            long localNameLen = local.getShort(26) & 0xFFFF;
            long localExtraLen = local.getShort(28) & 0xFFFF;
            long dataOffset = headerOffset + LOCAL_HEADER_SIZE + localNameLen + localExtraLen;
            if (csize < 0 || dataOffset > cdOffset || csize > cdOffset - dataOffset) {
                throw new ZipFormatException("entry '" + name + "' (" + csize + " bytes) extends beyond the archive data");
            }
            Entry entry = new Entry(name, headerOffset, dataOffset, csize, usize, method, flags);
            if (lenient) {
                all.add(entry);
            } else if (entries.put(name, entry) != null) {
                throw new ZipFormatException("the zip holds two entries named '" + name + "'");
            }
            p = next;
        }
        if (lenient) {
            return new ZipDirectory(Collections.unmodifiableMap(entries), Collections.unmodifiableList(all));
        }
        checkNoOverlap(entries);
        return new ZipDirectory(Collections.unmodifiableMap(entries), List.copyOf(entries.values()));
    }

    private static void checkNoOverlap(Map<String, Entry> entries) throws ZipFormatException {
        List<Entry> sorted = new ArrayList<>(entries.values());
        if (!inHeaderOrder(sorted)) { // a zip is written in order, so this sort is rarely needed
            sorted.sort(Comparator.comparingLong(Entry::headerOffset));
        }
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (a.dataEnd() > b.headerOffset()) {
                throw new ZipFormatException("entries '" + a.name() + "' and '" + b.name() + "' overlap");
            }
        }
    }

    private static boolean inHeaderOrder(List<Entry> entries) {
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i - 1).headerOffset() > entries.get(i).headerOffset()) {
                return false;
            }
        }
        return true;
    }

    private static long need8(ByteBuffer b, int q, int end, String name) throws ZipFormatException {
        if (q + 8 > end) {
            throw new ZipFormatException("the ZIP64 field of '" + name + "' is too short");
        }
        long v = b.getLong(q);
        if (v < 0) {
            throw new ZipFormatException("the ZIP64 field of '" + name + "' holds a size beyond 2^63");
        }
        return v;
    }

    static ByteBuffer readAt(FileChannel ch, long offset, int length) throws IOException {
        return readAt(ch, offset, ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Fills {@code b} from {@code offset} of the file; returns it flipped. */
    private static ByteBuffer readAt(FileChannel ch, long offset, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, offset + b.position());
            if (n < 0) {
                throw new ZipFormatException("the file ends inside a zip record at byte " + (offset + b.position()));
            }
        }
        b.flip();
        return b;
    }
}
