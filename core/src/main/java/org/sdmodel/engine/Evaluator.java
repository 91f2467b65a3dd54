package org.sdmodel.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.DType;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.ElementConverter;

/**
 * Computes a range of an expression's elements: from the source tensors' bytes (positional
 * reads), through each node's operation, to little-endian bytes of the expression's dtype. Every
 * node asks its operands for exactly the elements it needs, so a chunk of output costs a chunk of
 * each source, whatever the tensor's size.
 *
 * <p>One per worker thread: it keeps the scratch buffers (one per tree level in use, reused from
 * chunk to chunk), the converters and the arithmetic kernels' arrays.
 */
final class Evaluator {
    private final Arithmetic arithmetic = new Arithmetic();
    private final Map<Long, ElementConverter> converters = new HashMap<>();
    private final List<ByteBuffer> scratch = new ArrayList<>();
    private int depth;
    /** Float lanes of arithmetic nodes, one per level in use (see {@link Arithmetic}). */
    private final List<float[]> lanes = new ArrayList<>();
    private int laneDepth;
    /** The last transposed input, kept for the next chunk of the same tensor. */
    private Expr.Transpose transposed;
    private ByteBuffer transposedInput;
    /** Bytes read from sources since {@link #takeBytesRead}. */
    private long bytesRead;

    /** The bytes read from source tensors since the last call; resets the count. */
    long takeBytesRead() {
        long n = bytesRead;
        bytesRead = 0;
        return n;
    }

