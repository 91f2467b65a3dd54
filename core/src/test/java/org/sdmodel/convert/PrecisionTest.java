package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.sdmodel.DType;

class PrecisionTest {

    @Test
    void convertsTheFourWeightTypesAndNothingElse() {
        for (DType t : DType.values()) {
            boolean weight = t == DType.F64 || t == DType.F32 || t == DType.BF16 || t == DType.F16;
            assertEquals(weight ? DType.F16 : t, Precision.FP16.target(t), t.name());
            assertEquals(weight ? DType.BF16 : t, Precision.BF16.target(t), t.name());
            assertEquals(weight ? DType.F32 : t, Precision.FP32.target(t), t.name());
            assertEquals(t, Precision.KEEP.target(t), t.name());
            assertEquals(weight, Precision.isConvertible(t), t.name());
        }
    }
}
