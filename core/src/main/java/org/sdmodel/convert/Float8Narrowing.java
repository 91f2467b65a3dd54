package org.sdmodel.convert;

import org.sdmodel.DType;

/**
 * The bulk narrowing of float32 bits to one of torch's two float8 formats, bit for bit as
 * {@link FloatBits#f32ToF8E4m3fn} and {@link FloatBits#f32ToF8E5m2}.
 *
 * <p>Every element's result is computed with adds, masks, shifts and a multiply, with no branch
 * and no float operation, so the JIT compiles the loops to SIMD instructions. Unlike half,
 * float8's subnormal range is where ordinary weights live (e4m3fn's smallest normal is 2^-6 =
 * 0.0156, and weights of a few hundredths are typical), so subnormals cannot be left to a slow
 * path: the scalar reference rounds them by a float addition; here the significand is scaled
 * by 2^k (k = 0..3, from the exponent; a multiply, as per-element shift counts do not vectorise)
 * and rounded at a fixed bit. Overflow and NaN come out of the same arithmetic: the normal
 * formula gives any magnitude past the format's range a code above its largest, which is clamped
 * to NaN (e4m3fn) or infinity (e5m2), and a NaN mask sets the NaN code. So the result is exact for
 * every input (the exhaustive test checks all 2^32 float32 patterns against torch), and the only
 * "fix-up" left is counting: underflows branch-free while narrowing to bytes (4% of weights drawn
 * from N(0, 0.02) are below e4m3fn's 2^-10 and become zero, too many for a branch), and the rare
 * NaN, infinite and overflowing inputs one by one, only in blocks that hold any.
 *
 * <p>Why several small loops rather than one: C2 vectorises a loop only if it unrolls it, and it
 * unrolls only loop bodies below a size limit; the whole computation in one body is over that
 * limit on JDK 17 and 25 and then runs about ten times slower than these loops together
 * (measured while writing this; {@code KernelBenchmarks} has the figures). Int-to-byte stores do
 * not vectorise, so the narrowing loop is the one that also counts.
 *
 * <p>Holds two scratch arrays: one instance per {@link ElementConverter}, not thread-safe.
 */
final class Float8Narrowing {
    private final int bias;
    private final int mantissaBits;
    /** The largest code the clamp allows: NaN for e4m3fn (it has no infinity), infinity for e5m2. */
    private final int clampCode;
    /** Inputs above this magnitude and not zero become ±0. */
    private final int zeroMax;
    /** Inputs from this magnitude on become NaN (e4m3fn) or infinity (e5m2), or are NaN or infinite. */
    private final int overflowFrom;
    private int[] codes;
    private int[] oddCodes;
    private int[] subnormal;

    private Float8Narrowing(int bias, int mantissaBits, int clampCode, int zeroMax, int overflowFrom) {
        this.bias = bias;
        this.mantissaBits = mantissaBits;
        this.clampCode = clampCode;
        this.zeroMax = zeroMax;
        this.overflowFrom = overflowFrom;
    }

    /** The narrowing to {@code target}, or null if it is not a float8 format torch converts to. */
    static Float8Narrowing to(DType target) {
        if (target == DType.F8_E4M3) {
            return new Float8Narrowing(7, 3, FloatBits.F8_E4M3FN_NAN, FloatBits.F8_E4M3FN_ZERO_MAX_F32,
                    FloatBits.F8_E4M3FN_OVERFLOW_F32);
        }
        if (target == DType.F8_E5M2) {
            return new Float8Narrowing(15, 2, FloatBits.F8_E5M2_INFINITY, FloatBits.F8_E5M2_ZERO_MAX_F32,
                    FloatBits.F8_E5M2_OVERFLOW_F32);
        }
        return null;
    }

    /**
     * Narrows {@code n} float32 bit patterns {@code a} (at most {@code a.length}) to float8 bytes
     * {@code r}, and counts what was lost.
     *
     * @param d the float64 inputs {@code a} was rounded from, or null if {@code a} is the input:
     *     a float64 is counted by its own value (1e300 overflowed, it was not infinite)
     */
    void narrow(int[] a, long[] d, byte[] r, int n, ConversionStats stats) {
        scratch(a.length);
        codes(a, codes, n);
        if (d == null) {
            narrowAndCount(a, codes, r, n, stats);
        } else {
            narrowAndCountF64(d, codes, r, n, stats);
        }
    }

    /**
     * Narrows {@code 2n} float32 values given as two streams, {@code even} holding elements 0, 2,
     * 4, ... and {@code odd} elements 1, 3, 5, ..., to {@code 2n} float8 bytes in element order.
     * For 16-bit inputs, which are read two to an int: loops over short arrays do not vectorise
     * (C2 on JDK 17 and 25), loops over the two halves of ints do.
     */
    void narrowPairs(int[] even, int[] odd, byte[] r, int n, ConversionStats stats) {
        scratch(even.length);
        codes(even, codes, n);
        codes(odd, oddCodes, n);
        countF32(even, n, stats);
        countF32(odd, n, stats);
        int[] e = codes;
        int[] o = oddCodes;
        for (int i = 0; i < n; i++) {
            r[2 * i] = (byte) e[i];
            r[2 * i + 1] = (byte) o[i];
        }
    }

    private void scratch(int length) {
        if (codes == null || codes.length < length) {
            codes = new int[length];
            oddCodes = new int[length];
            subnormal = new int[length];
        }
    }

