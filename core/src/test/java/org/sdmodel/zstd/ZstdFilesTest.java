package org.sdmodel.zstd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.ModelFormatException;
import org.sdmodel.testing.TestFiles;

/**
 * Compression and decompression against the zstd command line tool: what sdmodel compresses,
 * {@code zstd -d} restores byte for byte (and lists with a checksum and the content size); what
 * {@code zstd} compressed (the fixtures), sdmodel restores byte for byte. Broken input is a
 * one-line {@link ZstdFormatException}; a failing output is not.
 */
class ZstdFilesTest {
    private static final Path ZSTD = Path.of("/usr/bin/zstd");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "zstd/sd1-train.ckpt.zst, sd1-train.ckpt",
        "zstd/sd1-train-legacy.ckpt.zst, sd1-train-legacy.ckpt",
        "zstd/dtypes-torch.safetensors.zst, safetensors/reference/dtypes-torch.safetensors",
        "zstd/misc-objects.pt.zst, misc-objects.pt",
    })
    void decompressesWhatTheZstdToolWrote(String compressed, String original) throws Exception {
        Path out = tmp.resolve("out");
        ZstdResult r;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            r = ZstdFiles.decompress(TestFiles.testdata(compressed), ch, ZstdFiles.NO_PROGRESS);
        }
        byte[] expected = Files.readAllBytes(TestFiles.testdata(original));
        assertArrayEquals(expected, Files.readAllBytes(out));
        assertEquals(expected.length, r.uncompressedBytes());
        assertEquals(sha256(expected), r.uncompressedSha256());
        assertEquals(Files.size(TestFiles.testdata(compressed)), r.compressedBytes());
    }

    @ParameterizedTest(name = "level {0}, {1} workers, long {2}")
    @CsvSource({"1, 1, 0", "3, 2, 0", "9, 1, 27", "19, 2, 0"})
    void theZstdToolRestoresWhatSdmodelCompressed(int level, int workers, int longWindowLog) throws Exception {
        assumeTrue(Files.isExecutable(ZSTD), "no " + ZSTD);
        Path source = TestFiles.testdata("sd1-train.ckpt");
        Path zst = tmp.resolve("x.zst");
        ZstdResult r;
        long[] progress = new long[1];
        try (FileChannel ch = FileChannel.open(zst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            r = ZstdFiles.compress(source, ch, new ZstdSettings(level, workers, longWindowLog), n -> progress[0] += n);
        }
        byte[] original = Files.readAllBytes(source);
        assertEquals(original.length, r.uncompressedBytes());
        assertEquals(sha256(original), r.uncompressedSha256());
        assertEquals(Files.size(zst), r.compressedBytes());
        assertEquals(original.length, progress[0]);
        String longOption = "--long=" + (longWindowLog == 0 ? 27 : longWindowLog);
        assertArrayEquals(original, run(ZSTD.toString(), "-d", "-c", longOption, zst.toString()));
        String listing = new String(run(ZSTD.toString(), "-lv", zst.toString()), StandardCharsets.UTF_8);
        assertTrue(listing.contains("Check: XXH64"), listing);
        assertTrue(listing.contains("(" + original.length + " B)"), listing); // "Decompressed Size: 66.0 KiB (67606 B)"
    }

    @Test
    void compressedFramesDeclareTheirSizeToLibzstd() throws Exception {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        Path source = Files.write(tmp.resolve("data"), data);
        Path zst = tmp.resolve("data.zst");
        try (FileChannel ch = FileChannel.open(zst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ZstdFiles.compress(source, ch, ZstdSettings.defaults(), ZstdFiles.NO_PROGRESS);
        }
        byte[] compressed = Files.readAllBytes(zst);
        assertEquals(data.length, Zstd.getFrameContentSize(compressed));
        assertArrayEquals(data, Zstd.decompress(compressed, data.length)); // libzstd's one-shot decoder
        assertEquals(data.length, ZstdFiles.readHeader(zst).contentSize());
    }

    @Test
    void emptyFileRoundTrips() throws Exception {
        Path source = Files.write(tmp.resolve("empty"), new byte[0]);
        Path zst = tmp.resolve("empty.zst");
        ZstdResult c;
        try (FileChannel ch = FileChannel.open(zst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c = ZstdFiles.compress(source, ch, ZstdSettings.defaults(), ZstdFiles.NO_PROGRESS);
        }
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        ZstdResult d = ZstdFiles.decompress(zst, Channels.newChannel(back), ZstdFiles.NO_PROGRESS);
        assertEquals(0, back.size());
        assertTrue(c.sameContent(d));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", d.uncompressedSha256());
    }

    @ParameterizedTest(name = "cut to {0} bytes")
    @ValueSource(ints = {5, 9, 12, 100, 20_000, 39_000, -1})
    void truncatedDataIsRefusedInOneLine(int length) throws Exception {
        byte[] whole = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        Path cut = Files.write(tmp.resolve("cut.zst"), Arrays.copyOf(whole, length < 0 ? whole.length + length : length));
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFiles.decompress(cut, null, ZstdFiles.NO_PROGRESS));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void corruptDataFailsItsChecksum() throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        bytes[bytes.length / 2] ^= 0x5A;
        Path bad = Files.write(tmp.resolve("bad.zst"), bytes);
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFiles.decompress(bad, null, ZstdFiles.NO_PROGRESS));
        assertTrue(e.getMessage().startsWith("the zstd data is corrupt"), e.getMessage());
    }

    @Test
    void trailingGarbageIsCorrupt() throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 16);
        Arrays.fill(longer, bytes.length, longer.length, (byte) 'x');
        Path bad = Files.write(tmp.resolve("bad.zst"), longer);
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFiles.decompress(bad, null, ZstdFiles.NO_PROGRESS));
        assertTrue(e.getMessage().contains("followed by data that is not zstd"), e.getMessage());
    }

    @Test
    void notZstdIsSaidSo() {
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFiles.decompress(TestFiles.testdata("sd1-train.ckpt"), null, ZstdFiles.NO_PROGRESS));
        assertEquals("is not zstd-compressed (no zstd magic number)", e.getMessage());
    }

    @Test
    void aFailingOutputIsNotBlamedOnTheInput() {
        WritableByteChannel full = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        IOException e = assertThrows(IOException.class,
                () -> ZstdFiles.decompress(TestFiles.testdata("zstd/sd1-train.ckpt.zst"), full, ZstdFiles.NO_PROGRESS));
        assertFalse(e instanceof ModelFormatException, e.toString());
        assertThrows(IOException.class, () -> ZstdFiles.compress(TestFiles.testdata("sd1-train.ckpt"), full,
                ZstdSettings.defaults(), ZstdFiles.NO_PROGRESS));
    }

    @Test
    void settingsRefuseWhatZstdWouldNot() {
        assertThrows(IllegalArgumentException.class, () -> ZstdSettings.defaults().withLevel(0));
        assertThrows(IllegalArgumentException.class, () -> ZstdSettings.defaults().withLevel(20));
        assertThrows(IllegalArgumentException.class, () -> ZstdSettings.defaults().withWorkers(0));
        assertThrows(IllegalArgumentException.class, () -> ZstdSettings.defaults().withLongWindowLog(31));
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static byte[] run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(false).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + err);
        return out;
    }
}
