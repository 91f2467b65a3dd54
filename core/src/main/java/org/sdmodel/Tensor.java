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

    /** {@return the element type} */
    DType dtype();

    /** {@return the shape; an empty array for a 0-dimensional (scalar) tensor. Returns a copy} */
    long[] shape();

    /** {@return number of elements: the product of the shape (1 for a scalar)} */
    default long numel() {
        long n = 1;
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** {@return size of the contiguous bytes in bytes} */
    default long byteSize() {
        return dtype().byteSize(numel());
    }

    /**
     * Reads bytes of the contiguous representation, starting at {@code position}, into
     * {@code dst} until it is full or the tensor ends.
     *
     * @param position the offset in the tensor's data to read from
     * @param dst where the bytes go, from its position up to its limit
     * @return the number of bytes read; 0 at or past the end
     * @throws IOException if the file cannot be read
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes starting at {@code position}.
     *
     * @param position the offset in the tensor's data to read from
     * @param dst filled from its position to its limit
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
     * @param maxBytes the most the caller accepts to hold in memory
     * @return the tensor's bytes, dense, row-major, little-endian, in a buffer of exactly that size
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

    /** {@return a channel that delivers the contiguous bytes from the start; closing it closes nothing else} */
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

    /**
     * {@return a short description such as {@code F16[320, 4, 3, 3]}}
     *
     * @param t a tensor
     */
    static String describe(Tensor t) {
        return t.dtype() + Arrays.toString(t.shape());
    }
}
