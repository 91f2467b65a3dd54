package org.sdmodel.convert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import org.sdmodel.DType;

/**
 * Converts the little-endian bytes of a run of elements from one type to another, bit for bit as
 * {@link FloatBits} does it (which is as torch does it), counting what was lost. Made for
 * streaming multi-gigabyte tensors through a pair of buffers: nothing is allocated per element,
 * and the work is done on small arrays filled by bulk copies, which the JIT compiles to tight
 * loops whatever kind of buffer (heap, direct, mapped) the caller has.
 *
 * <p>Supported: between any two of F64, F32, BF16 and F16 except <em>to</em> F64 (no
 * {@link Precision} widens to it), from any of those four to the float8 formats F8_E4M3
 * (torch's {@code float8_e4m3fn}) and F8_E5M2, and any type to itself (a copy; floating types
 * are still scanned for NaN and infinity). Byte order is always little-endian, whatever order
 * the buffers are set to; their order is not changed.
 *
 * <p>An instance keeps scratch arrays and is not thread-safe: use one per thread.
 */
public final class ElementConverter {
    /** Elements per inner block: a route's two scratch arrays (at most 24 KiB) stay in L1 cache. */
    private static final int BLOCK = 2048;
    /** Pairs of halves searched at a time for the few that need the exact widening. */
    private static final int WIDEN_RUN = 32;

    private enum Route {
        F32_F16, F32_BF16, F64_F16, F64_BF16, F64_F32, F16_F32, BF16_F32, F16_BF16, BF16_F16,
        F32_F8, F64_F8, F16_F8, BF16_F8,
        COPY_F16, COPY_BF16, COPY_F32, COPY_F64, COPY_BYTES
    }

    private final DType from;
    private final DType to;
    private final Route route;
    /** Bytes in one whole unit of input and of output; a unit is one element except for sub-byte types. */
    private final int inUnit;
    private final int outUnit;
    private final int elementsPerUnit;
    private final ConversionStats discarded = new ConversionStats();
    /** The float8 kernel when the output is float8; null otherwise. */
    private final Float8Narrowing float8;
    private short[] shorts;
    private int[] ints;
    private long[] longs;
    private short[] outShorts;
    private int[] outInts;
    private int[] oddInts;
    private byte[] outBytes;

    private ElementConverter(DType from, DType to, Route route) {
        this.from = from;
        this.to = to;
        this.route = route;
        this.float8 = Float8Narrowing.to(to);
        // A unit is the fewest whole bytes holding whole elements: 1 byte of F4, 3 bytes of F6.
        // Sub-byte types only reach here as copies, so the output unit is the input unit then.
        int bitsPerUnit = lcm(from.bits(), 8);
        this.elementsPerUnit = bitsPerUnit / from.bits();
        this.inUnit = bitsPerUnit / 8;
        this.outUnit = elementsPerUnit * to.bits() / 8;
    }

    /**
     * {@return true if {@link #of} accepts the pair}
     *
     * @param from the source type
     * @param to the target type
     */
    public static boolean supports(DType from, DType to) {
        return routeOf(from, to) != null;
    }

    /**
     * A converter from {@code from} to {@code to}.
     *
     * @param from the source type
     * @param to the target type
     * @return the converter, reusable and not thread-safe
     * @throws IllegalArgumentException if the pair is not supported
     */
    public static ElementConverter of(DType from, DType to) {
        Route route = routeOf(from, to);
        if (route == null) {
            throw new IllegalArgumentException("cannot convert " + from + " to " + to);
        }
        return new ElementConverter(from, to, route);
    }

    /**
     * Converts with a converter made for this call; for many calls, keep an
     * {@link ElementConverter} instead.
     *
     * @param from the source type
     * @param to the target type
     * @param src the source bytes (little-endian)
     * @param dst where the converted bytes go
     * @param stats where to add the counts; null to discard them
     * @return the number of elements converted
     * @see #convert(ByteBuffer, ByteBuffer, ConversionStats)
     */
    public static long convert(DType from, DType to, ByteBuffer src, ByteBuffer dst, ConversionStats stats) {
        return of(from, to).convert(src, dst, stats);
    }

    /** {@return the input type} */
    public DType from() {
        return from;
    }

    /** {@return the output type} */
    public DType to() {
        return to;
    }

