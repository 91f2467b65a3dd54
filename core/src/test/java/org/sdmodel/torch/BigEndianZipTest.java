package org.sdmodel.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * A checkpoint saved on a big-endian machine (torch 2.1+ writes a {@code byteorder} record saying
 * {@code big} and the storages in that order) reads as the same tensors, byte-swapped to
 * little-endian. Built from a real file: the same pickle, the storage bytes reversed per element.
 */
class BigEndianZipTest {
    @TempDir
    Path tmp;

    @Test
    void bigEndianStoragesAreSwappedToLittleEndian() throws Exception {
        Path original = TestFiles.realModels().resolve("candle-test.pt"); // test: int64 [2, 4]
        Path big = tmp.resolve("big-endian.pt");
        try (ZipFile in = new ZipFile(original.toFile());
                OutputStream os = Files.newOutputStream(big);
                ZipOutputStream out = new ZipOutputStream(os)) {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements();) {
                ZipEntry e = en.nextElement();
                if (e.getName().endsWith("/byteorder")) {
                    continue; // replaced below
                }
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith("/data.pkl")) {
                    prefix = e.getName().substring(0, e.getName().length() - "data.pkl".length());
                }
                if (e.getName().contains("/data/")) {
                    data = swap(data, 8); // the only storage is int64
                }
                put(out, e.getName(), data);
            }
            put(out, prefix + "byteorder", "big".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        try (ModelFile little = ModelFile.open(original); ModelFile swapped = ModelFile.open(big)) {
            Tensor a = little.stateDict().tensors().get("test");
            Tensor b = swapped.stateDict().tensors().get("test");
            assertEquals(Expectations.sha256(a), Expectations.sha256(b));
            assertEquals(a.dtype(), b.dtype());
        }
    }

    private static void put(ZipOutputStream out, String name, byte[] data) throws Exception {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(data);
        out.closeEntry();
    }

    private static byte[] swap(byte[] data, int width) {
        byte[] out = data.clone();
        for (int i = 0; i + width <= out.length; i += width) {
            for (int j = 0; j < width; j++) {
                out[i + j] = data[i + width - 1 - j];
            }
        }
        return out;
    }
}
