package org.sdmodel;

import java.util.Locale;

/**
 * Element types of tensors, named as safetensors names them.
 *
 * <p>The declaration order is the order the safetensors reference implementation gives its
 * {@code Dtype} enum; its writer sorts tensors by this order, descending, so {@link #ordinal()}
 * matters and must not be rearranged.
 */
public enum DType {
    /** Boolean, one byte per element ({@code torch.bool}). */
    BOOL(8, false),
    /** 4-bit float e2m1 (two elements per byte). */
    F4(4, true),
    /** 6-bit float e2m3. */
    F6_E2M3(6, true),
    /** 6-bit float e3m2. */
    F6_E3M2(6, true),
    /** Unsigned 8-bit integer ({@code torch.uint8}). */
    U8(8, false),
    /** Signed 8-bit integer ({@code torch.int8}). */
    I8(8, false),
    /** 8-bit float e5m2 ({@code torch.float8_e5m2}). */
    F8_E5M2(8, true),
    /** 8-bit float e4m3fn ({@code torch.float8_e4m3fn}): no infinity, one NaN per sign. */
    F8_E4M3(8, true),
    /** 8-bit exponent-only scale e8m0 ({@code torch.float8_e8m0fnu}). */
    F8_E8M0(8, true),
    /** 8-bit float e4m3fnuz ({@code torch.float8_e4m3fnuz}). */
    F8_E4M3FNUZ(8, true),
    /** 8-bit float e5m2fnuz ({@code torch.float8_e5m2fnuz}). */
    F8_E5M2FNUZ(8, true),
    /** Signed 16-bit integer ({@code torch.int16}). */
    I16(16, false),
    /** Unsigned 16-bit integer ({@code torch.uint16}). */
    U16(16, false),
    /** IEEE half precision ({@code torch.float16}). */
    F16(16, true),
    /** bfloat16 ({@code torch.bfloat16}). */
    BF16(16, true),
    /** Signed 32-bit integer ({@code torch.int32}). */
    I32(32, false),
    /** Unsigned 32-bit integer ({@code torch.uint32}). */
    U32(32, false),
    /** IEEE single precision ({@code torch.float32}). */
    F32(32, true),
    /** Complex of two single-precision floats ({@code torch.complex64}). */
    C64(64, false),
    /** IEEE double precision ({@code torch.float64}). */
    F64(64, true),
    /** Signed 64-bit integer ({@code torch.int64}). */
    I64(64, false),
    /** Unsigned 64-bit integer ({@code torch.uint64}). */
    U64(64, false);

    private final int bits;
    private final boolean floatingPoint;

    DType(int bits, boolean floatingPoint) {
        this.bits = bits;
        this.floatingPoint = floatingPoint;
    }

    /** {@return size of one element in bits (4 and 6 for the sub-byte float formats)} */
    public int bits() {
        return bits;
    }

    /**
     * Size of one element in bytes; for the sub-byte formats ({@link #F4}, {@link #F6_E2M3},
     * {@link #F6_E3M2}) this is 1 and {@link #byteSize(long)} must be used for totals.
     *
     * @return bytes per element, at least 1
     */
    public int elementSize() {
        return Math.max(1, bits / 8);
    }

    /**
     * True for real floating-point types, the ones {@code prune} converts. Complex ({@link #C64})
     * is not: halving it would drop the imaginary part's meaning.
     *
     * @return whether this is a real floating-point type
     */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * Bytes taken by {@code numel} elements.
     *
     * @param numel a number of elements
     * @return their size in bytes
     * @throws ArithmeticException if the size overflows a long, or a sub-byte type does not fill
     *     whole bytes
     */
    public long byteSize(long numel) {
        long totalBits = Math.multiplyExact(numel, (long) bits);
        if (totalBits % 8 != 0) {
            throw new ArithmeticException(numel + " elements of " + this + " do not fill whole bytes");
        }
        return totalBits / 8;
    }

    /** {@return the name safetensors uses in headers ({@code "F16"}, {@code "BOOL"}, ...)} */
    public String safetensorsName() {
        return name();
    }

    /**
     * Looks up a safetensors dtype name.
     *
     * @param name a name as safetensors headers write it ({@code F16}, {@code BF16}, ...)
     * @return the type, or null if unknown
     */
    public static DType fromSafetensorsName(String name) {
        if (name == null) {
            return null;
        }
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** {@return a short lower-case name as torch prints it ({@code float16}, {@code int64}, ...)} */
    public String torchName() {
        switch (this) {
            case BOOL: return "bool";
            case U8: return "uint8";
            case I8: return "int8";
            case I16: return "int16";
            case U16: return "uint16";
            case F16: return "float16";
            case BF16: return "bfloat16";
            case I32: return "int32";
            case U32: return "uint32";
            case F32: return "float32";
            case F64: return "float64";
            case I64: return "int64";
            case U64: return "uint64";
            case C64: return "complex64";
            case F8_E5M2: return "float8_e5m2";
            case F8_E4M3: return "float8_e4m3fn";
            case F8_E4M3FNUZ: return "float8_e4m3fnuz";
            case F8_E5M2FNUZ: return "float8_e5m2fnuz";
            case F8_E8M0: return "float8_e8m0fnu";
            default: return name().toLowerCase(Locale.ROOT);
        }
    }
}
