package org.sdmodel.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sdmodel.DType;
import org.sdmodel.convert.FloatBits;

/**
 * The element kernels of {@link Expr.Scale}, {@link Expr.Add} and {@link Expr.Subtract}, bit for
 * bit as torch 2.x computes them on the CPU (checked against torch 2.11's own results in
 * {@code ../shared/oracles/merge-arith-torch2.11.safetensors}):
 *
 * <ul>
 *   <li>Inputs are first cast to the result dtype (exact for floats, which only widen; an
 *       integer is rounded to float32 and then to the result type, as {@code c10::Half(int64)}
 *       does).
 *   <li>float16, bfloat16 and float32 results are computed in float32 ("opmath"), a Python float
 *       multiplier rounded to float32, and the float32 result rounded once to the result dtype;
 *       float64 in double; integers in their own width, wrapping.
 *   <li>NaN bits as x86 makes them: a NaN operand comes out quieted (the left one if both are),
 *       an invalid operation ({@code 0 * inf}, {@code inf - inf}) gives the default NaN
 *       {@code 0xFFC00000}; float32 NaN to half keeps its sign and top payload bits (F16C), to
 *       bfloat16 becomes {@code 0xFFFF} (torch's vectorised rounding).
 * </ul>
 *
 * Java's float arithmetic is IEEE binary32 with round-to-nearest-even and no fused operations, so
 * the non-NaN results are exact by construction; NaN bits are set explicitly, because the JVM does
 * not promise which NaN an operation returns.
 *
 * <p>Not thread-safe (scratch arrays): one instance per worker.
 */
final class Arithmetic {
    /** Elements per block: the scratch arrays (at most 48 KiB) stay in L1/L2 cache. */
    static final int BLOCK = 2048;
    static final int F32_DEFAULT_NAN = 0xFFC0_0000;
    static final long F64_DEFAULT_NAN = 0xFFF8_0000_0000_0000L;

    enum Op { ADD, SUBTRACT }

    private final int[] xi = new int[BLOCK];
    private final int[] yi = new int[BLOCK];
    private final int[] ri = new int[BLOCK];
    private final long[] xl = new long[BLOCK];
    private final long[] yl = new long[BLOCK];
    private final long[] rl = new long[BLOCK];
    /** Scratch of the decoders, apart from the operand and result arrays. */
    private final int[] tmpInts = new int[BLOCK];
    private final long[] tmpLongs = new long[BLOCK];

    /**
     * {@code count} elements of {@code multiplier * x} in {@code out}'s dtype ({@link TorchTypes#scaled}).
     * Buffers are read and written from their positions, little-endian; positions are not moved.
     */
    void scale(ByteBuffer x, DType xType, double multiplier, ByteBuffer out, DType outType, int count) {
        ByteBuffer in = le(x);
        ByteBuffer o = le(out);
        for (int done = 0; done < count; done += BLOCK) {
            int n = Math.min(BLOCK, count - done);
            if (outType == DType.F64) {
                decodeF64(in, xType, done, n, xl);
                for (int i = 0; i < n; i++) {
                    double v = Double.longBitsToDouble(xl[i]);
                    double r = v * multiplier;
                    rl[i] = r == r ? Double.doubleToRawLongBits(r) : nanF64(xl[i], 0, false);
                }
                encodeF64(rl, o, done, n);
            } else {
                decodeF32(in, xType, outType, done, n, xi);
                float m = (float) multiplier;
                for (int i = 0; i < n; i++) {
                    float r = Float.intBitsToFloat(xi[i]) * m;
                    ri[i] = r == r ? Float.floatToRawIntBits(r) : nanF32(xi[i], 0, false);
                }
                encodeF32(ri, o, outType, done, n);
            }
        }
    }

