package org.sdmodel.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.sdmodel.Tensor;

/** Where the test data is, and small builders for safetensors bytes. */
final class TestFiles {
    private TestFiles() {
    }

    /** The project root: the surefire property, else the nearest folder up with a testdata/ folder. */
    static Path projectRoot() {
        String property = System.getProperty("sdmodel.projectRoot");
        if (property != null && Files.isDirectory(Path.of(property, "testdata"))) {
            return Path.of(property);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) {
                return p;
            }
        }
        throw new IllegalStateException("no testdata/ folder above " + Path.of("").toAbsolutePath());
    }

    static Path testdata() {
        return projectRoot().resolve("testdata/safetensors");
    }

    /**
     * The real files other projects wrote ({@code <root>/../shared/realmodels}); skips the test if
     * the folder is absent, unless the environment variable CI is set.
     */
    static Path realModels() {
        Path dir = projectRoot().resolve("../shared/realmodels").normalize();
        if (System.getenv("CI") != null) {
            assertTrue(Files.isDirectory(dir), "CI is set but " + dir + " is missing");
        }
        assumeTrue(Files.isDirectory(dir), dir + " is missing");
        return dir;
    }

    /** A file: the header's length, the header, then the data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h.length, h, data);
    }

    /** A file whose length field claims {@code claimedLength}, whatever the header really is. */
    static byte[] file(long claimedLength, byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(claimedLength).put(header).put(data).array();
    }

    static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] bytesOf(Tensor t) throws IOException {
        ByteBuffer b = t.readAll(Integer.MAX_VALUE - 8);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
