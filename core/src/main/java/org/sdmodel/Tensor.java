package org.sdmodel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * One tensor of a model file: its element type, its shape and a way to read its bytes. The bytes
 * are not read until asked for, and are always delivered as a dense, row-major ("contiguous"),
 * little-endian array of {@link #byteSize()} bytes, whatever strides, storage offset or byte order
 * the file used.
 *
 * <p>Implementations are thread-safe: {@link #read} may be called from several threads at once.
 */
public interface Tensor {

    /** The element type. */
    DType dtype();

    /** The shape; an empty array for a 0-dimensional (scalar) tensor. Returns a copy. */
    long[] shape();

    /** Number of elements: the product of the shape (1 for a scalar). */
    default long numel() {
        long n = 1;
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Size of the contiguous bytes in bytes. */
    default long byteSize() {
        return dtype().byteSize(numel());
    }

    /**
     * Reads bytes of the contiguous representation, starting at {@code position}, into
     * {@code dst} until it is full or the tensor ends.
     *
     * @return the number of bytes read; 0 at or past the end
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes starting at {@code position}.
     *
     * @throws EOFException if the tensor ends first
     */
    default void readFully(long position, ByteBuffer dst) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(pos, dst);
            if (n <= 0) {
                throw new EOFException("tensor ended at byte " + pos + " of " + byteSize());
            }
            pos += n;
        }
    }

    /**
     * Reads the whole tensor into a new little-endian buffer. For small tensors: a large one should
     * be streamed with {@link #read} or {@link #openChannel()}.
     *
     * @throws MemoryLimitException if the tensor is larger than {@code maxBytes}
     */
    default ByteBuffer readAll(int maxBytes) throws IOException {
        long size = byteSize();
        if (size > maxBytes) {
            throw new MemoryLimitException("tensor size", size, maxBytes);
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        readFully(0, buf);
        buf.flip();
        return buf.order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** A channel that delivers the contiguous bytes from the start; closing it closes nothing else. */
    default ReadableByteChannel openChannel() {
        Tensor self = this;
        return new ReadableByteChannel() {
            private long position;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (!open) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                if (position >= self.byteSize()) {
                    return -1;
                }
                int n = self.read(position, dst);
                position += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    /** A short description such as {@code F16[320, 4, 3, 3]}. */
    static String describe(Tensor t) {
        return t.dtype() + Arrays.toString(t.shape());
    }
}
