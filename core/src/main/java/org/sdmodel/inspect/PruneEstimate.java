package org.sdmodel.inspect;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.EmaPolicy;

/**
 * What {@code sdmodel prune} would make of a file, computed from its plan without reading tensor
 * data.
 *
 * @param ema the EMA policy of the estimate: prune's default, {@link EmaPolicy#USE} (a file whose
 *     EMA copies do not cover every {@code model.*} weight has no estimate, as prune refuses it)
 * @param inputBytes the size of the file
 * @param droppedTensors how many state-dict tensors prune would leave out (EMA copies)
 * @param droppedTensorBytes their size
 * @param topLevelTensorBytes the tensors outside the state dict (optimizer states and the like),
 *     which prune never writes
 * @param outputBytes the exact size of the file {@code sdmodel prune} writes at each precision
 *     ({@code fp16} is prune's default; {@code keep} changes no dtype), header and metadata included
 *     (so the two float8 precisions may differ by a few bytes: their names in the metadata)
 */
public record PruneEstimate(EmaPolicy ema, long inputBytes, int droppedTensors, long droppedTensorBytes,
        long topLevelTensorBytes, Map<Precision, Long> outputBytes) {

    /**
     * Creates the record, copying its components.
     *
     * @param ema the EMA policy of the estimate: prune's default, {@link EmaPolicy#USE} (a file whose
     *     EMA copies do not cover every {@code model.*} weight has no estimate, as prune refuses it)
     * @param inputBytes the size of the file
     * @param droppedTensors how many state-dict tensors prune would leave out (EMA copies)
     * @param droppedTensorBytes their size
     * @param topLevelTensorBytes the tensors outside the state dict (optimizer states and the like),
     *     which prune never writes
     * @param outputBytes the exact size of the file {@code sdmodel prune} writes at each precision
     *     ({@code fp16} is prune's default; {@code keep} changes no dtype), header and metadata included
     *     (so the two float8 precisions may differ by a few bytes: their names in the metadata)
     */
    public PruneEstimate {
        outputBytes = Collections.unmodifiableMap(new EnumMap<>(outputBytes));
    }

    /**
     * {@return how many bytes smaller than the input the output at {@code precision} would be (negative if larger)}
     *
     * @param precision an output precision
     */
    public long savedBytes(Precision precision) {
        Long out = outputBytes.get(precision);
        if (out == null) {
            throw new IllegalArgumentException("no estimate for " + precision);
        }
        return inputBytes - out;
    }
}