    /**
     * Converts as many whole elements as both buffers have room for: reads them from
     * {@code src}'s position, writes them at {@code dst}'s position, and advances both. Bytes of
     * an incomplete element stay in {@code src} for the next call.
     *
     * @param stats where to add the counts; null to discard them
     * @param src the source bytes (little-endian), from its position
     * @param dst where the converted bytes go, from its position
     * @return the number of elements converted
     */
    public long convert(ByteBuffer src, ByteBuffer dst, ConversionStats stats) {
        ConversionStats counts = stats != null ? stats : discarded;
        int units = Math.min(src.remaining() / inUnit, dst.remaining() / outUnit);
        ByteBuffer in = src.slice(src.position(), units * inUnit).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = dst.slice(dst.position(), units * outUnit).order(ByteOrder.LITTLE_ENDIAN);
        switch (route) {
            case F32_F16:
            case F32_BF16:
                fromF32(in.asIntBuffer(), out.asShortBuffer(), counts);
                break;
            case F64_F16:
            case F64_BF16:
                fromF64(in.asLongBuffer(), out.asShortBuffer(), counts);
                break;
            case F64_F32:
                fromF64ToF32(in.asLongBuffer(), out.asIntBuffer(), counts);
                break;
            case F16_F32:
            case BF16_F32:
                toF32(in.asShortBuffer(), out.asIntBuffer(), counts);
                break;
            case F16_BF16:
            case BF16_F16:
                between16(in.asShortBuffer(), out.asShortBuffer(), counts);
                break;
            case F32_F8:
                f32ToF8(in.asIntBuffer(), out, counts);
                break;
            case F64_F8:
                f64ToF8(in.asLongBuffer(), out, counts);
                break;
            case F16_F8:
            case BF16_F8:
                from16ToF8(in, out, counts);
                break;
            default:
                copy(in, out, counts);
                break;
        }
        src.position(src.position() + units * inUnit);
        dst.position(dst.position() + units * outUnit);
        long elements = (long) units * elementsPerUnit;
        counts.elements += elements;
        return elements;
    }

    private static Route routeOf(DType from, DType to) {
        if (from == null || to == null) {
            return null;
        }
        if (from == to) {
            switch (from) {
                case F16: return Route.COPY_F16;
                case BF16: return Route.COPY_BF16;
                case F32: return Route.COPY_F32;
                case F64: return Route.COPY_F64;
                default: return Route.COPY_BYTES;
            }
        }
        if (Float8Narrowing.to(to) != null) {
            switch (from) {
                case F32: return Route.F32_F8;
                case F64: return Route.F64_F8;
                case F16: return Route.F16_F8;
                case BF16: return Route.BF16_F8;
                default: return null;
            }
        }
        switch (from) {
            case F32:
                return to == DType.F16 ? Route.F32_F16 : to == DType.BF16 ? Route.F32_BF16 : null;
            case F64:
                return to == DType.F16 ? Route.F64_F16 : to == DType.BF16 ? Route.F64_BF16
                        : to == DType.F32 ? Route.F64_F32 : null;
            case F16:
                return to == DType.F32 ? Route.F16_F32 : to == DType.BF16 ? Route.F16_BF16 : null;
            case BF16:
                return to == DType.F32 ? Route.BF16_F32 : to == DType.F16 ? Route.BF16_F16 : null;
            default:
                return null;
        }
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    // The kernels. Each converts a block at a time through scratch arrays small enough to stay
    // in L1 cache. The choice between conversions is made once per block, outside the loops.

    private void fromF32(IntBuffer in, ShortBuffer out, ConversionStats stats) {
        int[] a = ints();
        short[] r = outShorts();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(a, 0, n);
            narrowF32(a, null, r, n, stats);
            out.put(r, 0, n);
        }
    }

