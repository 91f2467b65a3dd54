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
 * <p>Results of float16, bfloat16 and float32 type live in float arrays ("lanes") between
 * operations, already rounded to their type: a float16 value is the float32 holding exactly that
 * half. Rounding a lane to its type ({@link #round}) is what torch's write of the result and the
 * next operation's read of it do together, so a chain of operations (add difference is three)
 * reads bytes once and writes them once. Each pass is a tight loop the JIT compiles well; NaN
 * results, rare, get their bits set in a separate pass, since the JVM does not promise which NaN
 * an operation returns. Java's float arithmetic is IEEE binary32 with round-to-nearest-even and
 * no fused operations, so every other result is exact by construction. float64 and integer
 * results take a plain per-element path on bytes.
 *
 * <p>Not thread-safe (scratch arrays): one instance per worker.
 */
final class Arithmetic {
    static final int F32_DEFAULT_NAN = 0xFFC0_0000;
    static final long F64_DEFAULT_NAN = 0xFFF8_0000_0000_0000L;
    /** Elements per pass of the byte-level kernels. */
    private static final int BLOCK = 2048;

    /** Every half's float32 bits (exact), so decoding is one load per element. */
    private static final int[] HALF_TO_FLOAT = new int[1 << 16];

    static {
        for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
            HALF_TO_FLOAT[h] = FloatBits.f16ToF32(h);
        }
    }

    enum Op { ADD, SUBTRACT }

    private final long[] xl = new long[BLOCK];
    private final long[] yl = new long[BLOCK];
    private final long[] rl = new long[BLOCK];
    private short[] shorts = new short[0];
    private long[] longs = new long[0];
    private int[] ints = new int[0];
    private int[] ints2 = new int[0];
    /** Native-order memory through which float lanes are read as bits and back. */
    private ByteBuffer view = ByteBuffer.allocateDirect(0);

    /** True for the types computed in float lanes. */
    static boolean isLane(DType t) {
        return t == DType.F16 || t == DType.BF16 || t == DType.F32;
    }

    // --- float lanes --------------------------------------------------------------------------

    /**
     * Reads {@code n} elements of type {@code type} as floats cast to the lane type
     * {@code target}: a float input widens exactly, an integer is rounded to float32 and then to
     * {@code target}. Little-endian bytes from {@code in}'s position.
     */
    void decode(ByteBuffer in, DType type, DType target, int n, float[] dst) {
        ByteBuffer b = in.slice(in.position(), (int) type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32:
                b.asFloatBuffer().get(dst, 0, n);
                return;
            case F16:
                b.asShortBuffer().get(shorts(n), 0, n);
                for (int i = 0; i < n; i++) {
                    dst[i] = Float.intBitsToFloat(HALF_TO_FLOAT[shorts[i] & 0xFFFF]);
                }
                return;
            case BF16:
                b.asShortBuffer().get(shorts(n), 0, n);
                for (int i = 0; i < n; i++) {
                    dst[i] = Float.intBitsToFloat((shorts[i] & 0xFFFF) << 16);
                }
                return;
            default:
                long[] v = longs(n);
                decodeInteger(b, type, 0, n, v);
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) v[i];
                }
                round(dst, dst, null, n, target); // integers are never NaN
        }
    }

    /** {@code r = x * m} in lane type {@code type}. */
    void scale(float[] x, double multiplier, float[] r, int n, DType type) {
        float m = (float) multiplier;
        for (int i = 0; i < n; i++) {
            r[i] = x[i] * m;
        }
        round(r, x, null, n, type);
    }

    /** {@code r = x op y} in lane type {@code type}. */
    void binary(Op op, float[] x, float[] y, float[] r, int n, DType type) {
        if (op == Op.ADD) {
            for (int i = 0; i < n; i++) {
                r[i] = x[i] + y[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                r[i] = x[i] - y[i];
            }
        }
        round(r, x, y, n, type);
    }

    /**
     * Rounds the float32 results {@code r} to {@code type}, as torch's writing them as that type
     * (and reading them back) does; a NaN result first gets the bits x86 gives it from the
     * operands {@code x} (and {@code y}, null for a unary operation).
     */
    void round(float[] r, float[] x, float[] y, int n, DType type) {
        if (type == DType.BF16) {
            int[] b = bits(r, n);
            for (int i = 0; i < n; i++) { // every NaN becomes bfloat16 0xFFFF, whatever its bits
                int rounded = (b[i] + 0x7FFF + ((b[i] >>> 16) & 1)) & 0xFFFF_0000;
                b[i] = (b[i] & 0x7FFF_FFFF) > 0x7F80_0000 ? 0xFFFF_0000 : rounded;
            }
            floats(b, r, n);
            return;
        }
        if (type == DType.F32) {
            for (int i = 0; i < n; i++) {
                if (r[i] != r[i]) {
                    r[i] = Float.intBitsToFloat(nanOf(x, y, i));
                }
            }
            return;
        }
        // half: the normal range rounded branch-free (the 13 low mantissa bits rounded away, a carry
        // stepping the exponent as it should), then the few others redone exactly through the half's
        // bits: half subnormals, overflow, infinities, NaN (zero is right either way). The bits go
        // through int arrays (bulk copies): the JIT vectorises integer loops, not float-int casts.
        int[] b = bits(r, n);
        int[] t = ints2(n);
        for (int i = 0; i < n; i++) {
            t[i] = (b[i] + 0xFFF + ((b[i] >>> 13) & 1)) & 0xFFFF_E000;
        }
        for (int i = 0; i < n; i++) {
            int m = b[i] & 0x7FFF_FFFF;
            if (m != 0 && Integer.compareUnsigned(m - HALF_NORMAL_FROM, HALF_NORMAL_TO - HALF_NORMAL_FROM) >= 0) {
                t[i] = HALF_TO_FLOAT[FloatBits.f32ToF16(m > 0x7F80_0000 ? nanOf(x, y, i) : b[i])];
            }
        }
        floats(t, r, n);
    }

    /** The bits of {@code r[0..n)}, copied in bulk. */
    private int[] bits(float[] r, int n) {
        ByteBuffer buffer = view(n);
        buffer.asFloatBuffer().put(r, 0, n);
        int[] b = ints(n);
        buffer.asIntBuffer().get(b, 0, n);
        return b;
    }

    /** {@code r[0..n)} set to the floats with bits {@code b}, copied in bulk. */
    private void floats(int[] b, float[] r, int n) {
        ByteBuffer buffer = view(n);
        buffer.asIntBuffer().put(b, 0, n);
        buffer.asFloatBuffer().get(r, 0, n);
    }

    private ByteBuffer view(int n) {
        if (view.capacity() < 4 * n) {
            view = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        }
        return view.clear();
    }

    /** The smallest float32 magnitude that rounds to a normal half: 2^-14 - 2^-25. */
    private static final int HALF_NORMAL_FROM = 0x387F_F000;
    /** The smallest float32 magnitude that overflows half: 65520. */
    private static final int HALF_NORMAL_TO = 0x477F_F000;

    /** The x86 NaN of element {@code i} of an operation on {@code x} (and {@code y}). */
    private static int nanOf(float[] x, float[] y, int i) {
        return nanF32(Float.floatToRawIntBits(x[i]), y == null ? 0 : Float.floatToRawIntBits(y[i]), y != null);
    }

    /** Writes a lane already rounded to {@code type} as its little-endian bytes at {@code out}'s position. */
    void encode(float[] r, int n, DType type, ByteBuffer out) {
        ByteBuffer b = out.slice(out.position(), (int) type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32:
                b.asFloatBuffer().put(r, 0, n);
                for (int i = 0; i < n; i++) {
                    if (r[i] != r[i]) {
                        b.putInt(4 * i, Float.floatToRawIntBits(r[i])); // the array's NaN bits, whatever put did
                    }
                }
                return;
            case BF16: {
                int[] bits = bits(r, n);
                short[] h = shorts(n);
                for (int i = 0; i < n; i++) {
                    h[i] = (short) (bits[i] >>> 16);
                }
                b.asShortBuffer().put(h, 0, n);
                return;
            }
            default: { // F16: exact, the values are halves: rebias normal ones and drop zero bits
                int[] bits = bits(r, n);
                short[] h = shorts(n);
                for (int i = 0; i < n; i++) {
                    h[i] = (short) (((bits[i] >>> 16) & 0x8000) | (((bits[i] & 0x7FFF_FFFF) - 0x3800_0000) >>> 13));
                }
                for (int i = 0; i < n; i++) {
                    int m = bits[i] & 0x7FFF_FFFF;
                    if (Integer.compareUnsigned(m - 0x3880_0000, 0x4780_0000 - 0x3880_0000) >= 0) { // not a normal half
                        h[i] = (short) FloatBits.f32ToF16(bits[i]);
                    }
                }
                b.asShortBuffer().put(h, 0, n);
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

    // --- float64 and integers, on bytes ---------------------------------------------------------

    /** {@code count} elements of {@code multiplier * x} as float64 ({@code x} float64). */
    void scaleF64(ByteBuffer x, DType xType, double multiplier, ByteBuffer out, int count) {
        for (int done = 0; done < count; done += BLOCK) {
            int n = Math.min(BLOCK, count - done);
            decodeF64(x, xType, done, n, xl);
            for (int i = 0; i < n; i++) {
                double r = Double.longBitsToDouble(xl[i]) * multiplier;
                rl[i] = r == r ? Double.doubleToRawLongBits(r) : nanF64(xl[i], 0, false);
            }
            encodeLongs(rl, out, DType.F64, done, n);
        }
    }

    /** {@code count} elements of {@code x op y} in {@code outType}, float64 or an integer type. */
    void binaryBytes(Op op, ByteBuffer x, DType xType, ByteBuffer y, DType yType, ByteBuffer out, DType outType, int count) {
        boolean add = op == Op.ADD;
        for (int done = 0; done < count; done += BLOCK) {
            int n = Math.min(BLOCK, count - done);
            if (outType == DType.F64) {
                decodeF64(x, xType, done, n, xl);
                decodeF64(y, yType, done, n, yl);
                for (int i = 0; i < n; i++) {
                    double a = Double.longBitsToDouble(xl[i]);
                    double b = Double.longBitsToDouble(yl[i]);
                    double r = add ? a + b : a - b;
                    rl[i] = r == r ? Double.doubleToRawLongBits(r) : nanF64(xl[i], yl[i], true);
                }
            } else {
                decodeInteger(x, xType, done, n, xl);
                decodeInteger(y, yType, done, n, yl);
                for (int i = 0; i < n; i++) {
                    rl[i] = add ? xl[i] + yl[i] : xl[i] - yl[i];
                }
            }
            encodeLongs(rl, out, outType, done, n);
        }
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

    /** Reads {@code n} elements from element {@code from} as float64 bits (exact but for 64-bit integers beyond 2^53). */
    private static void decodeF64(ByteBuffer in, DType type, int from, int n, long[] dst) {
        int p = in.position();
        int size = type.elementSize();
        if (type == DType.F64) {
            for (int i = 0; i < n; i++) {
                dst[i] = in.getLong(p + 8 * (from + i));
            }
        } else if (isLane(type)) {
            for (int i = 0; i < n; i++) {
                int at = p + size * (from + i);
                int bits = type == DType.F32 ? in.getInt(at)
                        : type == DType.F16 ? HALF_TO_FLOAT[in.getShort(at) & 0xFFFF] : FloatBits.bf16ToF32(in.getShort(at));
                dst[i] = f32ToF64(bits);
            }
        } else {
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

    private static void encodeLongs(long[] src, ByteBuffer out, DType type, int from, int n) {
        int p = out.position();
        for (int i = 0; i < n; i++) {
            int at = p + type.elementSize() * (from + i);
            switch (type) {
                case F64:
                case I64: out.putLong(at, src[i]); break;
                case I32: out.putInt(at, (int) src[i]); break;
                case I16: out.putShort(at, (short) src[i]); break;
                default: out.put(at, (byte) src[i]); break; // I8, U8
            }
        }
    }

    private short[] shorts(int n) {
        if (shorts.length < n) {
            shorts = new short[n];
        }
        return shorts;
    }

    private int[] ints(int n) {
        if (ints.length < n) {
            ints = new int[n];
        }
        return ints;
    }

    private int[] ints2(int n) {
        if (ints2.length < n) {
            ints2 = new int[n];
        }
        return ints2;
    }

    private long[] longs(int n) {
        if (longs.length < n) {
            longs = new long[n];
        }
        return longs;
    }
}
