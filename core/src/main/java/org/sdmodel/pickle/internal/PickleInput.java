package org.sdmodel.pickle.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import org.sdmodel.MemoryLimitException;
import org.sdmodel.pickle.PickleException;

/**
 * The bytes of one pickle: a bounded, buffered, sequential reader that knows how many bytes remain,
 * so that no length read from the pickle is allocated unless the pickle can hold it.
 */
public final class PickleInput {
    private final ReadableByteChannel channel;
    private final long limit;
    private final long maxAllocation;
    private final ByteBuffer buffer;
    private long consumed;
    private long fetched;

    private PickleInput(ReadableByteChannel channel, long limit, long maxAllocation) {
        this.channel = channel;
        this.limit = limit;
        this.maxAllocation = maxAllocation;
        this.buffer = ByteBuffer.allocate(64 * 1024);
        buffer.limit(0);
    }

    /** In memory: the array is the buffer, nothing is fetched. */
    private PickleInput(byte[] bytes) {
        this.channel = null;
        this.limit = bytes.length;
        this.maxAllocation = Long.MAX_VALUE;
        this.buffer = ByteBuffer.wrap(bytes);
        this.fetched = bytes.length;
    }

    /** A pickle of at most {@code length} bytes starting at {@code offset} of a file. */
    public static PickleInput of(FileChannel file, long offset, long length, long maxAllocation) {
        return new PickleInput(new RegionChannel(file, offset, length), length, maxAllocation);
    }

    /** A pickle of at most {@code length} bytes read from a stream (an inflated zip entry). */
    public static PickleInput of(ReadableByteChannel channel, long length, long maxAllocation) {
        return new PickleInput(channel, length, maxAllocation);
    }

    /** A pickle held in memory. */
    public static PickleInput of(byte[] bytes) {
        return new PickleInput(bytes);
    }

    /** Bytes consumed so far: after {@code STOP}, the pickle's exact length. */
    public long consumed() {
        return consumed;
    }

    /** Bytes left before the limit. */
    public long remaining() {
        return limit - consumed;
    }

    int readByte() throws IOException {
        if (!buffer.hasRemaining() && !fill()) {
            throw truncated();
        }
        consumed++;
        return buffer.get() & 0xFF;
    }

    long readLittleEndian(int n) throws IOException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= ((long) readByte()) << (8 * i);
        }
        return v;
    }

    /**
     * An 8-byte length (FRAME, BINBYTES8, BINUNICODE8, BYTEARRAY8): at 2^63 or above CPython's
     * {@code calc_binsize} gives -1 and the opcode raises OverflowError, so it is malformed here too.
     */
    long readLength8(String what) throws IOException {
        long n = readLittleEndian(8);
        if (n < 0) {
            throw new PickleException(what + " length " + Long.toUnsignedString(n)
                    + " exceeds Python's maximum of 2^63-1 bytes");
        }
        return n;
    }

    /** Reads {@code n} bytes, refusing lengths the pickle cannot hold before allocating them. */
    byte[] readBytes(long n, String what) throws IOException {
        if (n < 0) {
            throw new PickleException("negative length " + n + " for " + what);
        }
        if (n > remaining()) {
            throw new PickleException(what + " claims " + n + " bytes but only " + remaining()
                    + " remain in the pickle (truncated or corrupt)");
        }
        if (n > maxAllocation || n > Integer.MAX_VALUE - 16) {
            throw new MemoryLimitException(what + " length", n, Math.min(maxAllocation, Integer.MAX_VALUE - 16));
        }
        byte[] out = new byte[(int) n];
        int off = 0;
        while (off < out.length) {
            if (!buffer.hasRemaining() && !fill()) {
                throw truncated();
            }
            int k = Math.min(buffer.remaining(), out.length - off);
            buffer.get(out, off, k);
            off += k;
            consumed += k;
        }
        return out;
    }

    /**
     * Reads a text line (a protocol 0 argument) up to and including its newline, as CPython's
     * {@code _Unpickler_Readline} does, and returns it without the newline, one char per byte
     * (latin-1). A line without a newline before the end of the pickle is truncated, as in CPython.
     *
     * @param maxKeep the longest line returned; a longer one is consumed to its newline and null returned
     */
    String readLine(String what, int maxKeep) throws IOException {
        StringBuilder sb = new StringBuilder();
        boolean kept = true;
        while (true) {
            if (!buffer.hasRemaining() && !fill()) {
                throw truncated();
            }
            // Scan the buffer for the newline without a call per byte.
            int start = buffer.position();
            int end = buffer.limit();
            int nl = -1;
            for (int i = start; i < end; i++) {
                if (buffer.get(i) == '\n') {
                    nl = i;
                    break;
                }
            }
            int stop = nl < 0 ? end : nl;
            if (kept) {
                if (sb.length() + (stop - start) > maxKeep) {
                    kept = false;
                    sb.setLength(0);
                } else {
                    for (int i = start; i < stop; i++) {
                        sb.append((char) (buffer.get(i) & 0xFF));
                    }
                }
            }
            int used = (nl < 0 ? end : nl + 1) - start;
            buffer.position(start + used);
            consumed += used;
            if (nl >= 0) {
                return kept ? sb.toString() : null;
            }
        }
    }

    /** Skips {@code n} bytes without reading them into memory (a scan skips tensor-sized payloads). */
    void skip(long n, String what) throws IOException {
        if (n < 0) {
            throw new PickleException("negative length " + n + " for " + what);
        }
        if (n > remaining()) {
            throw new PickleException(what + " claims " + n + " bytes but only " + remaining()
                    + " remain in the pickle (truncated or corrupt)");
        }
        long left = n;
        int buffered = (int) Math.min(left, buffer.remaining());
        buffer.position(buffer.position() + buffered);
        consumed += buffered;
        left -= buffered;
        if (left > 0 && channel instanceof RegionChannel) {
            ((RegionChannel) channel).pos += left; // a file region: no need to read what is skipped
            fetched += left;
            consumed += left;
            left = 0;
        }
        while (left > 0) {
            if (!fill()) {
                throw truncated();
            }
            int k = (int) Math.min(left, buffer.remaining());
            buffer.position(buffer.position() + k);
            consumed += k;
            left -= k;
        }
    }

    private boolean fill() throws IOException {
        long want = Math.min(buffer.capacity(), limit - fetched);
        if (want <= 0) {
            return false;
        }
        buffer.clear();
        buffer.limit((int) want);
        int n;
        do {
            n = channel.read(buffer);
        } while (n == 0);
        buffer.flip();
        if (n < 0) {
            return false;
        }
        fetched += n;
        return true;
    }

    private PickleException truncated() {
        return new PickleException("the pickle ends early after " + consumed + " bytes (truncated file?)");
    }

    /** A positional view of a file region as a sequential channel. */
    private static final class RegionChannel implements ReadableByteChannel {
        private final FileChannel file;
        private final long end;
        private long pos;

        RegionChannel(FileChannel file, long offset, long length) {
            this.file = file;
            this.pos = offset;
            this.end = offset + length;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (pos >= end) {
                return -1;
            }
            ByteBuffer view = dst;
            int oldLimit = dst.limit();
            if (dst.remaining() > end - pos) {
                dst.limit((int) (dst.position() + (end - pos)));
            }
            try {
                int n = file.read(view, pos);
                if (n > 0) {
                    pos += n;
                }
                return n;
            } finally {
                dst.limit(oldLimit);
            }
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
            // the file belongs to the caller
        }
    }
}