    /** float64 to half or bfloat16 goes through float32, as in torch (see {@link FloatBits}). */
    private void fromF64(LongBuffer in, ShortBuffer out, ConversionStats stats) {
        long[] d = longs();
        int[] a = ints();
        short[] r = outShorts();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(d, 0, n);
            f64ToF32(d, a, n);
            narrowF32(a, d, r, n, stats);
            out.put(r, 0, n);
        }
    }

    private void fromF64ToF32(LongBuffer in, IntBuffer out, ConversionStats stats) {
        long[] d = longs();
        int[] r = outInts();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(d, 0, n);
            f64ToF32(d, r, n);
            for (int i = 0; i < n; i++) {
                int magnitude = r[i] & 0x7FFF_FFFF;
                // magnitude - 1 wraps for zero, so one unsigned comparison finds 0, inf and NaN.
                if (Integer.compareUnsigned(magnitude - 1, FloatBits.F32_INFINITY - 1) >= 0) {
                    countF64(stats, d[i], magnitude == 0);
                }
            }
            out.put(r, 0, n);
        }
    }

    /**
     * Narrows float32 bits to half or bfloat16 and counts what was lost, in two passes. The first
     * applies the common case's formula to every element: adds, masks and shifts with no branch,
     * which the JIT compiles to SIMD instructions (about 3 times faster than one exact conversion
     * per element, which it cannot vectorise). The second pass narrows to 16 bits and redoes the
     * few elements outside the common case exactly, counting those that can mean a lost value:
     * zeros, infinities and NaNs.
     *
     * @param d the float64 inputs {@code a} was rounded from, or null if {@code a} is the input
     */
    private void narrowF32(int[] a, long[] d, short[] r, int n, ConversionStats stats) {
        int[] h = outInts();
        if (to == DType.F16) {
            for (int i = 0; i < n; i++) {
                h[i] = ((a[i] >>> 16) & 0x8000) | FloatBits.f32ToF16NormalMagnitude(a[i] & 0x7FFF_FFFF);
            }
            for (int i = 0; i < n; i++) {
                int v = h[i];
                if (!FloatBits.isF16NormalRange(a[i])) { // zero, subnormal, overflow, infinity, NaN
                    v = FloatBits.f32ToF16(a[i]);
                    if (isSpecial16(v, FloatBits.F16_INFINITY)) {
                        count(stats, a, d, i, v);
                    }
                }
                r[i] = (short) v;
            }
        } else {
            for (int i = 0; i < n; i++) {
                h[i] = FloatBits.f32ToBf16NotNaN(a[i]);
            }
            for (int i = 0; i < n; i++) {
                int v = h[i];
                // A NaN input always lands here too: rounding it up gives a magnitude of 0x7F80 or
                // more, or wraps to zero.
                if (isSpecial16(v, FloatBits.BF16_INFINITY)) {
                    v = FloatBits.f32ToBf16(a[i]);
                    count(stats, a, d, i, v);
                }
                r[i] = (short) v;
            }
        }
    }

    /** Counts element {@code i}, whose 16-bit result {@code v} is a zero, an infinity or a NaN. */
    private static void count(ConversionStats stats, int[] a, long[] d, int i, int v) {
        boolean outputZero = (v & 0x7FFF) == 0;
        if (d != null) {
            countF64(stats, d[i], outputZero);
        } else {
            countF32(stats, a[i], outputZero);
        }
    }

    private static void f64ToF32(long[] d, int[] r, int n) {
        for (int i = 0; i < n; i++) {
            r[i] = FloatBits.f64ToF32(d[i]);
        }
    }

    private int outputInfinity16() {
        return to == DType.F16 ? FloatBits.F16_INFINITY : FloatBits.BF16_INFINITY;
    }

    private void f32ToF8(IntBuffer in, ByteBuffer out, ConversionStats stats) {
        int[] a = ints();
        byte[] r = outBytes();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(a, 0, n);
            float8.narrow(a, null, r, n, stats);
            out.put(r, 0, n);
        }
    }

    /** float64 to float8 goes through float32, as in torch (its float8 types convert from float only). */
    private void f64ToF8(LongBuffer in, ByteBuffer out, ConversionStats stats) {
        long[] d = longs();
        int[] a = ints();
        byte[] r = outBytes();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(d, 0, n);
            f64ToF32(d, a, n);
            float8.narrow(a, d, r, n, stats);
            out.put(r, 0, n);
        }
    }

    /**
     * Half or bfloat16 to float8: widened to float32 exactly (as torch does), then narrowed.
     * Counting the widened values counts the inputs: widening keeps zeros, infinities and NaNs.
     * The 16-bit inputs are read two to an int and handled as two streams (elements 0, 2, 4, ...
     * and 1, 3, 5, ...): loops over short arrays do not vectorise, loops over ints do, and this
     * path is the one fp16 checkpoints (most SDXL releases) take to fp8.
     */
    private void from16ToF8(ByteBuffer in, ByteBuffer out, ConversionStats stats) {
        IntBuffer words = in.asIntBuffer(); // little-endian: the first element in the low half
        int[] w = ints();
        int[] even = outInts();
        int[] odd = oddInts();
        byte[] r = outBytes();
        boolean fromF16 = route == Route.F16_F8;
        while (words.hasRemaining()) {
            int n = Math.min(BLOCK / 2, words.remaining());
            words.get(w, 0, n);
            if (fromF16) {
                widenF16Pairs(w, even, odd, n);
            } else {
                for (int i = 0; i < n; i++) {
                    even[i] = w[i] << 16;
                    odd[i] = w[i] & 0xFFFF_0000;
                }
            }
            float8.narrowPairs(even, odd, r, n, stats);
            out.put(r, 0, 2 * n);
        }
        if ((in.remaining() & 2) != 0) { // an odd number of elements: the last one alone
            int last = in.getShort(in.limit() - 2);
            even[0] = fromF16 ? FloatBits.f16ToF32(last) : FloatBits.bf16ToF32(last);
            float8.narrow(even, null, r, 1, stats);
            out.put(r[0]);
        }
    }

    /**
     * Pairs of halves (two to an int) to float32, like the narrowing kernels in two steps: the
     * normal halves' formula (rebias the exponent, shift) on every element, branch-free; then the
     * exact conversion of those whose exponent field is all zeros (zero, subnormal) or all ones
     * (infinity, NaN), looked for in runs of {@value #WIDEN_RUN} pairs: weights drawn from N(0,
     * 0.02) are subnormal in fp16 (below 2^-14) 2 to 3 times in a thousand, so nearly every block
     * has one, and fixing up only the runs that do took half to a third of the time of scanning
     * the whole block one element at a time (JDK 17 and 25).
     */
    private static void widenF16Pairs(int[] w, int[] even, int[] odd, int n) {
        for (int i = 0; i < n; i++) {
            int x = w[i];
            even[i] = ((x & 0x8000) << 16) | (((x & 0x7FFF) + (112 << 10)) << 13);
            odd[i] = (x & 0x8000_0000) | ((((x >>> 16) & 0x7FFF) + (112 << 10)) << 13);
        }
        for (int start = 0; start < n; start += WIDEN_RUN) {
            int end = Math.min(n, start + WIDEN_RUN);
            int special = 0;
            for (int i = start; i < end; i++) {
                special += zeroOrMaxExponent16(w[i] & 0x7C00) + zeroOrMaxExponent16((w[i] >>> 16) & 0x7C00);
            }
            if (special == 0) {
                continue;
            }
            for (int i = start; i < end; i++) {
                if (zeroOrMaxExponent16(w[i] & 0x7C00) != 0) {
                    even[i] = FloatBits.f16ToF32(w[i]);
                }
                if (zeroOrMaxExponent16((w[i] >>> 16) & 0x7C00) != 0) {
                    odd[i] = FloatBits.f16ToF32(w[i] >>> 16);
                }
            }
        }
    }

    /** 1 if a half's exponent field {@code e} (its bits 10-14, in place) is all zeros or all ones, else 0. */
    private static int zeroOrMaxExponent16(int e) {
        return ((e - 0x0400) >>> 31) | ((0x7BFF - e) >>> 31);
    }

    /** Half or bfloat16 to float32: exact, so only NaN and infinite inputs are counted. */
    private void toF32(ShortBuffer in, IntBuffer out, ConversionStats stats) {
        short[] a = shorts();
        int[] r = outInts();
        boolean fromF16 = route == Route.F16_F32;
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(a, 0, n);
            if (fromF16) {
                for (int i = 0; i < n; i++) {
                    r[i] = FloatBits.f16ToF32(a[i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    r[i] = FloatBits.bf16ToF32(a[i]);
                }
            }
            scanInputs16(a, n, fromF16 ? FloatBits.F16_INFINITY : FloatBits.BF16_INFINITY, stats);
            out.put(r, 0, n);
        }
    }

    private void between16(ShortBuffer in, ShortBuffer out, ConversionStats stats) {
        short[] a = shorts();
        short[] r = outShorts();
        boolean fromF16 = route == Route.F16_BF16;
        int inInfinity = fromF16 ? FloatBits.F16_INFINITY : FloatBits.BF16_INFINITY;
        int outInfinity = outputInfinity16();
        while (in.hasRemaining()) {
            int n = Math.min(BLOCK, in.remaining());
            in.get(a, 0, n);
            if (fromF16) {
                for (int i = 0; i < n; i++) {
                    r[i] = (short) FloatBits.f16ToBf16(a[i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    r[i] = (short) FloatBits.bf16ToF16(a[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                if (isSpecial16(r[i], outInfinity)) {
                    count16(stats, a[i], inInfinity, (r[i] & 0x7FFF) == 0);
                }
            }
            out.put(r, 0, n);
        }
    }

    /** Same type in and out: the bytes are copied, and floating types scanned for NaN and infinity. */
    private void copy(ByteBuffer in, ByteBuffer out, ConversionStats stats) {
        out.put(in.duplicate());
        if (route == Route.COPY_F16 || route == Route.COPY_BF16) {
            ShortBuffer values = in.asShortBuffer();
            short[] a = shorts();
            int infinity = route == Route.COPY_F16 ? FloatBits.F16_INFINITY : FloatBits.BF16_INFINITY;
            while (values.hasRemaining()) {
                int n = Math.min(BLOCK, values.remaining());
                values.get(a, 0, n);
                scanInputs16(a, n, infinity, stats);
            }
        } else if (route == Route.COPY_F32) {
            IntBuffer values = in.asIntBuffer();
            int[] a = ints();
            while (values.hasRemaining()) {
                int n = Math.min(BLOCK, values.remaining());
                values.get(a, 0, n);
                for (int i = 0; i < n; i++) {
                    if ((a[i] & 0x7FFF_FFFF) >= FloatBits.F32_INFINITY) {
                        countF32(stats, a[i], false);
                    }
                }
            }
        } else if (route == Route.COPY_F64) {
            LongBuffer values = in.asLongBuffer();
            long[] a = longs();
            while (values.hasRemaining()) {
                int n = Math.min(BLOCK, values.remaining());
                values.get(a, 0, n);
                for (int i = 0; i < n; i++) {
                    if ((a[i] & 0x7FFF_FFFF_FFFF_FFFFL) >= FloatBits.F64_INFINITY) {
                        countF64(stats, a[i], false);
                    }
                }
            }
        }
    }

    /** Counts the NaN and infinite values among half or bfloat16 inputs that are kept exactly. */
    private static void scanInputs16(short[] a, int n, int infinity, ConversionStats stats) {
        for (int i = 0; i < n; i++) {
            if ((a[i] & 0x7FFF) >= infinity) {
                count16(stats, a[i], infinity, false);
            }
        }
    }

    /** True if a 16-bit result is ±0, ±infinity or NaN: {@code magnitude - 1} wraps for zero. */
    private static boolean isSpecial16(int bits, int infinity) {
        return Integer.compareUnsigned((bits & 0x7FFF) - 1, infinity - 1) >= 0;
    }

    private static void countF32(ConversionStats stats, int x, boolean outputZero) {
        int m = x & 0x7FFF_FFFF;
        stats.countSpecial(m > FloatBits.F32_INFINITY, m == FloatBits.F32_INFINITY, m == 0, outputZero);
    }

    private static void countF64(ConversionStats stats, long x, boolean outputZero) {
        long m = x & 0x7FFF_FFFF_FFFF_FFFFL;
        stats.countSpecial(m > FloatBits.F64_INFINITY, m == FloatBits.F64_INFINITY, m == 0, outputZero);
    }

    private static void count16(ConversionStats stats, int x, int infinity, boolean outputZero) {
        int m = x & 0x7FFF;
        stats.countSpecial(m > infinity, m == infinity, m == 0, outputZero);
    }

    private short[] shorts() {
        return shorts != null ? shorts : (shorts = new short[BLOCK]);
    }

    private int[] ints() {
        return ints != null ? ints : (ints = new int[BLOCK]);
    }

    private long[] longs() {
        return longs != null ? longs : (longs = new long[BLOCK]);
    }

    private short[] outShorts() {
        return outShorts != null ? outShorts : (outShorts = new short[BLOCK]);
    }

    private int[] oddInts() {
        return oddInts != null ? oddInts : (oddInts = new int[BLOCK]);
    }

    private byte[] outBytes() {
        return outBytes != null ? outBytes : (outBytes = new byte[BLOCK]);
    }

    private int[] outInts() {
        return outInts != null ? outInts : (outInts = new int[BLOCK]);
    }
}
