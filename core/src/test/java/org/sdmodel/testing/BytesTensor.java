package org.sdmodel.testing;

import java.nio.ByteBuffer;
import org.sdmodel.DType;
import org.sdmodel.Tensor;

/** A tensor held in memory, for tests. */
public final class BytesTensor implements Tensor {
    private final DType dtype;
    private final long[] shape;
    private final byte[] bytes;

    public BytesTensor(DType dtype, long[] shape, byte[] bytes) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.bytes = bytes.clone();
        if (byteSize() != bytes.length) {
            throw new IllegalArgumentException(bytes.length + " bytes for " + Tensor.describe(this));
        }
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public int read(long position, ByteBuffer dst) {
        if (position >= bytes.length) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), bytes.length - position);
        dst.put(bytes, (int) position, n);
        return n;
    }
}
