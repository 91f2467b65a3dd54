package org.sdmodel.hash;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * SHA-256 digests of several byte ranges of one file, computed in a single sequential read. The
 * file is read in large chunks into two alternating buffers: while the digests of one chunk are
 * computed (each range on its own thread, so a safetensors file's whole-file and after-header
 * digests run side by side), the next chunk is read. Memory stays at two chunks whatever the file's
 * size.
 */
final class DigestPipeline {
    /** Large enough for sequential-speed reads, small enough to bound memory (two are in use). */
    static final int CHUNK_BYTES = 8 << 20;

    /** One byte range {@code [from, to)} and its digest; {@code to} may exceed the file. */
    static final class Range {
        final long from;
        final long to;
        private final MessageDigest digest;
        private String hex;

        private Range(long from, long to) {
            this.from = from;
            this.to = to;
            this.digest = sha256();
        }

        /** Feeds the part of {@code chunk} (which starts at file offset {@code at}) inside this range. */
        void update(ByteBuffer chunk, long at) {
            long end = at + chunk.remaining();
            long lo = Math.max(from, at);
            long hi = Math.min(to, end);
            if (lo >= hi) {
                return;
            }
            ByteBuffer part = chunk.duplicate();
            part.position(chunk.position() + (int) (lo - at));
            part.limit(chunk.position() + (int) (hi - at));
            digest.update(part);
        }

        /** The digest in lower-case hex; the range may not be fed afterwards. */
        String hex() {
            if (hex == null) {
                hex = ModelHashes.hex(digest.digest());
            }
            return hex;
        }
    }

    private final int chunkBytes;
    private final List<Range> ranges = new ArrayList<>();

    DigestPipeline(int chunkBytes) {
        if (chunkBytes < 1) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        this.chunkBytes = chunkBytes;
    }

    Range add(long from, long to) {
        Range r = new Range(from, to);
        ranges.add(r);
        return r;
    }

    /** Reads from the start of the file; returns the number of bytes read. */
    long run(FileChannel channel, LongConsumer progress) throws IOException {
        return run(channel, 0, progress);
    }

    /**
     * Reads from {@code start} until the end of the file or of the last range, feeding every range.
     *
     * @return the number of bytes read
     */
    long run(FileChannel channel, long start, LongConsumer progress) throws IOException {
        long stop = start;
        for (Range r : ranges) {
            stop = Math.max(stop, r.to);
        }
        ByteBuffer[] buffers = {ByteBuffer.allocate(chunkBytes), ByteBuffer.allocate(chunkBytes)};
        ExecutorService workers = Executors.newFixedThreadPool(ranges.size(), runnable -> {
            Thread t = new Thread(runnable, "sdmodel-hash");
            t.setDaemon(true);
            return t;
        });
        try {
            long position = start;
            int current = 0;
            int n = fill(channel, buffers[current], position, stop);
            while (n > 0) {
                ByteBuffer chunk = buffers[current];
                long at = position;
                List<Future<?>> pending = new ArrayList<>(ranges.size());
                for (Range r : ranges) {
                    if (r.from < at + n && r.to > at) {
                        pending.add(workers.submit(() -> r.update(chunk, at)));
                    }
                }
                position += n;
                // The next read overlaps with this chunk's digests; the digests must finish before
                // the buffer is reused and before the next chunk is fed (a digest is sequential).
                int next = position >= stop ? 0 : fill(channel, buffers[1 - current], position, stop);
                await(pending);
                progress.accept(n);
                current = 1 - current;
                n = next;
            }
            return position - start;
        } finally {
            workers.shutdownNow();
        }
    }

    /** Fills {@code buffer} from {@code position} until full, the end of the file, or {@code stop}. */
    private static int fill(FileChannel channel, ByteBuffer buffer, long position, long stop) throws IOException {
        buffer.clear();
        long room = stop - position;
        if (room < buffer.capacity()) {
            buffer.limit((int) room);
        }
        while (buffer.hasRemaining()) {
            int r = channel.read(buffer, position + buffer.position());
            if (r < 0) {
                break;
            }
        }
        buffer.flip();
        return buffer.remaining();
    }

    private static void await(List<Future<?>> pending) throws IOException {
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new IOException(cause);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