    /** {@code count} elements of {@code x op y} in {@code outType}, the promotion of the two types. */
    void binary(Op op, ByteBuffer x, DType xType, ByteBuffer y, DType yType, ByteBuffer out, DType outType, int count) {
        ByteBuffer xs = le(x);
        ByteBuffer ys = le(y);
        ByteBuffer o = le(out);
        boolean add = op == Op.ADD;
        for (int done = 0; done < count; done += BLOCK) {
            int n = Math.min(BLOCK, count - done);
            if (outType == DType.F64) {
                decodeF64(xs, xType, done, n, xl);
                decodeF64(ys, yType, done, n, yl);
                for (int i = 0; i < n; i++) {
                    double a = Double.longBitsToDouble(xl[i]);
                    double b = Double.longBitsToDouble(yl[i]);
                    double r = add ? a + b : a - b;
                    rl[i] = r == r ? Double.doubleToRawLongBits(r) : nanF64(xl[i], yl[i], true);
                }
                encodeF64(rl, o, done, n);
            } else if (TorchTypes.isFloat(outType)) {
                decodeF32(xs, xType, outType, done, n, xi);
                decodeF32(ys, yType, outType, done, n, yi);
                for (int i = 0; i < n; i++) {
                    float a = Float.intBitsToFloat(xi[i]);
                    float b = Float.intBitsToFloat(yi[i]);
                    float r = add ? a + b : a - b;
                    ri[i] = r == r ? Float.floatToRawIntBits(r) : nanF32(xi[i], yi[i], true);
                }
                encodeF32(ri, o, outType, done, n);
            } else {
                decodeInteger(xs, xType, done, n, xl);
                decodeInteger(ys, yType, done, n, yl);
                for (int i = 0; i < n; i++) {
                    rl[i] = add ? xl[i] + yl[i] : xl[i] - yl[i];
                }
                encodeInteger(rl, o, outType, done, n);
            }
        }
    }

    /** The NaN an x86 float32 operation returns: a NaN operand quieted (left first), else the default NaN. */
    static int nanF32(int a, int b, boolean binary) {
        if ((a & 0x7FFF_FFFF) > 0x7F80_0000) {
            return a | 0x0040_0000;
        }
        if (binary && (b & 0x7FFF_FFFF) > 0x7F80_0000) {
            return b | 0x0040_0000;
        }
        return F32_DEFAULT_NAN;
    }

    static long nanF64(long a, long b, boolean binary) {
        if ((a & 0x7FFF_FFFF_FFFF_FFFFL) > 0x7FF0_0000_0000_0000L) {
            return a | 0x0008_0000_0000_0000L;
        }
        if (binary && (b & 0x7FFF_FFFF_FFFF_FFFFL) > 0x7FF0_0000_0000_0000L) {
            return b | 0x0008_0000_0000_0000L;
        }
        return F64_DEFAULT_NAN;
    }

