package org.sdmodel.convert;

import org.sdmodel.DType;

/**
 * The floating-point precision {@code prune} stores tensors in. Only the four IEEE-style types
 * torch state dicts use for weights ({@link DType#F64}, {@link DType#F32}, {@link DType#BF16},
 * {@link DType#F16}) are converted; integer, boolean, complex and 8-bit-and-smaller float tensors
 * keep their type, because converting them would change what they mean (step counters, masks,
 * quantised weights).
 */
public enum Precision {
    /** IEEE binary16, as torch's {@code tensor.half()}. */
    FP16(DType.F16),
    /** bfloat16, as torch's {@code tensor.bfloat16()}. */
    BF16(DType.BF16),
    /** IEEE binary32, as torch's {@code tensor.float()}. */
    FP32(DType.F32),
    /** Every tensor keeps its type. */
    KEEP(null);

    private final DType floatTarget;

    Precision(DType floatTarget) {
        this.floatTarget = floatTarget;
    }

    /**
     * The type a tensor of type {@code source} is stored as: this precision's type for the
     * convertible float types, {@code source} itself for everything else and for {@link #KEEP}.
     */
    public DType target(DType source) {
        if (floatTarget == null || !isConvertible(source)) {
            return source;
        }
        return floatTarget;
    }

    /** True for the types a precision other than {@link #KEEP} converts: F64, F32, BF16, F16. */
    public static boolean isConvertible(DType type) {
        return type == DType.F64 || type == DType.F32 || type == DType.BF16 || type == DType.F16;
    }
}
