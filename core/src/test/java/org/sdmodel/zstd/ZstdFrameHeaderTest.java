package org.sdmodel.zstd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdmodel.testing.TestFiles;

/**
 * Frame headers are read as the zstd tool and libzstd read them: the fixtures' declared sizes and
 * checksum flags are what {@code zstd -lv} lists for them (testdata/zstd/README.md), and
 * hand-made headers give the content size libzstd's own parser ({@link Zstd#getFrameContentSize})
 * gives.
 */
class ZstdFrameHeaderTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // file, content size (-1: not declared), checksum, skippable first frame  -- from zstd -lv
        "sd1-train.ckpt.zst, 67606, true, false",
        "sd1-train-legacy.ckpt.zst, -1, false, false",
        "dtypes-torch.safetensors.zst, -1, false, true",
        "misc-objects.pt.zst, -1, true, false",
    })
    void fixtureHeadersSayWhatZstdListsForThem(String file, long size, boolean checksum, boolean skippable) throws Exception {
        ZstdFrameHeader h = ZstdFiles.readHeader(TestFiles.testdata("zstd/" + file));
        assertEquals(new ZstdFrameHeader(size, checksum, skippable), h);
        assertEquals(size >= 0, h.hasContentSize());
    }

    @ParameterizedTest(name = "descriptor {0}")
    @CsvSource({
        // descriptor byte, then the bytes after it (window / dictionary id / content size), hex
        "20, 2a",                       // single segment, 1-byte size 42
        "60, 2c01",                     // single segment, 2-byte size: 0x012c + 256
        "60, 0000",                     // 2-byte field at its smallest: 256
        "a0, 00000001",                 // single segment, 4-byte size 16 MiB
        "e0, 0000000000000100",         // single segment, 8-byte size 2^48
        "c0, 58 0000000000000001",      // window byte, 8-byte size 2^56
        "40, 58 ffff",                  // window byte, 2-byte size 65535 + 256
        "00, 58",                       // window byte, no content size
        "21, 07 2a",                    // single segment, 1-byte dictionary id, size 42
        "63, 58585858 1000",            // single segment, 4-byte dictionary id, 2-byte size 16 + 256
    })
    void contentSizeIsWhatLibzstdReads(String descriptor, String rest) throws Exception {
        byte[] header = bytes("28b52ffd" + descriptor + rest.replace(" ", ""));
        long libzstd = Zstd.getFrameContentSize(header);
        ZstdFrameHeader h = ZstdFrameHeader.parse(ByteBuffer.wrap(header));
        assertTrue(libzstd >= -1, "libzstd must accept this header: " + libzstd);
        assertEquals(libzstd, h.contentSize());
    }

    @Test
    void sizesBeyondTwoToTheSixtyThreeAreRefused() {
        byte[] header = bytes("28b52ffd" + "e0" + "ffffffffffffffff");
        ZstdFormatException e = assertThrows(ZstdFormatException.class, () -> ZstdFrameHeader.parse(ByteBuffer.wrap(header)));
        assertTrue(e.getMessage().contains("impossible size"), e.getMessage());
    }

    @Test
    void reservedBitIsRefused() {
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFrameHeader.parse(ByteBuffer.wrap(bytes("28b52ffd" + "28" + "2a"))));
        assertTrue(e.getMessage().contains("reserved bit"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"28b52ffd", "28b52ffde0000000", "502a4d1804"})
    void headersCutShortAreTruncated(String hex) {
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFrameHeader.parse(ByteBuffer.wrap(bytes(hex))));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void magicNumbers() {
        assertTrue(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("28b52ffd"))));
        assertTrue(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("502a4d18"))));
        assertTrue(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("5f2a4d18"))));
        assertFalse(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("602a4d18"))));
        assertFalse(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("28b52f"))));
        assertFalse(ZstdFrameHeader.isZstd(ByteBuffer.wrap(bytes("504b0304"))));
        ZstdFormatException e = assertThrows(ZstdFormatException.class,
                () -> ZstdFrameHeader.parse(ByteBuffer.wrap(bytes("504b030414000000"))));
        assertTrue(e.getMessage().contains("not zstd-compressed"), e.getMessage());
    }

    static byte[] bytes(String hex) {
        return java.util.HexFormat.of().parseHex(hex);
    }
}
