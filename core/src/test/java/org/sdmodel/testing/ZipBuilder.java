package org.sdmodel.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Writes zip archives byte by byte, as torch's writer lays them out (STORED entries, local header,
 * data, then the central directory and the end record), with hooks to break any field: overlapping
 * or out-of-file entries, compression and encryption flags, a directory that points into itself.
 */
public final class ZipBuilder {

    /** One entry and the lies its directory record may tell. */
    public static final class Entry {
        final String name;
        final byte[] data;
        /** Compression method in both headers (0 = STORED). */
        public int method;
        /** General-purpose flags in both headers (bit 0 = encrypted). */
        public int flags;
        /** Size the central directory claims; -1 for the real one. */
        public long claimedSize = -1;
        /** Local header offset the central directory claims; -1 for the real one. */
        public long claimedOffset = -1;
        /** Index of another entry whose local header this entry's directory record points at; -1 for none. */
        public int sameHeaderAs = -1;

        Entry(String name, byte[] data) {
            this.name = name;
            this.data = data;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    /** Entry count the end record claims; -1 for the real one. */
    public long claimedCount = -1;
    /** Central directory offset the end record claims; -1 for the real one. */
    public long claimedDirectoryOffset = -1;

    /** Adds a STORED entry. */
    public ZipBuilder add(String name, byte[] data) {
        return add(name, data, e -> { });
    }

    /** Adds an entry, then lets {@code tweak} change what its headers say. */
    public ZipBuilder add(String name, byte[] data, Consumer<Entry> tweak) {
        Entry e = new Entry(name, data);
        tweak.accept(e);
        entries.add(e);
        return this;
    }

    /** The archive. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] offsets = new long[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            offsets[i] = out.size();
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(le(30).putInt(0x04034b50).putShort((short) 20).putShort((short) e.flags)
                    .putShort((short) e.method).putShort((short) 0).putShort((short) 0).putInt(crc(e.data))
                    .putInt(e.data.length).putInt(e.data.length).putShort((short) name.length).putShort((short) 0)
                    .array());
            out.writeBytes(name);
            out.writeBytes(e.data);
        }
        long directory = out.size();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            long size = e.claimedSize >= 0 ? e.claimedSize : e.data.length;
            long offset = e.sameHeaderAs >= 0 ? offsets[e.sameHeaderAs] : e.claimedOffset >= 0 ? e.claimedOffset : offsets[i];
            out.writeBytes(le(46).putInt(0x02014b50).putShort((short) 20).putShort((short) 20)
                    .putShort((short) e.flags).putShort((short) e.method).putShort((short) 0).putShort((short) 0)
                    .putInt(crc(e.data)).putInt((int) size).putInt((int) size).putShort((short) name.length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) offset).array());
            out.writeBytes(name);
        }
        long directorySize = out.size() - directory;
        long count = claimedCount >= 0 ? claimedCount : entries.size();
        out.writeBytes(le(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) count)
                .putShort((short) count).putInt((int) directorySize)
                .putInt((int) (claimedDirectoryOffset >= 0 ? claimedDirectoryOffset : directory)).putShort((short) 0)
                .array());
        return out.toByteArray();
    }

    /**
     * A torch zip checkpoint: {@code <archive>/data.pkl}, one {@code <archive>/data/<key>} record per
     * storage, and {@code <archive>/version}, in the order torch writes them.
     */
    public static byte[] checkpoint(String archive, byte[] dataPkl, Map<String, byte[]> storages) {
        ZipBuilder z = new ZipBuilder().add(archive + "/data.pkl", dataPkl);
        storages.forEach((key, bytes) -> z.add(archive + "/data/" + key, bytes));
        return z.add(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII)).bytes();
    }

    /** A checkpoint whose pickle refers to no storage. */
    public static byte[] checkpoint(byte[] dataPkl) {
        return checkpoint("archive", dataPkl, new LinkedHashMap<>());
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return (int) c.getValue();
    }
}
