package org.sdmodel.convert;

/**
 * Conversions between the bit patterns of the floating-point types, each giving exactly the bits
 * PyTorch 2.x (CPU, x86-64) gives when it converts a contiguous tensor ({@code tensor.half()},
 * {@code .bfloat16()}, {@code .float()}, {@code .to(torch.float8_e4m3fn)},
 * {@code .to(torch.float8_e5m2)}). 16-bit values travel in the low 16 bits of an {@code int}, 8-bit
 * values in the low 8; arguments may be sign-extended, results are always in {@code 0..0xFFFF}
 * ({@code 0..0xFF} for float8).
 *
 * <p>What torch does, measured on every input where that was possible (all 2^32 float32 patterns,
 * all 2^16 half and bfloat16 patterns: torch 2.11's tables in {@code ../shared/oracles}, and torch
 * 1.13) and on edge values and samples otherwise:
 *
 * <ul>
 *   <li>Rounding is to nearest, ties to even, with gradual underflow (no flush to zero).
 *   <li>float64 is narrowed to half, bfloat16 and float8 <em>through float32</em>: it is rounded
 *       twice, so a double just above a half-way point between two halves can round down (1 +
 *       2^-11 + 2^-40 becomes 1.0, not the next half; 65520 - 2^-30 becomes infinity). (torch's
 *       float8 types have a constructor from float only.)
 *   <li>NaN to half keeps the NaN's sign and payload, quieted and truncated: {@code sign | 0x7E00
 *       | (significand >> 13)}, as the F16C instruction {@code vcvtps2ph} does, which torch 2.x
 *       uses on x86-64 (0x7FBFFFFF becomes 0x7FFF, 0xFF812345 becomes 0xFE09). torch 1.13 wrote
 *       {@code 0x7E00} with the sign for every NaN; every other input converts alike in both.
 *   <li>NaN to bfloat16 is {@code 0xFFFF} whatever its sign or payload, from float32 and
 *       float64: that is what torch's vectorised loop writes, which is the loop a contiguous
 *       tensor goes through. torch's scalar loop (strided views, and the last {@code numel % 16}
 *       elements of each thread's range when converting float64) writes {@code 0x7FC0}
 *       instead. Half to bfloat16 only has the scalar loop: {@code 0x7FC0} for every NaN.
 *   <li>Half to float32 keeps a NaN's sign and payload and sets the quiet bit, as x86 does.
 *       bfloat16 to float32 is a plain shift: signalling NaNs stay signalling.
 *   <li>float64 NaN to float32 keeps the sign and the top 23 payload bits and sets the quiet bit
 *       (x86 {@code cvtsd2ss}), so a NaN whose payload is only in the low bits becomes
 *       {@code 0x7FC00000}.
 *   <li>float8 e4m3fn has no infinity: magnitudes above 464, infinities and NaNs become NaN
 *       ({@code 0x7F} with the sign), not 448. float8 e5m2 overflows to infinity from 61440;
 *       its NaN is {@code 0x7F} with the sign, the payload dropped. Both round subnormals, to
 *       nearest even like every other target.
 *   <li>The NaN results above are those of torch's contiguous (vectorised) loops, the ones a
 *       state dict's tensors go through; torch 2.11's tables were made that way.
 * </ul>
 */
public final class FloatBits {

    /** The smallest float32 magnitude that becomes half infinity: 65520, half-way above 65504. */
    static final int F16_OVERFLOW_F32 = 0x477F_F000;
    static final int F32_INFINITY = 0x7F80_0000;
    static final int F16_INFINITY = 0x7C00;
    static final int BF16_INFINITY = 0x7F80;
    static final long F64_INFINITY = 0x7FF0_0000_0000_0000L;

