package org.sdmodel.torch;

import java.io.EOFException;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import org.sdmodel.DType;
import org.sdmodel.Tensor;
import org.sdmodel.io.internal.FileRegionTensor;

/**
 * A tensor of a torch checkpoint: a view (offset, shape, strides) of a storage. Dense views in
 * little-endian files are read straight from the file; other views (stride 0 from
 * {@code expand}, transposes, big-endian files) are gathered element run by element run.
 */
final class TorchTensor implements Tensor {
    /** Strided views whose storage span is at most this large are gathered from one read of the span. */
    private static final long GATHER_SPAN_LIMIT = 32L << 20;

    private final TorchStorage storage;
    private final DType dtype;
    private final long offset;
    private final long[] shape;
    private final long[] stride;
    private final long numel;
    private final int elementSize;
    private final long lastIndex;
    private final boolean dense;
    /** Row-major in its storage, whatever the byte order. */
    private final boolean contiguous;
    private volatile SoftReference<ByteBuffer> spanCache = new SoftReference<>(null);

    /**
     * Checks the view's own consistency (sizes, strides, overflow). Whether it fits its storage is
     * checked by {@link #checkBounds()} once the storage is placed.
     */
    TorchTensor(TorchStorage storage, DType dtype, long offset, long[] shape, long[] stride) throws TorchFormatException {
        this.storage = storage;
        this.dtype = dtype;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
        if (dtype.bits() % 8 != 0) {
            throw new TorchFormatException("torch tensors of " + dtype + " are not supported");
        }
        this.elementSize = dtype.elementSize();
        if (shape.length != stride.length) {
            throw new TorchFormatException("a tensor has " + shape.length + " sizes but " + stride.length + " strides");
        }
        if (offset < 0) {
            throw new TorchFormatException("a tensor has a negative storage offset " + offset);
        }
        long n = 1;
        long last = offset;
        boolean isDense = true;
        long expected = 1;
        try {
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] < 0 || stride[d] < 0) {
                    throw new TorchFormatException("a tensor has a negative size or stride");
                }
                n = Math.multiplyExact(n, shape[d]);
                if (shape[d] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, stride[d]));
                }
                if (shape[d] != 1 && stride[d] != expected) {
                    isDense = false;
                }
                expected = Math.multiplyExact(expected, shape[d]);
            }
            dtype.byteSize(n);
            Math.multiplyExact(last + 1, (long) elementSize);
        } catch (ArithmeticException e) {
            throw new TorchFormatException("a tensor's size overflows: shape " + java.util.Arrays.toString(shape));
        }
        this.numel = n;
        this.lastIndex = last;
        this.contiguous = isDense;
        this.dense = isDense && (!storage.bigEndian || elementSize == 1);
    }

    /**
     * A view with stride 0 ({@code expand}) repeats its storage's elements: a file of a few bytes
     * could claim a terabyte tensor, which is what convert and prune would write out. Such views
     * larger than their storage are refused beyond this size; real ones are a few kilobytes.
     */
    static final long MAX_EXPANDED_BYTES = 1L << 30;

    /** Checks that every element of the view lies inside its (placed) storage. */
    void checkBounds() throws TorchFormatException {
        long storageElements = storage.byteLength() / elementSize;
        if (numel > 0 && lastIndex >= storageElements) {
            throw new TorchFormatException("a tensor of shape " + java.util.Arrays.toString(shape)
                    + " reaches element " + lastIndex + " of storage '" + storage.key + "', which holds "
                    + storageElements);
        }
        if (byteSize() > storage.byteLength() && byteSize() > MAX_EXPANDED_BYTES) {
            throw new TorchFormatException("an expanded view of shape " + java.util.Arrays.toString(shape)
                    + " would be " + byteSize() + " bytes from " + storage.byteLength() + " bytes of storage '"
                    + storage.key + "' (more than " + MAX_EXPANDED_BYTES + " bytes of repeats are refused)");
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

    @Override
    public long numel() {
        return numel;
    }

    @Override
    public long byteSize() {
        return numel * elementSize;
    }

    /** True if the tensor's bytes lie contiguously, little-endian, in the file. */
    boolean isDense() {
        return dense;
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        long size = byteSize();
        if (dense) {
            return FileRegionTensor.readRegion(storage.channel, storage.dataOffset() + offset * elementSize, size,
                    position, dst);
        }
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        if (position >= size || !dst.hasRemaining()) {
            return 0;
        }
        int want = (int) Math.min(dst.remaining(), size - position);
        if (contiguous && position % elementSize == 0 && want >= elementSize) {
            // A big-endian file: read whole elements as a region, then reverse each in place.
            ByteBuffer whole = dst.duplicate();
            whole.limit(whole.position() + want - want % elementSize);
            int start = whole.position();
            int n = FileRegionTensor.readRegion(storage.channel, storage.dataOffset() + offset * elementSize, size,
                    position, whole);
            for (int i = start; i < start + n; i += elementSize) {
                for (int a = i, b = i + elementSize - 1; a < b; a++, b--) {
                    byte t = whole.get(a);
                    whole.put(a, whole.get(b));
                    whole.put(b, t);
                }
            }
            dst.position(start + n);
            return n;
        }
        gather(position, dst, want);
        return want;
    }

    /** Copies {@code want} bytes of the row-major representation, starting at {@code position}. */
    private void gather(long position, ByteBuffer dst, int want) throws IOException {
        long firstElement = position / elementSize;
        int skip = (int) (position % elementSize);
        long endElement = Math.min(numel, (position + want + elementSize - 1) / elementSize);
        int rank = shape.length;
        long[] index = new long[rank];
        long rem = firstElement;
        for (int d = rank - 1; d >= 0; d--) {
            index[d] = shape[d] == 0 ? 0 : rem % shape[d];
            rem = shape[d] == 0 ? 0 : rem / shape[d];
        }
        ByteBuffer span = spanBytes();
        byte[] element = new byte[elementSize];
        int written = 0;
        for (long e = firstElement; e < endElement && written < want; e++) {
            long storageIndex = offset;
            for (int d = 0; d < rank; d++) {
                storageIndex += index[d] * stride[d];
            }
            readElement(span, storageIndex, element);
            if (storage.bigEndian) {
                for (int i = 0, j = elementSize - 1; i < j; i++, j--) {
                    byte t = element[i];
                    element[i] = element[j];
                    element[j] = t;
                }
            }
            int from = e == firstElement ? skip : 0;
            int len = Math.min(elementSize - from, want - written);
            dst.put(element, from, len);
            written += len;
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
    }

    private void readElement(ByteBuffer span, long storageIndex, byte[] element) throws IOException {
        long byteOffset = storageIndex * elementSize;
        if (span != null) {
            span.get((int) (byteOffset - offset * elementSize), element);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(element);
        while (b.hasRemaining()) {
            if (storage.channel.read(b, storage.dataOffset() + byteOffset + b.position()) < 0) {
                throw new EOFException("the file ends inside storage '" + storage.key + "'");
            }
        }
    }

    /** The bytes from the view's first to last element, when small enough to hold; null otherwise. */
    private ByteBuffer spanBytes() throws IOException {
        ByteBuffer cached = spanCache.get();
        if (cached != null) {
            return cached;
        }
        long spanBytes = (lastIndex - offset + 1) * elementSize;
        if (spanBytes > GATHER_SPAN_LIMIT) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate((int) spanBytes);
        long base = storage.dataOffset() + offset * elementSize;
        while (b.hasRemaining()) {
            if (storage.channel.read(b, base + b.position()) < 0) {
                throw new EOFException("the file ends inside storage '" + storage.key + "'");
            }
        }
        b.flip();
        spanCache = new SoftReference<>(b);
        return b;
    }
}
