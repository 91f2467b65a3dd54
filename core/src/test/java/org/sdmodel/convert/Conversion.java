package org.sdmodel.convert;

import java.nio.ByteBuffer;
import java.util.function.LongUnaryOperator;
import org.sdmodel.DType;

/** The conversions torch's expectations cover, with the scalar function that should match. */
enum Conversion {
    F32_F16("f32_to_f16", DType.F32, DType.F16, x -> FloatBits.f32ToF16((int) x)),
    F32_BF16("f32_to_bf16", DType.F32, DType.BF16, x -> FloatBits.f32ToBf16((int) x)),
    F64_F16("f64_to_f16", DType.F64, DType.F16, FloatBits::f64ToF16),
    F64_BF16("f64_to_bf16", DType.F64, DType.BF16, FloatBits::f64ToBf16),
    F64_F32("f64_to_f32", DType.F64, DType.F32, x -> FloatBits.f64ToF32(x) & 0xFFFF_FFFFL),
    F16_F32("f16_to_f32", DType.F16, DType.F32, x -> FloatBits.f16ToF32((int) x) & 0xFFFF_FFFFL),
    BF16_F32("bf16_to_f32", DType.BF16, DType.F32, x -> FloatBits.bf16ToF32((int) x) & 0xFFFF_FFFFL),
    F16_BF16("f16_to_bf16", DType.F16, DType.BF16, x -> FloatBits.f16ToBf16((int) x)),
    BF16_F16("bf16_to_f16", DType.BF16, DType.F16, x -> FloatBits.bf16ToF16((int) x)),
    // float8: torch 1.13 has none; torch 2.11's tables (TorchOracle) are the expectations
    F32_F8E4M3FN("f32_to_f8_e4m3fn", DType.F32, DType.F8_E4M3, x -> FloatBits.f32ToF8E4m3fn((int) x)),
    F32_F8E5M2("f32_to_f8_e5m2", DType.F32, DType.F8_E5M2, x -> FloatBits.f32ToF8E5m2((int) x)),
    F16_F8E4M3FN("f16_to_f8_e4m3fn", DType.F16, DType.F8_E4M3, x -> FloatBits.f32ToF8E4m3fn(FloatBits.f16ToF32((int) x))),
    F16_F8E5M2("f16_to_f8_e5m2", DType.F16, DType.F8_E5M2, x -> FloatBits.f32ToF8E5m2(FloatBits.f16ToF32((int) x))),
    BF16_F8E4M3FN("bf16_to_f8_e4m3fn", DType.BF16, DType.F8_E4M3, x -> FloatBits.f32ToF8E4m3fn(FloatBits.bf16ToF32((int) x))),
    BF16_F8E5M2("bf16_to_f8_e5m2", DType.BF16, DType.F8_E5M2, x -> FloatBits.f32ToF8E5m2(FloatBits.bf16ToF32((int) x))),
    F64_F8E4M3FN("f64_to_f8_e4m3fn", DType.F64, DType.F8_E4M3, FloatBits::f64ToF8E4m3fn),
    F64_F8E5M2("f64_to_f8_e5m2", DType.F64, DType.F8_E5M2, FloatBits::f64ToF8E5m2);

    final String key;
    final DType from;
    final DType to;
    private final LongUnaryOperator scalar;

    Conversion(String key, DType from, DType to, LongUnaryOperator scalar) {
        this.key = key;
        this.from = from;
        this.to = to;
        this.scalar = scalar;
    }

    /** The scalar result, as an unsigned bit pattern. */
    long scalar(long input) {
        return scalar.applyAsLong(input);
    }

    static ByteBuffer encode(long[] values, DType type) {
        ByteBuffer b = ConversionExpectations.littleEndian(values.length * type.elementSize());
        for (long v : values) {
            put(b, type, v);
        }
        return b.flip();
    }

    static void put(ByteBuffer b, DType type, long v) {
        switch (type.elementSize()) {
            case 1: b.put((byte) v); break;
            case 2: b.putShort((short) v); break;
            case 4: b.putInt((int) v); break;
            default: b.putLong(v); break;
        }
    }

    static long get(ByteBuffer b, DType type, int index) {
        switch (type.elementSize()) {
            case 1: return b.get(index) & 0xFFL;
            case 2: return b.getShort(index * 2) & 0xFFFFL;
            case 4: return b.getInt(index * 4) & 0xFFFF_FFFFL;
            default: return b.getLong(index * 8);
        }
    }

    /** The scalar results for all inputs, encoded little-endian. */
    ByteBuffer scalarAll(long[] inputs) {
        ByteBuffer b = ConversionExpectations.littleEndian(inputs.length * to.elementSize());
        for (long v : inputs) {
            put(b, to, scalar(v));
        }
        return b.flip();
    }

    /** The bulk kernel's results for all inputs, in one call. */
    ByteBuffer bulkAll(long[] inputs, ConversionStats stats) {
        ByteBuffer src = encode(inputs, from);
        ByteBuffer dst = ConversionExpectations.littleEndian(inputs.length * to.elementSize());
        ElementConverter.of(from, to).convert(src, dst, stats);
        return dst.flip();
    }
}
