package org.sdmodel.inspect;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.sdmodel.Tensor;

/**
 * Counts over a set of tensors: how many, their elements ("parameters"), their bytes, and how many
 * of each dtype.
 *
 * @param tensors the number of tensors
 * @param parameters the total number of elements
 * @param bytes the total size of their data
 * @param dtypes tensors per dtype, by safetensors dtype name in alphabetical order
 */
public record TensorStats(int tensors, long parameters, long bytes, Map<String, Integer> dtypes) {

    /**
     * Creates the record, copying its components.
     *
     * @param tensors the number of tensors
     * @param parameters the total number of elements
     * @param bytes the total size of their data
     * @param dtypes tensors per dtype, by safetensors dtype name in alphabetical order
     */
    public TensorStats {
        dtypes = Collections.unmodifiableMap(new TreeMap<>(dtypes));
    }

    /**
     * {@return the counts over {@code tensors}}
     *
     * @param tensors the tensors to count
     */
    public static TensorStats of(Iterable<? extends Tensor> tensors) {
        Builder b = new Builder();
        for (Tensor t : tensors) {
            b.add(t);
        }
        return b.build();
    }

    /** Accumulates counts one tensor at a time. */
    static final class Builder {
        private int count;
        private long parameters;
        private long bytes;
        private final Map<String, Integer> dtypes = new TreeMap<>();

        Builder add(Tensor t) {
            count++;
            parameters += t.numel();
            bytes += t.byteSize();
            dtypes.merge(t.dtype().name(), 1, Integer::sum);
            return this;
        }

        boolean isEmpty() {
            return count == 0;
        }

        TensorStats build() {
            return new TensorStats(count, parameters, bytes, dtypes);
        }
    }
}
