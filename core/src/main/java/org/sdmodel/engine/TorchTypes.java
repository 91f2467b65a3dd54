package org.sdmodel.engine;

import org.sdmodel.DType;

/**
 * torch's type promotion for the arithmetic {@link Expr} nodes, for two tensors of the same
 * shape ({@code torch.promote_types}) and for a Python float times a tensor. Only the types torch
 * does arithmetic on in a checkpoint are accepted: the four IEEE float types, signed integers,
 * {@code uint8} and (multiplied by a float only) {@code bool}.
 */
final class TorchTypes {
    private TorchTypes() {
    }

    /** Integer types ordered by what they promote to: a later one holds every earlier one but U8/I8. */
    static boolean isInteger(DType t) {
        return t == DType.U8 || t == DType.I8 || t == DType.I16 || t == DType.I32 || t == DType.I64;
    }

    static boolean isFloat(DType t) {
        return t == DType.F16 || t == DType.BF16 || t == DType.F32 || t == DType.F64;
    }

    static void requireArithmetic(DType t) {
        if (!isFloat(t) && !isInteger(t) && t != DType.BOOL) {
            throw new IllegalArgumentException("no arithmetic on " + t + " tensors");
        }
    }

    /** The dtype of {@code pythonFloat * tensor}: the tensor's own for floats, float32 (torch's default) otherwise. */
    static DType scaled(DType t) {
        return isFloat(t) ? t : DType.F32;
    }

    /**
     * {@code torch.promote_types(a, b)} for the types above.
     *
     * @throws IllegalArgumentException for a type torch does no arithmetic on, and for bool with
     *     bool (torch refuses {@code -}, and {@code +} would be a logical or)
     */
    static DType promote(DType a, DType b, String op) {
        requireArithmetic(a);
        requireArithmetic(b);
        if (a == DType.BOOL && b == DType.BOOL) {
            throw new IllegalArgumentException("no " + op + " on two BOOL tensors");
        }
        if (a == b) {
            return a;
        }
        if (isFloat(a) || isFloat(b)) {
            if (!isFloat(a)) {
                return b;
            }
            if (!isFloat(b)) {
                return a;
            }
            if (a == DType.F64 || b == DType.F64) {
                return DType.F64;
            }
            return DType.F32; // F16 with BF16, or either with F32
        }
        if (a == DType.BOOL) {
            return b;
        }
        if (b == DType.BOOL) {
            return a;
        }
        // two different integer types
        if ((a == DType.U8 && b == DType.I8) || (a == DType.I8 && b == DType.U8)) {
            return DType.I16;
        }
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(DType t) {
        switch (t) {
            case U8:
            case I8:
                return 1;
            case I16:
                return 2;
            case I32:
                return 3;
            default:
                return 4;
        }
    }

    /** A double as Python's repr would mostly print it, for listings (not for metadata). */
    static String pythonFloat(double d) {
        String s = Double.toString(d);
        return s.contains("E") ? s.replace("E", "e") : s;
    }
}
