package org.sdmodel.engine;

import java.util.Arrays;
import java.util.Objects;
import org.sdmodel.DType;
import org.sdmodel.Tensor;

/**
 * How one output tensor's values are computed from source tensors: a small expression tree whose
 * leaves are tensors of open model files (or constants) and whose nodes are the operations the
 * web UI's merger, pruning and conversion perform, each with torch's semantics (its result dtype
 * by torch's type promotion, its rounding, its NaN bits). Expressions are plain data: they read
 * nothing until {@link ModelWriter} evaluates them, chunk by chunk, so a planner can build and a
 * test can inspect them without touching a file.
 *
 * <p>Every node knows its {@link #dtype()} and {@link #shape()}; operands of an arithmetic node
 * must have equal shapes (the constructors check, since torch would broadcast or fail, and
 * neither is wanted in a model file).
 */
public sealed interface Expr permits Expr.Source, Expr.Convert, Expr.Scale, Expr.Add, Expr.Subtract, Expr.Zeros,
        Expr.Constant, Expr.Narrow, Expr.Overwrite, Expr.Transpose {

    /** {@return the element type of the values} */
    DType dtype();

    /** {@return the shape; a copy} */
    long[] shape();

    /** {@return number of elements} */
    default long numel() {
        return elementCount(shape());
    }

    /** {@return bytes of the values} */
    default long byteSize() {
        return dtype().byteSize(numel());
    }

    /**
     * {@return a tensor of a source file, as it is; {@code origin} says where it comes from ("A: model.x")}
     *
     * @param origin where the tensor comes from, for listings and messages ({@code "A: model.x"})
     * @param tensor the tensor
     */
    static Expr source(String origin, Tensor tensor) {
        return new Source(origin, tensor);
    }

    /**
     * {@return {@code input.to(dtype)}, unless it already has that dtype}
     *
     * @param input the values to convert
     * @param dtype the type to convert them to
     */
    static Expr convert(Expr input, DType dtype) {
        return input.dtype() == dtype ? input : new Convert(input, dtype);
    }

    /**
     * {@return the web UI's {@code weighted_sum}: {@code ((1 - m) * a) + (m * b)}, three torch operations}
     *
     * @param a the first model's tensor
     * @param b the second model's tensor
     * @param m the multiplier (the web UI's slider)
     */
    static Expr weightedSum(Expr a, Expr b, double m) {
        return new Add(new Scale(a, 1 - m), new Scale(b, m));
    }

    /**
     * {@return the web UI's {@code add_difference}: {@code a + (m * d)}}
     *
     * @param a the first model's tensor
     * @param d the difference to add ({@code b - c})
     * @param m the multiplier (the web UI's slider)
     */
    static Expr addScaled(Expr a, Expr d, double m) {
        return new Add(a, new Scale(d, m));
    }

    /**
     * The values of a source tensor.
     *
     * @param origin where the tensor comes from, for listings and messages
     * @param tensor the tensor
     */
    record Source(String origin, Tensor tensor) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param origin where the tensor comes from, for listings and messages
         * @param tensor the tensor
         */
        public Source {
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(tensor, "tensor");
        }

        @Override
        public DType dtype() {
            return tensor.dtype();
        }

        @Override
        public long[] shape() {
            return tensor.shape();
        }

        @Override
        public String toString() {
            return origin;
        }
    }

    /**
     * {@code input.to(dtype)} as torch 2.x converts (see {@link org.sdmodel.convert.ElementConverter}).
     *
     * @param input the values to convert
     * @param dtype the type to convert them to
     */
    record Convert(Expr input, DType dtype) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param input the values to convert
         * @param dtype the type to convert them to
         */
        public Convert {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(dtype, "dtype");
            if (!org.sdmodel.convert.ElementConverter.supports(input.dtype(), dtype)) {
                throw new IllegalArgumentException("cannot convert " + input.dtype() + " to " + dtype);
            }
        }

        @Override
        public long[] shape() {
            return input.shape();
        }

        @Override
        public String toString() {
            return dtype.torchName() + "(" + input + ")";
        }
    }

    /**
     * {@code multiplier * input}, a Python float times a tensor as torch 2.x computes it: a
     * floating tensor keeps its dtype and is multiplied in float32 (float64 for a float64 tensor)
     * with the multiplier rounded to that type, then rounded once to the dtype; an integer or
     * bool tensor gives float32.
     *
     * @param input the tensor to multiply
     * @param multiplier the Python float it is multiplied by
     */
    record Scale(Expr input, double multiplier) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param input the tensor to multiply
         * @param multiplier the Python float it is multiplied by
         */
        public Scale {
            Objects.requireNonNull(input, "input");
            TorchTypes.requireArithmetic(input.dtype());
        }

        @Override
        public DType dtype() {
            return TorchTypes.scaled(input.dtype());
        }

        @Override
        public long[] shape() {
            return input.shape();
        }

        @Override
        public String toString() {
            return TorchTypes.pythonFloat(multiplier) + " * " + operand(input);
        }
    }

    /**
     * {@code left + right}, in the dtype torch's type promotion gives the pair.
     *
     * @param left the left operand
     * @param right the right operand
     */
    record Add(Expr left, Expr right) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param left the left operand
         * @param right the right operand
         */
        public Add {
            requireSameShape(left, right, "+");
            TorchTypes.promote(left.dtype(), right.dtype(), "+");
        }

        @Override
        public DType dtype() {
            return TorchTypes.promote(left.dtype(), right.dtype(), "+");
        }

        @Override
        public long[] shape() {
            return left.shape();
        }

        @Override
        public String toString() {
            return operand(left) + " + " + operand(right);
        }
    }

    /**
     * {@code left - right}, in the dtype torch's type promotion gives the pair.
     *
     * @param left the left operand
     * @param right the right operand (subtracted)
     */
    record Subtract(Expr left, Expr right) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param left the left operand
         * @param right the right operand (subtracted)
         */
        public Subtract {
            requireSameShape(left, right, "-");
            TorchTypes.promote(left.dtype(), right.dtype(), "-");
        }

        @Override
        public DType dtype() {
            return TorchTypes.promote(left.dtype(), right.dtype(), "-");
        }

        @Override
        public long[] shape() {
            return left.shape();
        }

        @Override
        public String toString() {
            return operand(left) + " - " + operand(right);
        }
    }

    /**
     * {@code torch.zeros(shape, dtype)}.
     *
     * @param dtype the element type
     * @param shape the shape (copied)
     */
    record Zeros(DType dtype, long[] shape) implements Expr {
        /**
         * Creates the record, checking and copying its components.
         *
         * @param dtype the element type
         * @param shape the shape (copied)
         */
        public Zeros {
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            elementCount(shape);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return "zeros(" + dtype + Arrays.toString(shape) + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Zeros && ((Zeros) o).dtype == dtype && Arrays.equals(((Zeros) o).shape, shape);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape));
        }
    }

    /**
     * Values given as their little-endian bytes (small tensors made by a planner, such as CLIP's
     * {@code position_ids}).
     *
     * @param description what the values are, for listings ("arange(77)")
     * @param dtype the element type
     * @param shape the shape (copied)
     * @param bytes the values, dense, row-major, little-endian (copied)
     */
    record Constant(DType dtype, long[] shape, byte[] bytes, String description) implements Expr {
        /**
         * Creates the record, checking and copying its components.
         *
         * @param description what the values are, for listings ("arange(77)")
         * @param dtype the element type
         * @param shape the shape (copied)
         * @param bytes the values, dense, row-major, little-endian (copied)
         */
        public Constant {
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            bytes = bytes.clone();
            if (dtype.byteSize(elementCount(shape)) != bytes.length) {
                throw new IllegalArgumentException(bytes.length + " bytes do not hold " + dtype + Arrays.toString(shape));
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** {@return the values, dense, row-major, little-endian; a copy} */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public String toString() {
            return description;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Constant && ((Constant) o).dtype == dtype && Arrays.equals(((Constant) o).shape, shape)
                    && Arrays.equals(((Constant) o).bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(bytes));
        }
    }

    /**
     * {@code input.narrow(dim, start, length)}: the part of {@code input} whose index along
     * {@code dim} is in {@code [start, start + length)} ({@code a[:, 0:4]} is {@code narrow(a, 1,
     * 0, 4)}; splitting a fused projection into thirds narrows dimension 0).
     *
     * @param input the tensor to take a part of
     * @param dim the dimension along which the part is taken
     * @param start the first index along {@code dim}
     * @param length how many indices along {@code dim}
     */
    record Narrow(Expr input, int dim, long start, long length) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param input the tensor to take a part of
         * @param dim the dimension along which the part is taken
         * @param start the first index along {@code dim}
         * @param length how many indices along {@code dim}
         */
        public Narrow {
            Objects.requireNonNull(input, "input");
            long[] s = input.shape();
            if (dim < 0 || dim >= s.length || start < 0 || length < 0 || start + length > s[dim]) {
                throw new IllegalArgumentException("cannot narrow " + Arrays.toString(s) + " to " + start + ".."
                        + (start + length) + " along dimension " + dim);
            }
            requireWholeBytes(input.dtype());
        }

        @Override
        public DType dtype() {
            return input.dtype();
        }

        @Override
        public long[] shape() {
            long[] s = input.shape();
            s[dim] = length;
            return s;
        }

        @Override
        public String toString() {
            return "narrow(" + input + ", " + dim + ", " + start + ", " + length + ")";
        }
    }

    /**
     * {@code base} with the part {@code narrow(dim, start, value.shape[dim])} replaced by
     * {@code value}, which must have {@code base}'s dtype (as torch's {@code base[:, 0:4] = value}
     * writes into {@code base}; wrap {@code value} in {@link #convert} first).
     *
     * @param base the tensor written into
     * @param dim the dimension along which the part is replaced
     * @param start the first index replaced along {@code dim}
     * @param value the values written there (in {@code base}'s dtype)
     */
    record Overwrite(Expr base, int dim, long start, Expr value) implements Expr {
        /**
         * Creates the record, checking its components.
         *
         * @param base the tensor written into
         * @param dim the dimension along which the part is replaced
         * @param start the first index replaced along {@code dim}
         * @param value the values written there (in {@code base}'s dtype)
         */
        public Overwrite {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(value, "value");
            long[] b = base.shape();
            long[] v = value.shape();
            boolean fits = b.length == v.length && dim >= 0 && dim < b.length && start >= 0 && start + v[dim] <= b[dim];
            for (int i = 0; fits && i < b.length; i++) {
                fits = i == dim || b[i] == v[i];
            }
            if (!fits) {
                throw new IllegalArgumentException("cannot write " + Arrays.toString(v) + " into " + Arrays.toString(b)
                        + " at " + start + " along dimension " + dim);
            }
            if (base.dtype() != value.dtype()) {
                throw new IllegalArgumentException("cannot write " + value.dtype() + " values into " + base.dtype());
            }
            requireWholeBytes(base.dtype());
        }

        @Override
        public DType dtype() {
            return base.dtype();
        }

        @Override
        public long[] shape() {
            return base.shape();
        }

        @Override
        public String toString() {
            return "overwrite(" + base + ", " + dim + ", " + start + ", " + value + ")";
        }
    }

    /**
     * {@code input.transpose(0, 1).contiguous()} of a 2-D tensor. Evaluated from the whole input
     * held in memory, so it is limited to {@link #MAX_BYTES} (projection matrices, a few MB).
     *
     * @param input a 2-D tensor
     */
    record Transpose(Expr input) implements Expr {
        /** The largest input a transpose takes. */
        public static final long MAX_BYTES = 16L << 20;

        /**
         * Creates the record, checking its components.
         *
         * @param input a 2-D tensor
         */
        public Transpose {
            Objects.requireNonNull(input, "input");
            if (input.shape().length != 2) {
                throw new IllegalArgumentException("cannot transpose " + Arrays.toString(input.shape()) + ": not 2-D");
            }
            if (input.byteSize() > MAX_BYTES) {
                throw new IllegalArgumentException("cannot transpose " + input.byteSize() + " bytes: more than " + MAX_BYTES);
            }
            requireWholeBytes(input.dtype());
        }

        @Override
        public DType dtype() {
            return input.dtype();
        }

        @Override
        public long[] shape() {
            long[] s = input.shape();
            return new long[] {s[1], s[0]};
        }

        @Override
        public String toString() {
            return "transpose(" + input + ")";
        }
    }

    /** The product of a shape, refusing negative dimensions and overflow. */
    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** An operand as {@code toString} shows it: in parentheses unless it is a single term. */
    private static String operand(Expr e) {
        boolean term = e instanceof Source || e instanceof Zeros || e instanceof Constant || e instanceof Convert
                || e instanceof Narrow || e instanceof Overwrite || e instanceof Transpose;
        return term ? e.toString() : "(" + e + ")";
    }

    private static void requireSameShape(Expr left, Expr right, String op) {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
        if (!Arrays.equals(left.shape(), right.shape())) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(left.shape()) + " " + op + " "
                    + Arrays.toString(right.shape()));
        }
    }

    private static void requireWholeBytes(DType dtype) {
        if (dtype.bits() % 8 != 0) {
            throw new IllegalArgumentException(dtype + " elements are not whole bytes");
        }
    }
}
