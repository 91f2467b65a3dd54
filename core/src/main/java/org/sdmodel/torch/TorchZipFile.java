package org.sdmodel.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.internal.PickleInput;
import org.sdmodel.pickle.internal.PickleMachine;

/**
 * Reads the zip format {@code torch.save} writes since torch 1.6: one top-level folder (named
 * {@code archive}, after the file, or anything else) holding {@code data.pkl}, one record
 * {@code data/<key>} per storage, {@code version}, and in newer versions {@code byteorder},
 * {@code .format_version}, {@code .storage_alignment} and {@code .data/*}.
 */
public final class TorchZipFile {
    private TorchZipFile() {
    }

    /**
     * Opens a torch zip checkpoint: reads the zip directory and the pickle, and places every
     * storage; reads no tensor data.
     */
    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            ZipDirectory zip = ZipDirectory.read(ch);
            String prefix = findArchivePrefix(zip);
            String pklName = prefix + "data.pkl";
            ZipDirectory.Entry pkl = zip.entries().get(pklName);
            boolean bigEndian = readByteOrder(ch, zip, prefix);
            Map<String, TorchStorage> storages = new HashMap<>();
            TorchPickleHooks hooks = new TorchPickleHooks((key, dtype, numel, pid) -> {
                TorchStorage s = storages.get(key);
                if (s != null) {
                    return s;
                }
                ZipDirectory.Entry rec = zip.entries().get(prefix + "data/" + key);
                if (rec == null) {
                    throw new TorchFormatException("the pickle refers to storage '" + key + "' but the archive has no record "
                            + prefix + "data/" + key);
                }
                long declared;
                try {
                    declared = dtype.byteSize(numel);
                } catch (ArithmeticException e) {
                    throw new TorchFormatException("storage '" + key + "' declares an impossible size " + numel);
                }
                if (rec.size() < declared) {
                    throw new TorchFormatException("storage '" + key + "' holds " + rec.size()
                            + " bytes but declares " + numel + " elements of " + dtype);
                }
                s = new TorchStorage(key, dtype, ch, bigEndian);
                s.place(rec.dataOffset(), declared);
                storages.put(key, s);
                return s;
            });
            PickleMachine machine = new PickleMachine(
                    PickleInput.of(ch, pkl.dataOffset(), pkl.size(), options.maxPickleBytes()), hooks, options, pklName);
            Object root = machine.load();
            hooks.checkTensorBounds();
            return new TorchCheckpoint(path, ModelFormat.TORCH_ZIP, ch, root, machine.imports());
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    /** A record of a zip checkpoint: its name in the archive and where its stored bytes are in the file. */
    public record Record(String name, long offset, long size) {
    }

    /**
     * The records of a torch zip file that hold pickles (names ending in {@code .pkl}: the
     * checkpoint's {@code data.pkl}, TorchScript's {@code constants.pkl}), in directory order.
     * The zip directory is validated as {@link #open} validates it; the pickles are not read.
     *
     * @throws ZipFormatException if the zip directory is invalid
     */
    public static List<Record> pickleRecords(FileChannel ch) throws IOException {
        List<Record> out = new ArrayList<>();
        for (ZipDirectory.Entry e : ZipDirectory.read(ch).entries().values()) {
            if (e.name().endsWith(".pkl")) {
                out.add(new Record(e.name(), e.dataOffset(), e.size()));
            }
        }
        return out;
    }

    /**
     * An entry of a zip file as torch's own reader sees it.
     *
     * @param name the name in the central directory
     * @param offset where its stored bytes start in the file
     * @param storedSize the stored (compressed) size
     * @param size the uncompressed size
     * @param method the compression method (0 stored, 8 deflated, ...)
     * @param flags the general-purpose flag bits (1: encrypted, 8: data descriptor, 0x20: patch
     *     data, 0x40: strong encryption); torch ignores them
     */
    public record ZipEntry(String name, long offset, long storedSize, long size, int method, int flags) {
        /** Whether a flag bit says the entry is encrypted (bit 0 or 6). */
        public boolean encryptedFlag() {
            return (flags & 0x41) != 0;
        }
    }

    /**
     * Every entry of a zip file, in central directory order, duplicates included, as torch's reader
     * (miniz) finds them: flag bits and compression methods are reported, not refused, and entries
     * may overlap. Offsets and sizes are checked against the file.
     *
     * @throws ZipFormatException if the zip directory is invalid
     */
    public static List<ZipEntry> allEntries(FileChannel ch) throws IOException {
        List<ZipEntry> out = new ArrayList<>();
        for (ZipDirectory.Entry e : ZipDirectory.read(ch, true).all()) {
            out.add(new ZipEntry(e.name(), e.dataOffset(), e.size(), e.uncompressedSize(), e.method(), e.flags()));
        }
        return out;
    }

    /** The folder all records share: torch names it freely, so it is found from {@code data.pkl}. */
    private static String findArchivePrefix(ZipDirectory zip) throws TorchFormatException {
        String found = null;
        for (String name : zip.entries().keySet()) {
            if (name.equals("data.pkl") || name.endsWith("/data.pkl")) {
                String prefix = name.substring(0, name.length() - "data.pkl".length());
                if (prefix.indexOf('/') != prefix.length() - 1 && !prefix.isEmpty()) {
                    continue; // a data.pkl deeper in the tree (e.g. inside .data/) is not the checkpoint's
                }
                if (found != null) {
                    throw new TorchFormatException("the archive holds more than one data.pkl");
                }
                found = prefix;
            }
        }
        if (found == null) {
            throw new TorchFormatException("a zip archive, but not a torch checkpoint: no data.pkl record");
        }
        return found;
    }

    private static boolean readByteOrder(FileChannel ch, ZipDirectory zip, String prefix) throws IOException {
        ZipDirectory.Entry rec = zip.entries().get(prefix + "byteorder");
        if (rec == null) {
            return false; // torch before 2.1 wrote no byteorder record and only little-endian files
        }
        if (rec.size() > 16) {
            throw new TorchFormatException("the byteorder record is " + rec.size() + " bytes long");
        }
        ByteBuffer b = ZipDirectory.readAt(ch, rec.dataOffset(), (int) rec.size());
        String order = StandardCharsets.US_ASCII.decode(b).toString().trim();
        switch (order) {
            case "little":
                return false;
            case "big":
                return true;
            default:
                throw new TorchFormatException("unknown byteorder '" + order + "'");
        }
    }
}