    /** float32 to half as torch 2.x's vectorised kernels round a result (F16C: a NaN keeps sign and top payload). */
    static int f32ToF16(int bits) {
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return ((bits >>> 16) & 0x8000) | 0x7E00 | ((bits >>> 13) & 0x3FF);
        }
        return FloatBits.f32ToF16(bits);
    }

    /**
     * Reads {@code n} elements of type {@code type} from element {@code from} as float32 bits,
     * cast to {@code target} first (a float input only widens; an integer is rounded to float32,
     * then to {@code target}).
     */
    private void decodeF32(ByteBuffer in, DType type, DType target, int from, int n, int[] dst) {
        switch (type) {
            case F32:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getInt(in.position() + 4 * (from + i));
                }
                return;
            case F16:
                for (int i = 0; i < n; i++) {
                    dst[i] = FloatBits.f16ToF32(in.getShort(in.position() + 2 * (from + i)));
                }
                return;
            case BF16:
                for (int i = 0; i < n; i++) {
                    dst[i] = FloatBits.bf16ToF32(in.getShort(in.position() + 2 * (from + i)));
                }
                return;
            default:
                decodeInteger(in, type, from, n, tmpLongs);
                for (int i = 0; i < n; i++) {
                    int f = Float.floatToRawIntBits((float) tmpLongs[i]);
                    if (target == DType.F16) {
                        f = FloatBits.f16ToF32(FloatBits.f32ToF16(f));
                    } else if (target == DType.BF16) {
                        f = FloatBits.bf16ToF32(FloatBits.f32ToBf16(f));
                    }
                    dst[i] = f;
                }
        }
    }

    /** Reads {@code n} elements as float64 bits (exact for every type but a 64-bit integer beyond 2^53). */
    private void decodeF64(ByteBuffer in, DType type, int from, int n, long[] dst) {
        switch (type) {
            case F64:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getLong(in.position() + 8 * (from + i));
                }
                return;
            case F32:
            case F16:
            case BF16:
                decodeF32(in, type, type, from, n, tmpInts);
                for (int i = 0; i < n; i++) {
                    dst[i] = f32ToF64(tmpInts[i]);
                }
                return;
            default:
                decodeInteger(in, type, from, n, dst);
                for (int i = 0; i < n; i++) {
                    dst[i] = Double.doubleToRawLongBits((double) dst[i]);
                }
        }
    }

    /** float32 bits to float64 bits, a NaN quieted with its payload kept (x86 {@code cvtss2sd}). */
    static long f32ToF64(int bits) {
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            long sign = (long) (bits >>> 31) << 63;
            return sign | 0x7FF8_0000_0000_0000L | ((long) (bits & 0x003F_FFFF) << 29);
        }
        return Double.doubleToRawLongBits(Float.intBitsToFloat(bits));
    }

    private static void decodeInteger(ByteBuffer in, DType type, int from, int n, long[] dst) {
        int p = in.position();
        switch (type) {
            case I64:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getLong(p + 8 * (from + i));
                }
                return;
            case I32:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getInt(p + 4 * (from + i));
                }
                return;
            case I16:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getShort(p + 2 * (from + i));
                }
                return;
            case I8:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.get(p + from + i);
                }
                return;
            case U8:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.get(p + from + i) & 0xFF;
                }
                return;
            case BOOL:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.get(p + from + i) != 0 ? 1 : 0;
                }
                return;
            default:
                throw new IllegalArgumentException("no arithmetic on " + type);
        }
    }

    private static void encodeF32(int[] src, ByteBuffer out, DType type, int from, int n) {
        int p = out.position();
        switch (type) {
            case F32:
                for (int i = 0; i < n; i++) {
                    out.putInt(p + 4 * (from + i), src[i]);
                }
                return;
            case F16:
                for (int i = 0; i < n; i++) {
                    out.putShort(p + 2 * (from + i), (short) f32ToF16(src[i]));
                }
                return;
            case BF16:
                for (int i = 0; i < n; i++) {
                    out.putShort(p + 2 * (from + i), (short) FloatBits.f32ToBf16(src[i]));
                }
                return;
            default:
                throw new IllegalArgumentException("not a float32-computed type: " + type);
        }
    }

    private static void encodeF64(long[] src, ByteBuffer out, int from, int n) {
        int p = out.position();
        for (int i = 0; i < n; i++) {
            out.putLong(p + 8 * (from + i), src[i]);
        }
    }

    private static void encodeInteger(long[] src, ByteBuffer out, DType type, int from, int n) {
        int p = out.position();
        for (int i = 0; i < n; i++) {
            int at = p + type.elementSize() * (from + i);
            switch (type) {
                case I64: out.putLong(at, src[i]); break;
                case I32: out.putInt(at, (int) src[i]); break;
                case I16: out.putShort(at, (short) src[i]); break;
                default: out.put(at, (byte) src[i]); break; // I8, U8
            }
        }
    }

    private static ByteBuffer le(ByteBuffer b) {
        return b.order() == ByteOrder.LITTLE_ENDIAN ? b : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
