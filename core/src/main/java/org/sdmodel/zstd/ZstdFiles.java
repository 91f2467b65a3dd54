package org.sdmodel.zstd;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * Streaming zstd compression and decompression of files with zstd-jni, in bounded memory (a few
 * MiB of buffers plus zstd's own window), computing the uncompressed data's SHA-256 on the way so
 * that every round trip can be checked.
 *
 * <p>Decompression accepts what the zstd command line writes: several concatenated frames,
 * skippable frames, frames with or without checksum and content size, and long-distance-matching
 * windows up to 2^{@value #MAX_WINDOW_LOG} bytes ({@code zstd --long=31}). A frame's checksum is
 * verified when it has one; corrupt or truncated data is a {@link ZstdFormatException} with a
 * one-line message.
 */
public final class ZstdFiles {
    /**
     * The largest window a frame may ask the decoder for: zstd's own maximum. The window is
     * allocated lazily by the operating system as data fills it, so a hostile header claiming
     * 2 GiB costs address space, not memory, until that much data actually decompresses.
     */
    public static final int MAX_WINDOW_LOG = 31;

    static final int BUFFER_BYTES = 1 << 20;

    /** Receives counts of bytes processed; called on the calling thread. */
    public static final LongConsumer NO_PROGRESS = n -> { };

    private ZstdFiles() {
    }

    /**
     * {@return whether {@code file} starts with a zstd magic number (a frame or a skippable frame)}
     *
     * @param file a file
     * @throws IOException if the file cannot be read
     */
    public static boolean isZstd(Path file) throws IOException {
        return ZstdFrameHeader.isZstd(head(file));
    }

    /**
     * Reads the first frame header of {@code file}.
     *
     * @param file a zstd file
     * @return its first frame's header
     * @throws ZstdFormatException if the file is not zstd-compressed or the header is cut short
     */
    public static ZstdFrameHeader readHeader(Path file) throws IOException {
        return ZstdFrameHeader.parse(head(file));
    }

    private static ByteBuffer head(Path file) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(ZstdFrameHeader.MAX_BYTES);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (head.hasRemaining() && ch.read(head) > 0) {
                // fill what the file has
            }
        }
        return head.flip();
    }

    /**
     * Compresses {@code source} into {@code out} as one zstd frame with a checksum and the content
     * size.
     *
     * @param progress receives counts of source bytes compressed
     * @param source the file to compress
     * @param out where the compressed bytes go
     * @param settings level, threads, window
     * @return sizes and the source's SHA-256
     * @throws IOException if the source cannot be read (or changes size meanwhile) or the output
     *     cannot be written
     */
    public static ZstdResult compress(Path source, WritableByteChannel out, ZstdSettings settings, LongConsumer progress)
            throws IOException {
        MessageDigest sha = sha256();
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            ctx.setLevel(settings.level());
            ctx.setChecksum(true);
            ctx.setContentSize(true);
            if (settings.workers() > 1) {
                ctx.setWorkers(settings.workers());
            }
            if (settings.longWindowLog() > 0) {
                ctx.setLong(settings.longWindowLog());
            }
            long size = in.size();
            // Pledging the size puts it in the frame header, and makes zstd refuse a source that
            // grows or shrinks while it is read.
            ctx.setPledgedSrcSize(size);
            ByteBuffer src = ByteBuffer.allocateDirect(BUFFER_BYTES);
            ByteBuffer dst = ByteBuffer.allocateDirect(BUFFER_BYTES);
            long read = 0;
            long written = 0;
            boolean end = false;
            while (!end) {
                src.clear();
                int n = fill(in, src);
                src.flip();
                sha.update(src.duplicate());
                read += src.remaining();
                end = n < 0 || read >= size;
                EndDirective directive = end ? EndDirective.END : EndDirective.CONTINUE;
                boolean done;
                do {
                    done = compressStep(ctx, dst, src, directive, source);
                    written += drain(dst, out);
                } while (src.hasRemaining() || (end && !done));
                progress.accept(src.position());
            }
            return new ZstdResult(read, hex(sha), written);
        }
    }

    private static boolean compressStep(ZstdCompressCtx ctx, ByteBuffer dst, ByteBuffer src, EndDirective directive,
            Path source) throws IOException {
        try {
            return ctx.compressDirectByteBufferStream(dst, src, directive);
        } catch (ZstdException e) {
            // The only input-dependent failure is a source whose size differs from the pledged one.
            throw new IOException(source + " changed while it was being compressed (" + e.getMessage() + ")", e);
        }
    }

    /** Reads until {@code buf} is full or the channel ends; returns -1 at the end with nothing read. */
    private static int fill(FileChannel in, ByteBuffer buf) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int n = in.read(buf);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
        }
        return total;
    }

    private static long drain(ByteBuffer dst, WritableByteChannel out) throws IOException {
        dst.flip();
        long n = dst.remaining();
        while (dst.hasRemaining()) {
            out.write(dst);
        }
        dst.clear();
        return n;
    }

    /**
     * Decompresses {@code source} into {@code out}.
     *
     * @param out where the decompressed bytes go; null to only check and hash them
     * @param progress receives counts of compressed bytes consumed (the total is the file's size)
     * @param source the zstd file
     * @return sizes and the decompressed data's SHA-256
     * @throws ZstdFormatException if the data is not zstd, corrupt, truncated, or fails its checksum
     */
    public static ZstdResult decompress(Path source, WritableByteChannel out, LongConsumer progress) throws IOException {
        return decompress(source, out, progress, null);
    }

    /** Checks the decompressed bytes' running total before each write (free space, limits). */
    interface WriteGuard {
        void beforeWrite(long writtenSoFar, int next) throws IOException;
    }

    static ZstdResult decompress(Path source, WritableByteChannel out, LongConsumer progress, WriteGuard guard)
            throws IOException {
        ZstdFrameHeader.parse(head(source)); // a one-line refusal of what is not zstd at all
        MessageDigest sha = sha256();
        byte[] buf = new byte[BUFFER_BYTES];
        ByteBuffer wrapped = ByteBuffer.wrap(buf);
        long written = 0;
        try (CountingInput counted = new CountingInput(Files.newInputStream(source), progress);
                ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(counted)) {
            z.setLongMax(MAX_WINDOW_LOG);
            while (true) {
                int n = readDecompressed(z, buf, written);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    continue;
                }
                sha.update(buf, 0, n);
                if (guard != null) {
                    guard.beforeWrite(written, n);
                }
                if (out != null) {
                    wrapped.clear().limit(n);
                    while (wrapped.hasRemaining()) {
                        out.write(wrapped);
                    }
                }
                written += n;
            }
            return new ZstdResult(written, hex(sha), counted.count);
        }
    }

    /** One read from the decoder; its failures are the input's, said in one line. */
    private static int readDecompressed(ZstdInputStreamNoFinalizer z, byte[] buf, long writtenSoFar) throws IOException {
        try {
            return z.read(buf, 0, buf.length);
        } catch (ZstdIOException | ZstdException e) {
            String where = writtenSoFar > 0 ? " (after " + writtenSoFar + " decompressed bytes)" : "";
            throw new ZstdFormatException(describe(e.getMessage()) + where, e);
        }
    }

    /** zstd's error names, as sentences a user can act on. */
    static String describe(String zstdError) {
        String m = zstdError == null ? "" : zstdError;
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("truncated")) {
            return "the zstd data ends early (truncated?)";
        }
        if (lower.contains("checksum")) {
            return "the zstd data is corrupt: its checksum does not match";
        }
        if (lower.contains("too much memory") || lower.contains("window")) {
            return "the zstd data needs a window over 2 GiB (more than zstd --long=31 writes)";
        }
        if (lower.contains("dictionary")) {
            return "the zstd data needs a dictionary, which sdmodel does not have";
        }
        if (lower.contains("unknown frame descriptor") || lower.contains("prefix")) {
            return "the zstd data is corrupt, or followed by data that is not zstd";
        }
        return "the zstd data is corrupt" + (m.isEmpty() ? "" : " (" + lower + ")");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String hex(MessageDigest sha) {
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Counts (and reports) the compressed bytes the decoder takes. */
    private static final class CountingInput extends java.io.FilterInputStream {
        private final LongConsumer progress;
        long count;

        CountingInput(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
                progress.accept(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                progress.accept(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            progress.accept(s);
            return s;
        }
    }
}