    /** What torch's contiguous (vectorised) float-to-bfloat16 loop writes for every NaN. */
    public static final int BF16_NAN_CONTIGUOUS = 0xFFFF;
    /** What torch's scalar bfloat16 conversion ({@code c10::BFloat16(float)}) writes for NaN. */
    public static final int BF16_NAN_SCALAR = 0x7FC0;
    /** The quiet bit of a half NaN: torch 2.x sets it, keeping the sign and the top payload bits. */
    public static final int F16_NAN = 0x7E00;
    /** float8 e4m3fn's NaN (with a sign bit): it has no infinity, so overflow and infinity become NaN too. */
    public static final int F8_E4M3FN_NAN = 0x7F;
    /** float8 e5m2's infinity (with a sign bit). */
    public static final int F8_E5M2_INFINITY = 0x7C;
    /** The float8 e5m2 NaN torch writes (with the sign of the input NaN). */
    public static final int F8_E5M2_NAN = 0x7F;
    /** The largest float32 magnitude that becomes ±0 in float8 e4m3fn: 2^-10, half-way below its smallest subnormal, ties to even. */
    static final int F8_E4M3FN_ZERO_MAX_F32 = 0x3A80_0000;
    /** The smallest float32 magnitude that becomes NaN in float8 e4m3fn: just above 464, half-way above its largest value 448. */
    static final int F8_E4M3FN_OVERFLOW_F32 = 0x43E8_0001;
    /** The largest float32 magnitude that becomes ±0 in float8 e5m2: 2^-17. */
    static final int F8_E5M2_ZERO_MAX_F32 = 0x3700_0000;
    /** The smallest float32 magnitude that becomes infinity in float8 e5m2: 61440, half-way above its largest value 57344. */
    static final int F8_E5M2_OVERFLOW_F32 = 0x4770_0000;

    private FloatBits() {
    }

