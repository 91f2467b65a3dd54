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
    /**
     * The bytes fetched and not yet consumed are {@code buffer[position, end)}: a plain array
     * rather than a ByteBuffer, as every opcode reads from it and, run once at start-up before
     * the JIT compiles it, each call a ByteBuffer adds costs (about a third of reading a
     * checkpoint's pickle was spent in them).
     */
    private final byte[] buffer;
    private int position;
    private int end;
    private long consumed;
    private long fetched;

    private PickleInput(ReadableByteChannel channel, long limit, long maxAllocation) {
        this.channel = channel;
        this.limit = limit;
        this.maxAllocation = maxAllocation;
        this.buffer = new byte[64 * 1024];
    }

    /** In memory: the array is the buffer, nothing is fetched. */
    private PickleInput(byte[] bytes) {
        this.channel = null;
        this.limit = bytes.length;
        this.maxAllocation = Long.MAX_VALUE;
        this.buffer = bytes;
        this.end = bytes.length;
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
        if (position == end && !fill()) {
            throw truncated();
        }
        consumed++;
        return buffer[position++] & 0xFF;
    }

    long readLittleEndian(int n) throws IOException {
        if (end - position >= n) { // the common case: all in the buffer
            long v = 0;
            for (int i = 0; i < n; i++) {
                v |= (buffer[position + i] & 0xFFL) << (8 * i);
            }
            position += n;
            consumed += n;
            return v;
        }
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
            if (position == end && !fill()) {
                throw truncated();
            }
            int k = Math.min(end - position, out.length - off);
            System.arraycopy(buffer, position, out, off, k);
            position += k;
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
            if (position == end && !fill()) {
                throw truncated();
            }
            // Scan the buffer for the newline without a call per byte.
            int start = position;
            int nl = -1;
            for (int i = start; i < end; i++) {
                if (buffer[i] == '\n') {
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
                        sb.append((char) (buffer[i] & 0xFF));
                    }
                }
            }
            int used = (nl < 0 ? end : nl + 1) - start;
            position = start + used;
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
        int buffered = (int) Math.min(left, end - position);
        position += buffered;
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
            int k = (int) Math.min(left, end - position);
            position += k;
            consumed += k;
            left -= k;
        }
    }

    private boolean fill() throws IOException {
        long want = Math.min(buffer.length, limit - fetched);
        if (want <= 0 || channel == null) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, (int) want);
        int n;
        do {
            n = channel.read(b);
        } while (n == 0);
        position = 0;
        end = Math.max(n, 0);
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