    /**
     * Writes elements {@code [first, first + count)} of {@code e} at {@code out}'s position as
     * little-endian bytes of {@code e.dtype()}, and advances the position past them.
     *
     * @param stats where conversions count what they lose
     */
    void evaluate(Expr e, long first, int count, ByteBuffer out, ConversionStats stats) throws IOException {
        int bytes = (int) e.dtype().byteSize(count);
        ByteBuffer dst = out.slice(out.position(), bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (e instanceof Expr.Source) {
            Expr.Source s = (Expr.Source) e;
            try {
                s.tensor().readFully(s.dtype().byteSize(first), dst);
                bytesRead += bytes;
            } catch (IOException failure) {
                throw failure instanceof SourceReadException ? failure : new SourceReadException(s.origin(), failure);
            }
        } else if (e instanceof Expr.Convert) {
            Expr.Convert c = (Expr.Convert) e;
            ByteBuffer in = operand(c.input(), first, count, stats);
            converter(c.input().dtype(), c.dtype()).convert(in, dst, stats);
            release(1);
        } else if (Arithmetic.isLane(e.dtype()) && isArithmetic(e)) {
            float[] values = lane(e, first, count, stats);
            arithmetic.encode(values, count, e.dtype(), dst);
            releaseLanes(1);
        } else if (e instanceof Expr.Scale) { // float64 (an integer input gives float32, a lane)
            Expr.Scale s = (Expr.Scale) e;
            ByteBuffer in = operand(s.input(), first, count, stats);
            arithmetic.scaleF64(in, s.input().dtype(), s.multiplier(), dst, count);
            release(1);
        } else if (e instanceof Expr.Add) {
            Expr.Add a = (Expr.Add) e;
            binaryBytes(Arithmetic.Op.ADD, a.left(), a.right(), e.dtype(), first, count, dst, stats);
        } else if (e instanceof Expr.Subtract) {
            Expr.Subtract s = (Expr.Subtract) e;
            binaryBytes(Arithmetic.Op.SUBTRACT, s.left(), s.right(), e.dtype(), first, count, dst, stats);
        } else if (e instanceof Expr.Zeros) {
            while (dst.hasRemaining()) {
                dst.put((byte) 0);
            }
        } else if (e instanceof Expr.Constant) {
            Expr.Constant c = (Expr.Constant) e;
            dst.put(c.bytes(), (int) e.dtype().byteSize(first), bytes);
        } else if (e instanceof Expr.Narrow) {
            narrow((Expr.Narrow) e, first, count, dst, stats);
        } else if (e instanceof Expr.Overwrite) {
            overwrite((Expr.Overwrite) e, first, count, dst, stats);
        } else if (e instanceof Expr.Transpose) {
            transpose((Expr.Transpose) e, first, count, dst, stats);
        } else {
            throw new AssertionError(e.getClass());
        }
        out.position(out.position() + bytes);
    }

    private void binaryBytes(Arithmetic.Op op, Expr left, Expr right, DType type, long first, int count, ByteBuffer dst,
            ConversionStats stats) throws IOException {
        ByteBuffer x = operand(left, first, count, stats);
        ByteBuffer y = operand(right, first, count, stats);
        arithmetic.binaryBytes(op, x, left.dtype(), y, right.dtype(), dst, type, count);
        release(2);
    }

    private static boolean isArithmetic(Expr e) {
        return e instanceof Expr.Scale || e instanceof Expr.Add || e instanceof Expr.Subtract;
    }

    /**
     * The values of an arithmetic node of float16, bfloat16 or float32 type, in the next lane
     * (rounded to its type; the caller {@link #releaseLanes releases} it). Operands that are such
     * nodes too are computed in lanes; others are evaluated to bytes and read into one.
     */
    private float[] lane(Expr e, long first, int count, ConversionStats stats) throws IOException {
        DType type = e.dtype();
        float[] r = nextLane(count);
        if (e instanceof Expr.Scale) {
            Expr.Scale s = (Expr.Scale) e;
            float[] x = operandLane(s.input(), type, first, count, stats);
            arithmetic.scale(x, s.multiplier(), r, count, type);
            releaseLanes(1);
        } else {
            boolean add = e instanceof Expr.Add;
            Expr left = add ? ((Expr.Add) e).left() : ((Expr.Subtract) e).left();
            Expr right = add ? ((Expr.Add) e).right() : ((Expr.Subtract) e).right();
            float[] x = operandLane(left, type, first, count, stats);
            float[] y = operandLane(right, type, first, count, stats);
            arithmetic.binary(add ? Arithmetic.Op.ADD : Arithmetic.Op.SUBTRACT, x, y, r, count, type);
            releaseLanes(2);
        }
        return r;
    }

    /** An operand as a lane of {@code type} (which it widens to exactly, or rounds to if it is an integer). */
    private float[] operandLane(Expr e, DType type, long first, int count, ConversionStats stats) throws IOException {
        if (Arithmetic.isLane(e.dtype()) && isArithmetic(e)) {
            return lane(e, first, count, stats);
        }
        ByteBuffer bytes = operand(e, first, count, stats);
        float[] v = nextLane(count);
        arithmetic.decode(bytes, e.dtype(), type, count, v);
        release(1);
        return v;
    }

    private float[] nextLane(int count) {
        if (lanes.size() <= laneDepth) {
            lanes.add(new float[0]);
        }
        float[] v = lanes.get(laneDepth);
        if (v.length < count) {
            v = new float[count];
            lanes.set(laneDepth, v);
        }
        laneDepth++;
        return v;
    }

    private void releaseLanes(int n) {
        laneDepth -= n;
    }

    /**
     * {@code narrow(input, dim, start, length)}: for each index of the dimensions before
     * {@code dim}, the output's run of {@code length * inner} elements is one run of the input.
     */
    private void narrow(Expr.Narrow n, long first, int count, ByteBuffer dst, ConversionStats stats) throws IOException {
        long[] in = n.input().shape();
        long inner = innerSize(in, n.dim());
        long outRun = n.length() * inner;
        long inRun = in[n.dim()] * inner;
        long end = first + count;
        for (long pos = first; pos < end; ) {
            long outer = pos / outRun;
            long offset = pos - outer * outRun;
            int run = (int) Math.min(end - pos, outRun - offset);
            evaluate(n.input(), outer * inRun + n.start() * inner + offset, run, dst, stats);
            pos += run;
        }
    }

    /**
     * {@code base} with {@code value} written along {@code dim} from {@code start}: per index of
     * the dimensions before {@code dim}, a run of base, a run of value, a run of base.
     */
    private void overwrite(Expr.Overwrite w, long first, int count, ByteBuffer dst, ConversionStats stats)
            throws IOException {
        long[] base = w.base().shape();
        long inner = innerSize(base, w.dim());
        long valueLength = w.value().shape()[w.dim()];
        long outerRun = base[w.dim()] * inner;
        long from = w.start() * inner;
        long to = from + valueLength * inner;
        long end = first + count;
        for (long pos = first; pos < end; ) {
            long outer = pos / outerRun;
            long offset = pos - outer * outerRun;
            long runEnd = offset < from ? from : offset < to ? to : outerRun;
            int run = (int) Math.min(end - pos, runEnd - offset);
            if (offset >= from && offset < to) {
                evaluate(w.value(), outer * valueLength * inner + offset - from, run, dst, stats);
            } else {
                evaluate(w.base(), pos, run, dst, stats);
            }
            pos += run;
        }
    }

    private void transpose(Expr.Transpose t, long first, int count, ByteBuffer dst, ConversionStats stats)
            throws IOException {
        if (transposed != t) {
            int bytes = (int) t.input().byteSize();
            transposedInput = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
            evaluate(t.input(), 0, (int) t.input().numel(), transposedInput, stats);
            transposed = t;
        }
        long[] in = t.input().shape();
        long rows = in[0];
        long cols = in[1];
        int size = t.dtype().elementSize();
        for (int i = 0; i < count; i++) {
            long o = first + i;              // output (c, r) at c * rows + r comes from input (r, c)
            long c = o / rows;
            long r = o - c * rows;
            int at = (int) ((r * cols + c) * size);
            for (int b = 0; b < size; b++) {
                dst.put(transposedInput.get(at + b));
            }
        }
    }

    private static long innerSize(long[] shape, int dim) {
        long inner = 1;
        for (int i = dim + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        return inner;
    }

    /** Evaluates an operand into the next scratch buffer; the caller {@link #release releases} it. */
    private ByteBuffer operand(Expr e, long first, int count, ConversionStats stats) throws IOException {
        int bytes = (int) e.dtype().byteSize(count);
        if (scratch.size() <= depth) {
            scratch.add(null);
        }
        ByteBuffer b = scratch.get(depth);
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
            scratch.set(depth, b);
        }
        depth++;
        b.clear().limit(bytes);
        evaluate(e, first, count, b, stats);
        b.flip();
        return b;
    }

    private void release(int n) {
        depth -= n;
    }

    private ElementConverter converter(DType from, DType to) {
        return converters.computeIfAbsent(((long) from.ordinal() << 32) | to.ordinal(), k -> ElementConverter.of(from, to));
    }
}
