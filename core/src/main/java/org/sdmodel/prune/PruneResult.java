package org.sdmodel.prune;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sdmodel.convert.ConversionStats;

/**
 * What a prune wrote: per-tensor conversion statistics (overflows, underflows, values that were
 * already NaN or infinite) and the totals.
 */
public final class PruneResult {
    private final Map<String, ConversionStats> stats;
    private final long inputTensorBytes;
    private final long outputFileBytes;
    private final long nanos;

    PruneResult(Map<String, ConversionStats> stats, long inputTensorBytes, long outputFileBytes, long nanos) {
        this.stats = Collections.unmodifiableMap(new LinkedHashMap<>(stats));
        this.inputTensorBytes = inputTensorBytes;
        this.outputFileBytes = outputFileBytes;
        this.nanos = nanos;
    }

    /** Statistics by output tensor name (all zero for tensors that were copied unchanged). */
    public Map<String, ConversionStats> stats() {
        return stats;
    }

    /** The sum over all tensors. */
    public ConversionStats total() {
        return Pruner.total(stats.values());
    }

    /** Bytes of tensors in the source's state dict. */
    public long inputTensorBytes() {
        return inputTensorBytes;
    }

    /** Size of the written file. */
    public long outputFileBytes() {
        return outputFileBytes;
    }

    /** Time spent writing, in nanoseconds. */
    public long nanos() {
        return nanos;
    }
}
