package org.sdmodel.convert;

import org.sdmodel.DType;

/**
 * The bulk narrowing of float32 bits to one of torch's two float8 formats, bit for bit as
 * {@link FloatBits#f32ToF8E4m3fn} and {@link FloatBits#f32ToF8E5m2}, in two passes per block
 * like the half kernel of {@link ElementConverter}.
 *
 * <p>The first pass computes every element's result with adds, masks, shifts, a multiply and a
 * minimum, with no branch and no float operation, so the JIT compiles it to SIMD instructions:
 * unlike half, float8's subnormal range is where ordinary weights live (e4m3fn's smallest normal
 * is 2^-6 = 0.0156, and trained weights are mostly smaller than 0.05), so subnormals cannot be
 * left to a slow path. The scalar reference rounds a subnormal by a float addition; here the
 * significand is scaled by 2^k (k = 0..3, from the exponent, as a multiply since per-element
 * shift counts do not vectorise) and rounded at a fixed bit. Overflow and NaN come out of the
 * same pass: the normal formula gives any magnitude past the format's range a code above its
 * largest, which a minimum clamps to NaN (e4m3fn) or infinity (e5m2), and a NaN mask sets the
 * NaN code. So the result is exact for every input, which the exhaustive test checks over all
 * 2^32 float32 patterns against torch.
 *
 * <p>The second pass narrows to bytes and counts what was lost: underflows with a branch-free
 * comparison (a quarter of a checkpoint's values can become zero in e4m3fn, too many for a
 * branch), NaN, infinity and overflow behind a branch that is rarely taken.
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
     * Narrows {@code n} float32 bit patterns {@code a} to float8 bytes {@code r}, using {@code h}
     * as scratch, and counts what was lost.
     *
     * @param d the float64 inputs {@code a} was rounded from, or null if {@code a} is the input:
     *     a float64 is counted by its own value (1e300 overflowed, it was not infinite)
     */
    void narrow(int[] a, long[] d, int[] h, byte[] r, int n, ConversionStats stats) {
        roundAll(a, h, n);
        if (d == null) {
            narrowAndCount(a, h, r, n, stats);
        } else {
            narrowAndCountF64(d, h, r, n, stats);
        }
    }

    /** The first pass: every element's float8 code (sign included) in {@code h}; no branch. */
    private void roundAll(int[] a, int[] h, int n) {
        // Loop invariants as locals, so the JIT keeps them in registers.
        final int dropped = 23 - mantissaBits;
        final int rebias = (127 - bias) << 23;
        final int roundHalf = (1 << (dropped - 1)) - 1;
        // Biased float32 exponents: the format's smallest normal is 2^(1 - bias); the first
        // exponent whose values can round to a non-zero subnormal is mantissaBits + 1 below it.
        final int firstNormal = 128 - bias;
        final int firstSubnormal = firstNormal - mantissaBits - 1;
        final int clamp = clampCode;
        for (int i = 0; i < n; i++) {
            int x = a[i];
            int m = x & 0x7FFF_FFFF;
            int e = m >>> 23;
            int normal = (m - rebias + roundHalf + ((m >>> dropped) & 1)) >>> dropped;
            // A subnormal result counts units of the smallest subnormal, 2^(e - firstSubnormal - 24)
            // times the significand: scale it by 2^(e - firstSubnormal) (1, 2, 4 or 8; a multiply,
            // as the term (c - e) >> 31 is -1 exactly when e > c), then round at bit 24.
            int scale = 1 + (((firstSubnormal - e) >> 31) & 1) + (((firstSubnormal + 1 - e) >> 31) & 2)
                    + (((firstSubnormal + 2 - e) >> 31) & 4);
            int scaled = ((m & 0x7F_FFFF) | 0x80_0000) * scale;
            int subnormal = (scaled + 0x7F_FFFF + ((scaled >>> 24) & 1)) >>> 24;
            int isNormal = (firstNormal - 1 - e) >> 31;
            int isSubnormal = ~((e - firstSubnormal) >> 31) & ~isNormal;
            int code = Math.min((normal & isNormal) | (subnormal & isSubnormal), clamp);
            int isNaN = (FloatBits.F32_INFINITY - m) >> 31;
            h[i] = ((x >>> 24) & 0x80) | code | (isNaN & 0x7F);
        }
    }

    /** The second pass for float32 inputs: bytes out; underflows counted without a branch. */
    private void narrowAndCount(int[] a, int[] h, byte[] r, int n, ConversionStats stats) {
        final int zero = zeroMax;
        final int high = overflowFrom;
        long underflows = 0;
        for (int i = 0; i < n; i++) {
            int m = a[i] & 0x7FFF_FFFF;
            // 1 when 0 < m <= zeroMax: both terms negative
            underflows += ((m - 1 - zero) & -m) >>> 31;
            if (m >= high) {
                stats.countSpecial(m > FloatBits.F32_INFINITY, m == FloatBits.F32_INFINITY, false, false);
            }
            r[i] = (byte) h[i];
        }
        stats.underflows += underflows;
    }

    /** The second pass for float64 inputs, counted by their own values (rare: no need for speed). */
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
