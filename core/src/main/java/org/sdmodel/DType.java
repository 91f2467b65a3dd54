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
    BOOL(8, false),
    F4(4, true),
    F6_E2M3(6, true),
    F6_E3M2(6, true),
    U8(8, false),
    I8(8, false),
    F8_E5M2(8, true),
    F8_E4M3(8, true),
    F8_E8M0(8, true),
    F8_E4M3FNUZ(8, true),
    F8_E5M2FNUZ(8, true),
    I16(16, false),
    U16(16, false),
    F16(16, true),
    BF16(16, true),
    I32(32, false),
    U32(32, false),
    F32(32, true),
    C64(64, false),
    F64(64, true),
    I64(64, false),
    U64(64, false);

    private final int bits;
    private final boolean floatingPoint;

    DType(int bits, boolean floatingPoint) {
        this.bits = bits;
        this.floatingPoint = floatingPoint;
    }

    /** Size of one element in bits (4 and 6 for the sub-byte float formats). */
    public int bits() {
        return bits;
    }

    /**
     * Size of one element in bytes; for the sub-byte formats ({@link #F4}, {@link #F6_E2M3},
     * {@link #F6_E3M2}) this is 1 and {@link #byteSize(long)} must be used for totals.
     */
    public int elementSize() {
        return Math.max(1, bits / 8);
    }

    /**
     * True for real floating-point types, the ones {@code prune} converts. Complex ({@link #C64})
     * is not: halving it would drop the imaginary part's meaning.
     */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * Bytes taken by {@code numel} elements.
     *
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

    /** The name safetensors uses in headers ({@code "F16"}, {@code "BOOL"}, ...). */
    public String safetensorsName() {
        return name();
    }

    /** Looks up a safetensors dtype name; null if unknown. */
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

    /** A short lower-case name as torch prints it ({@code float16}, {@code int64}, ...). */
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
