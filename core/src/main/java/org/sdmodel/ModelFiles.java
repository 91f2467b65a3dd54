package org.sdmodel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sdmodel.safetensors.SafetensorsFile;
import org.sdmodel.torch.TorchLegacyFile;
import org.sdmodel.torch.TorchZipFile;
import org.sdmodel.zstd.ZstdFrameHeader;
import org.sdmodel.zstd.ZstdModelFile;

/**
 * Format detection behind {@link ModelFile#open}: the first bytes decide, never the file name. zstd
 * data (by its magic number) is decompressed first and the result detected in turn.
 */
final class ModelFiles {
    private ModelFiles() {
    }

    static ModelFile open(Path path, ReadOptions options) throws IOException {
        ByteBuffer head = head(path);
        if (ZstdFrameHeader.isZstd(head)) {
            // zstd is a wrapper, not a format: the decompressed data is detected like any file.
            return ZstdModelFile.open(path, options);
        }
        switch (detect(head)) {
            case TORCH_ZIP:
                return TorchZipFile.open(path, options);
            case TORCH_LEGACY:
                return TorchLegacyFile.open(path, options);
            case SAFETENSORS:
                return SafetensorsFile.open(path, options);
            default:
                throw new AssertionError();
        }
    }

    /** Detects the format of a file from its first bytes (a zstd file is refused: see {@link #open}). */
    static ModelFormat detect(Path path) throws IOException {
        return detect(head(path));
    }

    /**
     * The first bytes of a file (up to 1 KiB: enough for a Git LFS pointer, which the spec keeps
     * under 1024 bytes), after checking that it is one.
     */
    private static ByteBuffer head(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException("is a directory, not a model file");
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        ByteBuffer head = ByteBuffer.allocate(LFS_POINTER_MAX_BYTES);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            while (head.hasRemaining() && ch.read(head) > 0) {
                // fill what the file has
            }
        }
        head.flip();
        return head;
    }

    /** Git LFS pointer files are under 1024 bytes (the Git LFS specification). */
    private static final int LFS_POINTER_MAX_BYTES = 1024;

    /**
     * What to say about a Git LFS pointer (a clone without {@code git lfs}, or a download of the
     * pointer instead of the file): the few lines {@code version https://git-lfs.github.com/spec/v1},
     * {@code oid sha256:...}, {@code size N} that stand for the model in the repository. Null if
     * {@code head} is not one.
     */
    private static String lfsPointer(ByteBuffer head) {
        String text = StandardCharsets.ISO_8859_1.decode(head.duplicate()).toString();
        if (!text.startsWith("version https://git-lfs.github.com/spec/") && !text.startsWith("version https://hawser.github.com/spec/")) {
            return null;
        }
        String size = "";
        Matcher m = Pattern.compile("\nsize (\\d{1,19})\n").matcher(text);
        if (m.find()) {
            try {
                size = String.format(Locale.ROOT, " of %,d bytes", Long.parseLong(m.group(1)));
            } catch (NumberFormatException e) {
                // a size beyond a long: not worth saying
            }
        }
        return "is a Git LFS pointer, not the model: a small text file standing for the real file" + size
                + "; fetch it with 'git lfs pull' in its repository, or download the file itself";
    }

    /** Detects the container format from its first bytes. */
    static ModelFormat detect(ByteBuffer head) throws ModelFormatException {
        int n = head.remaining();
        if (n == 0) {
            throw new ModelFormatException("the file is empty");
        }
        String lfs = lfsPointer(head);
        if (lfs != null) {
            throw new ModelFormatException(lfs);
        }
        int b0 = head.get(0) & 0xFF;
        if (n >= 4 && b0 == 'P' && head.get(1) == 'K' && head.get(2) == 3 && head.get(3) == 4) {
            return ModelFormat.TORCH_ZIP;
        }
        if (n >= 4 && b0 == 'P' && head.get(1) == 'K' && head.get(2) == 5 && head.get(3) == 6) {
            return ModelFormat.TORCH_ZIP; // an empty zip: the reader says what is missing
        }
        if (ZstdFrameHeader.isZstd(head)) {
            // open() decompresses zstd before detecting; detect() alone cannot
            throw new ModelFormatException("is zstd-compressed: decompress it first ('sdmodel decompress')");
        }
        // safetensors before any pickle guess: the low byte of a header length can look like an opcode.
        if (n >= 9 && head.get(8) == '{') {
            return ModelFormat.SAFETENSORS;
        }
        // A legacy torch file starts with a pickle of the magic number 0x1950a86a20f9469cfc6c:
        // PROTO n, LONG1 10 bytes.
        if (n >= 4 && b0 == 0x80 && (head.get(2) & 0xFF) == 0x8A && head.get(3) == 0x0A) {
            return ModelFormat.TORCH_LEGACY;
        }
        // Protocol 0 and 1 have no PROTO opcode: the magic number is a text LONG.
        if (n >= 4 && b0 == 'L' && head.get(1) == '1' && head.get(2) == '1' && head.get(3) == '9') {
            return ModelFormat.TORCH_LEGACY;
        }
        if (b0 == 0x80 || b0 == '(' || b0 == ']' || b0 == '}' || b0 == 'c') {
            return ModelFormat.TORCH_LEGACY; // some other pickle: the legacy reader explains
        }
        if (n >= 8) {
            // an 8-byte length followed by something else: let the safetensors reader name the rule broken
            long len = head.order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
            head.order(java.nio.ByteOrder.BIG_ENDIAN);
            if (len > 0 && len < (1L << 40)) {
                return ModelFormat.SAFETENSORS;
            }
        }
        if (n >= 5 && b0 == '<') {
            throw new ModelFormatException("is an HTML or XML page, not a model file (was a web page saved instead of the file?)");
        }
        throw new ModelFormatException("is not a PyTorch checkpoint or safetensors file (unknown first bytes)");
    }
}
