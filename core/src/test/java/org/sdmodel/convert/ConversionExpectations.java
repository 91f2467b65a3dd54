package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The expectations torch computed ({@code testdata/convert/}, written by
 * {@code make_conversion_expectations.py}), and the input generators that script uses, rebuilt
 * here so the tests feed our code exactly the inputs torch saw.
 */
final class ConversionExpectations {
    private static JsonNode json;

    private ConversionExpectations() {
    }

    static Path dir() {
        String root = System.getProperty("sdmodel.projectRoot");
        Path base = root != null ? Path.of(root) : Path.of("..");
        Path dir = base.resolve("testdata").resolve("convert").toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(dir), "test data folder missing: " + dir);
        return dir;
    }

    static synchronized JsonNode json() {
        if (json == null) {
            try {
                json = new ObjectMapper().readTree(dir().resolve("conversion-expectations.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return json;
    }

    /** {@code bits_i = i * 2654435761 mod 2^32}, the script's float32 sample. */
    static int[] f32Sample(int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = (int) (i * 2654435761L);
        }
        return out;
    }

    static long splitmix64(long i) {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The script's float64 sample; see {@code f64_sample} there for what each case probes. */
    static long[] f64Sample(int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long z = splitmix64(i);
            long sign = z & 0x8000_0000_0000_0000L;
            long mantissa = z & 0x000F_FFFF_FFFF_FFFFL;
            long select = z >>> 52;
            switch (i & 3) {
                case 0:
                    out[i] = z;
                    break;
                case 1:
                    out[i] = sign | (1023 - 127 + (select & 0xFF)) << 52 | mantissa;
                    break;
                case 2:
                    out[i] = sign | (1023 - 32 + (select & 0x3F)) << 52
                            | mantissa & ~(0x1FFFL << 29) | 0x1000L << 29;
                    break;
                default:
                    out[i] = sign | (1023 - 127 + (select & 0xFF)) << 52
                            | mantissa & ~(0xFFFFL << 29) | 0x8000L << 29;
                    break;
            }
        }
        return out;
    }

    static long[] hexArray(JsonNode node) {
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Long.parseUnsignedLong(node.get(i).asText().substring(2), 16);
        }
        return out;
    }

    static String sha256(ByteBuffer bytes) {
        return HexFormat.of().formatHex(sha256Digest(bytes.duplicate()).digest());
    }

    static MessageDigest sha256Digest(ByteBuffer bytes) {
        MessageDigest md = newSha256();
        md.update(bytes);
        return md;
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static ByteBuffer littleEndian(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The counts torch made of a conversion, as our stats type, for comparing whole. */
    static String counts(JsonNode node) {
        return "nanInputs=" + node.get("nanInputs").asLong()
                + ", infinityInputs=" + node.get("infinityInputs").asLong()
                + ", overflows=" + node.get("overflows").asLong()
                + ", underflows=" + node.get("underflows").asLong();
    }

    static String counts(ConversionStats stats) {
        return "nanInputs=" + stats.nanInputs() + ", infinityInputs=" + stats.infinityInputs()
                + ", overflows=" + stats.overflows() + ", underflows=" + stats.underflows();
    }
}
