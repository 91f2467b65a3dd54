package org.sdmodel.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sdmodel.DType;
import org.sdmodel.convert.ElementConverter;
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
 * non-NaN results are exact by construction. Each block is done in passes the JIT compiles to
 * tight (mostly SIMD) loops: decode to float arrays (a table for half), compute, round to the
 * result type (with {@link ElementConverter}, the conversion prune uses); then the rare NaN
 * results get their bits set explicitly, since the JVM does not promise which NaN an operation
 * returns.
 *
 * <p>Not thread-safe (scratch arrays): one instance per worker.
 */
final class Arithmetic {
    /** Elements per block: the scratch arrays stay in L1/L2 cache. */
    static final int BLOCK = 2048;
    static final int F32_DEFAULT_NAN = 0xFFC0_0000;
    static final long F64_DEFAULT_NAN = 0xFFF8_0000_0000_0000L;

    /** Every half's float32 bits (exact), so decoding is one load per element. */
    private static final int[] HALF_TO_FLOAT = new int[1 << 16];

    static {
        for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
            HALF_TO_FLOAT[h] = FloatBits.f16ToF32(h);
        }
    }

    enum Op { ADD, SUBTRACT }

    private final float[] xf = new float[BLOCK];
    private final float[] yf = new float[BLOCK];
    private final float[] rf = new float[BLOCK];
    private final short[] shorts = new short[BLOCK];
    private final long[] xl = new long[BLOCK];
    private final long[] yl = new long[BLOCK];
    private final long[] rl = new long[BLOCK];
    /** One block of float32 results, for rounding to half or bfloat16 by the converter. */
    private final ByteBuffer floats = ByteBuffer.allocateDirect(4 * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    private final ElementConverter toF16 = ElementConverter.of(DType.F32, DType.F16);
    private final ElementConverter toBf16 = ElementConverter.of(DType.F32, DType.BF16);

    /**
     * {@code count} elements of {@code multiplier * x} in {@code outType} ({@link TorchTypes#scaled}).
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
                    double r = Double.longBitsToDouble(xl[i]) * multiplier;
                    rl[i] = r == r ? Double.doubleToRawLongBits(r) : nanF64(xl[i], 0, false);
                }
                encodeF64(rl, o, done, n);
            } else {
                decodeF32(in, xType, outType, done, n, xf);
                float m = (float) multiplier;
                for (int i = 0; i < n; i++) {
                    rf[i] = xf[i] * m;
                }
                encodeF32(o, outType, done, n);
                for (int i = 0; i < n; i++) {
                    if (rf[i] != rf[i]) {
                        putNaN(o, outType, done + i, nanF32(inputBits(in, xType, done + i), 0, false));
                    }
                }
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
                decodeF32(xs, xType, outType, done, n, xf);
                decodeF32(ys, yType, outType, done, n, yf);
                if (add) {
                    for (int i = 0; i < n; i++) {
                        rf[i] = xf[i] + yf[i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        rf[i] = xf[i] - yf[i];
                    }
                }
                encodeF32(o, outType, done, n);
                for (int i = 0; i < n; i++) {
                    if (rf[i] != rf[i]) {
                        putNaN(o, outType, done + i, nanF32(inputBits(xs, xType, done + i), inputBits(ys, yType, done + i), true));
                    }
                }
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

    /** A float32 NaN result written as torch 2.x's vectorised kernels round it. */
    private static void putNaN(ByteBuffer out, DType type, int index, int bits) {
        int at = out.position() + index * type.elementSize();
        switch (type) {
            case F32:
                out.putInt(at, bits);
                break;
            case F16: // F16C: sign, quiet bit, the top 10 payload bits
                out.putShort(at, (short) (((bits >>> 16) & 0x8000) | 0x7E00 | ((bits >>> 13) & 0x3FF)));
                break;
            default:
                out.putShort(at, (short) FloatBits.BF16_NAN_CONTIGUOUS);
        }
    }

    /** The float32 bits element {@code index} of {@code in} becomes when cast to float32 (for the NaN pass). */
    private static int inputBits(ByteBuffer in, DType type, int index) {
        int at = in.position() + index * type.elementSize();
        switch (type) {
            case F32: return in.getInt(at);
            case F16: return HALF_TO_FLOAT[in.getShort(at) & 0xFFFF];
            case BF16: return FloatBits.bf16ToF32(in.getShort(at));
            default: return 0; // integers are never NaN
        }
    }

    /**
     * Reads {@code n} elements of type {@code type} from element {@code from} as floats, cast to
     * {@code target} first (a float input only widens; an integer is rounded to float32, then to
     * {@code target}).
     */
    private void decodeF32(ByteBuffer in, DType type, DType target, int from, int n, float[] dst) {
        int p = in.position();
        switch (type) {
            case F32:
                in.slice(p + 4 * from, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, 0, n);
                return;
            case F16:
                in.slice(p + 2 * from, 2 * n).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(shorts, 0, n);
                for (int i = 0; i < n; i++) {
                    dst[i] = Float.intBitsToFloat(HALF_TO_FLOAT[shorts[i] & 0xFFFF]);
                }
                return;
            case BF16:
                in.slice(p + 2 * from, 2 * n).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(shorts, 0, n);
                for (int i = 0; i < n; i++) {
                    dst[i] = Float.intBitsToFloat((shorts[i] & 0xFFFF) << 16);
                }
                return;
            default:
                decodeInteger(in, type, from, n, rl);
                for (int i = 0; i < n; i++) {
                    int f = Float.floatToRawIntBits((float) rl[i]);
                    if (target == DType.F16) {
                        f = FloatBits.f16ToF32(FloatBits.f32ToF16(f));
                    } else if (target == DType.BF16) {
                        f = FloatBits.bf16ToF32(FloatBits.f32ToBf16(f));
                    }
                    dst[i] = Float.intBitsToFloat(f);
                }
        }
    }

    /** Writes the block of results {@link #rf} as {@code type}, rounding half and bfloat16 as torch does. */
    private void encodeF32(ByteBuffer out, DType type, int from, int n) {
        int p = out.position();
        if (type == DType.F32) {
            out.slice(p + 4 * from, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(rf, 0, n);
            return;
        }
        floats.clear();
        floats.asFloatBuffer().put(rf, 0, n);
        floats.limit(4 * n);
        ByteBuffer dst = out.slice(p + 2 * from, 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        (type == DType.F16 ? toF16 : toBf16).convert(floats, dst, null);
    }

    /** Reads {@code n} elements as float64 bits (exact for every type but a 64-bit integer beyond 2^53). */
    private void decodeF64(ByteBuffer in, DType type, int from, int n, long[] dst) {
        int p = in.position();
        switch (type) {
            case F64:
                for (int i = 0; i < n; i++) {
                    dst[i] = in.getLong(p + 8 * (from + i));
                }
                return;
            case F32:
            case F16:
            case BF16:
                for (int i = 0; i < n; i++) {
                    dst[i] = f32ToF64(inputBits(in, type, from + i));
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
        for (int i = 0; i < n; i++) {
            int at = p + type.elementSize() * (from + i);
            switch (type) {
                case I64: dst[i] = in.getLong(at); break;
                case I32: dst[i] = in.getInt(at); break;
                case I16: dst[i] = in.getShort(at); break;
                case I8: dst[i] = in.get(at); break;
                case U8: dst[i] = in.get(at) & 0xFF; break;
                case BOOL: dst[i] = in.get(at) != 0 ? 1 : 0; break;
                default: throw new IllegalArgumentException("no arithmetic on " + type);
            }
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