    /**
     * {@return the half bits of the float32 {@code f32}, as {@code tensor.half()}}
     *
     * @param f32 a float32, as {@link Float#floatToRawIntBits} gives it
     */
    public static int f32ToF16(int f32) {
        int magnitude = f32 & 0x7FFF_FFFF;
        int sign = (f32 >>> 16) & 0x8000;
        if (magnitude >= F16_OVERFLOW_F32) {
            return sign | (magnitude > F32_INFINITY ? F16_NAN | (magnitude >>> 13 & 0x3FF) : F16_INFINITY);
        }
        int normal = f32ToF16NormalMagnitude(magnitude);
        // Subnormal halves are multiples of 2^-24. Adding 0.5f makes the FPU round the value to a
        // multiple of 2^-24 (0.5's ulp), ties to even; the excess over 0.5 is the half's bits.
        // 2^-14 - 2^-25 and above round up to 0x400, the smallest normal half, as they should.
        int subnormal = Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) + 0.5f) - 0x3F00_0000;
        // Both candidates are computed and one selected: no data-dependent branch in the common case.
        return sign | (magnitude < 0x3880_0000 ? subnormal : normal);
    }

    /**
     * The half of a float32 magnitude whose half is normal, that is in {@code [2^-14 - 2^-25,
     * 65520)} ({@link #isF16NormalRange}); any other input gives a meaningless result. Rebiases
     * the exponent (127 - 15 = 112), then rounds the 13 dropped bits to nearest even by adding
     * 0xFFF plus the lowest kept bit. A carry out of the mantissa steps the exponent up, which is
     * the correctly rounded result. Only adds, masks and shifts: loops of it compile to SIMD.
     */
    static int f32ToF16NormalMagnitude(int magnitude) {
        return (magnitude - (112 << 23) + 0xFFF + ((magnitude >>> 13) & 1)) >>> 13;
    }

    /**
     * True if the float32 {@code f32} (any sign) becomes a normal half, so that
     * {@link #f32ToF16NormalMagnitude} gives its magnitude.
     */
    static boolean isF16NormalRange(int f32) {
        // one unsigned comparison: magnitudes below 0x3880_0000 wrap to large values
        return Integer.compareUnsigned((f32 & 0x7FFF_FFFF) - 0x3880_0000, F16_OVERFLOW_F32 - 0x3880_0000) < 0;
    }

    /**
     * {@return the bfloat16 bits of the float32 {@code f32}, as {@code tensor.bfloat16()} on a contiguous tensor}
     *
     * @param f32 a float32, as {@link Float#floatToRawIntBits} gives it
     */
    public static int f32ToBf16(int f32) {
        if ((f32 & 0x7FFF_FFFF) > F32_INFINITY) {
            return BF16_NAN_CONTIGUOUS;
        }
        return f32ToBf16NotNaN(f32);
    }

    /** Rounds a non-NaN float32 to bfloat16, to nearest even; overflow carries into infinity. */
    static int f32ToBf16NotNaN(int f32) {
        return (f32 + 0x7FFF + ((f32 >>> 16) & 1)) >>> 16;
    }

    /**
     * {@return the float32 bits of the half {@code f16} (exact), as {@code tensor.float()}}
     *
     * @param f16 a half, in the low 16 bits
     */
    public static int f16ToF32(int f16) {
        int sign = (f16 & 0x8000) << 16;
        int magnitude = f16 & 0x7FFF;
        if (magnitude >= F16_INFINITY) {
            int quiet = magnitude > F16_INFINITY ? 0x0040_0000 : 0;
            return sign | F32_INFINITY | quiet | (magnitude & 0x3FF) << 13;
        }
        if (magnitude >= 0x0400) {
            return sign | (magnitude + (112 << 10)) << 13;
        }
        // A subnormal half is its 10 bits times 2^-24, which float32 holds exactly.
        return sign | Float.floatToRawIntBits(magnitude * 0x1.0p-24f);
    }

    /**
     * {@return the float32 bits of the bfloat16 {@code bf16} (exact), as {@code tensor.float()}: the high half of the float}
     *
     * @param bf16 a bfloat16, in the low 16 bits
     */
    public static int bf16ToF32(int bf16) {
        return (bf16 & 0xFFFF) << 16;
    }

    /**
     * {@return the float32 bits of the float64 {@code f64}, as {@code tensor.float()}: to nearest even; NaN as x86 narrows it}
     *
     * @param f64 a float64, as {@link Double#doubleToRawLongBits} gives it
     */
    public static int f64ToF32(long f64) {
        if ((f64 & 0x7FFF_FFFF_FFFF_FFFFL) > F64_INFINITY) {
            int sign = (int) (f64 >>> 32) & 0x8000_0000;
            int payload = (int) ((f64 & 0x000F_FFFF_FFFF_FFFFL) >>> 29);
            return sign | 0x7FC0_0000 | payload;
        }
        return Float.floatToRawIntBits((float) Double.longBitsToDouble(f64));
    }

    /**
     * {@return the half bits of the float64 {@code f64}, as {@code tensor.half()}: through float32, so rounded twice}
     *
     * @param f64 a float64, as {@link Double#doubleToRawLongBits} gives it
     */
    public static int f64ToF16(long f64) {
        return f32ToF16(f64ToF32(f64));
    }

    /**
     * Converts a float64 to bfloat16, as {@code tensor.bfloat16()} on a contiguous tensor: through float32,
     * so rounded twice; NaN is {@link #BF16_NAN_CONTIGUOUS}.
     *
     * @param f64 a float64, as {@link Double#doubleToRawLongBits} gives it
     * @return the bfloat16 bits
     */
    public static int f64ToBf16(long f64) {
        return f32ToBf16(f64ToF32(f64));
    }

    /**
     * {@return the bfloat16 bits of the half {@code f16}, as {@code tensor.bfloat16()}: through float32; NaN is {@link #BF16_NAN_SCALAR}}
     *
     * @param f16 a half, in the low 16 bits
     */
    public static int f16ToBf16(int f16) {
        if ((f16 & 0x7FFF) > F16_INFINITY) {
            return BF16_NAN_SCALAR;
        }
        return f32ToBf16NotNaN(f16ToF32(f16));
    }

    /**
     * {@return the half bits of the bfloat16 {@code bf16}, as {@code tensor.half()}: through float32 (exact), then rounded once}
     *
     * @param bf16 a bfloat16, in the low 16 bits
     */
    public static int bf16ToF16(int bf16) {
        return f32ToF16(bf16ToF32(bf16));
    }

    /**
     * Converts a float32 to float8 e4m3fn (4 exponent bits, bias 7, 3 mantissa bits; largest value 448, no
     * infinity), as {@code tensor.to(torch.float8_e4m3fn)}: magnitudes above 464 (half-way
     * between 448 and the 480 the format lacks), infinities and NaNs all become NaN,
     * {@code 0x7F}, with the input's sign; it does not saturate to 448.
     *
     * @param f32 a float32, as {@link Float#floatToRawIntBits} gives it
     * @return the float8 e4m3fn bits
     */
    public static int f32ToF8E4m3fn(int f32) {
        int magnitude = f32 & 0x7FFF_FFFF;
        int sign = (f32 >>> 24) & 0x80;
        if (magnitude >= F8_E4M3FN_OVERFLOW_F32) {
            return sign | F8_E4M3FN_NAN;
        }
        if (magnitude < 0x3C80_0000) {
            // Below 2^-6, the smallest normal: a multiple of 2^-9. Adding 2^14 (whose ulp is 2^-9)
            // makes the FPU round the value to one, ties to even; the excess is the result's bits
            // (8, the smallest normal, when it rounds up to 2^-6).
            return sign | (Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) + 0x1.0p14f) - 0x4680_0000);
        }
        return sign | roundMagnitude(magnitude, 7, 3);
    }

    /**
     * Converts a float32 to float8 e5m2 (5 exponent bits, bias 15, 2 mantissa bits; largest value 57344),
     * as {@code tensor.to(torch.float8_e5m2)}: magnitudes from 61440 (half-way between 57344 and
     * 65536) become infinity, {@code 0x7C}, with the sign; every NaN becomes {@code 0x7F} with
     * its sign (the payload is dropped).
     *
     * @param f32 a float32, as {@link Float#floatToRawIntBits} gives it
     * @return the float8 e5m2 bits
     */
    public static int f32ToF8E5m2(int f32) {
        int magnitude = f32 & 0x7FFF_FFFF;
        int sign = (f32 >>> 24) & 0x80;
        if (magnitude >= F8_E5M2_OVERFLOW_F32) {
            return sign | (magnitude > F32_INFINITY ? F8_E5M2_NAN : F8_E5M2_INFINITY);
        }
        if (magnitude < 0x3880_0000) {
            // Below 2^-14, the smallest normal: a multiple of 2^-16, rounded by adding 2^7.
            return sign | (Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) + 0x1.0p7f) - 0x4300_0000);
        }
        return sign | roundMagnitude(magnitude, 15, 2);
    }

    /**
     * {@return the float8 e4m3fn bits of the float64 {@code f64}: through float32, as torch's float8 types only convert from float}
     *
     * @param f64 a float64, as {@link Double#doubleToRawLongBits} gives it
     */
    public static int f64ToF8E4m3fn(long f64) {
        return f32ToF8E4m3fn(f64ToF32(f64));
    }

    /**
     * {@return the float8 e5m2 bits of the float64 {@code f64}: through float32}
     *
     * @param f64 a float64, as {@link Double#doubleToRawLongBits} gives it
     */
    public static int f64ToF8E5m2(long f64) {
        return f32ToF8E5m2(f64ToF32(f64));
    }

    /**
     * A float32 magnitude in a narrower format's normal range, rebiased to its exponent bias and
     * rounded to its mantissa width, to nearest even (the same adds, masks and shifts as
     * {@link #f32ToF16NormalMagnitude}); a carry out of the mantissa steps the exponent up.
     */
    static int roundMagnitude(int magnitude, int bias, int mantissaBits) {
        int dropped = 23 - mantissaBits;
        return (magnitude - ((127 - bias) << 23) + (1 << (dropped - 1)) - 1 + ((magnitude >>> dropped) & 1)) >>> dropped;
    }
}