    /** Every element's float8 code, sign included, in {@code h}: three branch-free loops. */
    private void codes(int[] a, int[] h, int n) {
        roundNormal(a, h, n);
        roundSubnormal(a, subnormal, n);
        combine(a, h, subnormal, n);
    }

    /** The code of each magnitude read as a normal number (meaningless outside the normal range). */
    private void roundNormal(int[] a, int[] h, int n) {
        // loop invariants in locals, so the JIT keeps them in registers
        final int dropped = 23 - mantissaBits;
        final int rebias = (127 - bias) << 23;
        final int roundHalf = (1 << (dropped - 1)) - 1;
        for (int i = 0; i < n; i++) {
            int m = a[i] & 0x7FFF_FFFF;
            h[i] = (m - rebias + roundHalf + ((m >>> dropped) & 1)) >>> dropped;
        }
    }

    /**
     * The code of each magnitude read as a subnormal (its count of the smallest subnormal), and
     * zero below the first float32 exponent that can round to one (meaningless above).
     */
    private void roundSubnormal(int[] a, int[] s, int n) {
        // the first biased float32 exponent whose values can round to a non-zero subnormal:
        // mantissaBits + 1 below the format's smallest normal, 2^(1 - bias)
        final int first = 128 - bias - mantissaBits - 1;
        for (int i = 0; i < n; i++) {
            int m = a[i] & 0x7FFF_FFFF;
            int e = m >>> 23;
            // the value is significand * 2^(e - first - 24) units: scale by 2^(e - first) (1, 2, 4
            // or 8, as (c - e) >> 31 is -1 exactly when e > c), round at bit 24
            int scale = 1 + (((first - e) >> 31) & 1) + (((first + 1 - e) >> 31) & 2) + (((first + 2 - e) >> 31) & 4);
            int scaled = ((m & 0x7F_FFFF) | 0x80_0000) * scale;
            s[i] = ((scaled + 0x7F_FFFF + ((scaled >>> 24) & 1)) >>> 24) & ~((e - first) >> 31);
        }
    }

    /** Each element's final code in {@code h}: normal or subnormal, clamped, NaN, signed. */
    private void combine(int[] a, int[] h, int[] s, int n) {
        final int firstNormal = 128 - bias;
        final int clamp = clampCode;
        for (int i = 0; i < n; i++) {
            int x = a[i];
            int m = x & 0x7FFF_FFFF;
            int isNormal = (firstNormal - 1 - (m >>> 23)) >> 31;
            int code = (h[i] & isNormal) | (s[i] & ~isNormal);
            int above = (clamp - code) >> 31;
            code ^= (code ^ clamp) & above;
            int isNaN = (FloatBits.F32_INFINITY - m) >> 31;
            h[i] = ((x >>> 24) & 0x80) | code | (isNaN & 0x7F);
        }
    }

    /** For float32 inputs: bytes out and underflows counted, branch-free; then the rare high ones. */
    private void narrowAndCount(int[] a, int[] h, byte[] r, int n, ConversionStats stats) {
        final int zero = zeroMax;
        int underflows = 0;
        for (int i = 0; i < n; i++) {
            int m = a[i] & 0x7FFF_FFFF;
            // 1 when 0 < m <= zeroMax: both terms negative
            underflows += ((m - 1 - zero) & -m) >>> 31;
            r[i] = (byte) h[i];
        }
        stats.underflows += underflows;
        countHigh(a, n, stats);
    }

    /** Counts the losses of float32 inputs: underflows, then the rare high ones; both branch-free but for those. */
    private void countF32(int[] a, int n, ConversionStats stats) {
        final int zero = zeroMax;
        int underflows = 0;
        for (int i = 0; i < n; i++) {
            int m = a[i] & 0x7FFF_FFFF;
            underflows += ((m - 1 - zero) & -m) >>> 31;
        }
        stats.underflows += underflows;
        countHigh(a, n, stats);
    }

    /** Counts NaN and infinite inputs and those that overflow: found by a sum, then classified one by one. */
    private void countHigh(int[] a, int n, ConversionStats stats) {
        final int high = overflowFrom;
        int highs = 0;
        for (int i = 0; i < n; i++) {
            highs += (high - 1 - (a[i] & 0x7FFF_FFFF)) >>> 31;
        }
        if (highs > 0) {
            for (int i = 0; i < n; i++) {
                int m = a[i] & 0x7FFF_FFFF;
                if (m >= high) {
                    stats.countSpecial(m > FloatBits.F32_INFINITY, m == FloatBits.F32_INFINITY, false, false);
                }
            }
        }
    }

    /** For float64 inputs: bytes out, each counted by its own value (float64 weights are rare: no need for speed). */
    private void narrowAndCountF64(long[] d, int[] h, byte[] r, int n, ConversionStats stats) {
        for (int i = 0; i < n; i++) {
            int code = h[i];
            boolean zeroOut = (code & 0x7F) == 0;
            long m = d[i] & 0x7FFF_FFFF_FFFF_FFFFL;
            // the clamp code and above: NaN, and e5m2's infinity
            if (zeroOut || (code & 0x7F) >= clampCode) {
                stats.countSpecial(m > FloatBits.F64_INFINITY, m == FloatBits.F64_INFINITY, m == 0, zeroOut);
            }
            r[i] = (byte) code;
        }
    }
}
