package org.sdmodel.io.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.sdmodel.DType;
import org.sdmodel.Tensor;

/**
 * A tensor whose contiguous little-endian bytes lie in one region of a file: every safetensors
 * tensor, and every torch tensor that covers its storage densely. Reads are positional, so one
 * channel serves many threads.
 */
public final class FileRegionTensor implements Tensor {
    private final FileChannel channel;
    private final long offset;
    private final DType dtype;
    private final long[] shape;
    private final long byteSize;

    /**
     * @param channel the open file
     * @param offset where the tensor's first byte is in the file
     * @param dtype element type
     * @param shape shape (copied)
     * @throws ArithmeticException if the size overflows
     */
    public FileRegionTensor(FileChannel channel, long offset, DType dtype, long[] shape) {
        this.channel = channel;
        this.offset = offset;
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        this.byteSize = dtype.byteSize(n);
    }

    /** Where the tensor's bytes start in the file. */
    public long fileOffset() {
        return offset;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        return readRegion(channel, offset, byteSize, position, dst);
    }

    /**
     * Reads bytes {@code position..} of the region of {@code size} bytes at {@code offset} in a
     * file into {@code dst}, until it is full or the region ends: the positional read behind every
     * dense tensor, safetensors' and torch's alike.
     *
     * @return the number of bytes read; 0 at or past the end of the region
     * @throws EOFException if the file is shorter than the region
     */
    public static int readRegion(FileChannel channel, long offset, long size, long position, ByteBuffer dst)
            throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        if (position >= size || !dst.hasRemaining()) {
            return 0;
        }
        int want = (int) Math.min(dst.remaining(), size - position);
        ByteBuffer view = dst.duplicate();
        view.limit(view.position() + want);
        int total = 0;
        while (view.hasRemaining()) {
            int n = channel.read(view, offset + position + total);
            if (n < 0) {
                throw new EOFException("the file ends inside a tensor's data (at byte " + (offset + position + total) + ")");
            }
            total += n;
        }
        dst.position(dst.position() + total);
        return total;
    }
}
