package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sdmodel.DType;

/** The per-tensor rule of each precision, as issue #16 states it for float8. */
class PrecisionTest {
    private static final long[] MATRIX = {320, 768};
    private static final long[] CONV = {320, 4, 3, 3};
    private static final long[] VECTOR = {320};
    private static final long[] SCALAR = {};

    @Test
    void convertsTheFourWeightTypesAndNothingElse() {
        for (DType t : DType.values()) {
            boolean weight = t == DType.F64 || t == DType.F32 || t == DType.BF16 || t == DType.F16;
            for (String name : new String[] {"first_stage_model.decoder.conv_out.weight", "model.diffusion_model.out.2.weight"}) {
                assertEquals(weight ? DType.F16 : t, Precision.FP16.target(name, t, CONV), t.name());
                assertEquals(weight ? DType.BF16 : t, Precision.BF16.target(name, t, CONV), t.name());
                assertEquals(weight ? DType.F32 : t, Precision.FP32.target(name, t, CONV), t.name());
                assertEquals(t, Precision.KEEP.target(name, t, CONV), t.name());
            }
            assertEquals(weight, Precision.isConvertible(t), t.name());
        }
    }

    @Test
    void float8IsForTheUnetsWeightsOfTwoOrMoreDimensionsAndFp16ForTheRest() {
        for (Precision p : new Precision[] {Precision.FP8_E4M3FN, Precision.FP8_E5M2}) {
            DType f8 = p == Precision.FP8_E4M3FN ? DType.F8_E4M3 : DType.F8_E5M2;
            for (DType source : new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64}) {
                assertEquals(f8, p.target("model.diffusion_model.input_blocks.0.0.weight", source, CONV), p + " " + source);
                assertEquals(f8, p.target("model.diffusion_model.input_blocks.1.1.proj_in.weight", source, MATRIX));
                assertEquals(DType.F16, p.target("model.diffusion_model.input_blocks.0.0.bias", source, VECTOR));
                assertEquals(DType.F16, p.target("model.diffusion_model.some_scalar", source, SCALAR));
                assertEquals(DType.F16, p.target("first_stage_model.decoder.conv_out.weight", source, CONV));
                assertEquals(DType.F16, p.target("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
                        source, MATRIX));
                // LitEma's copies are not model.diffusion_model.* (--ema keep writes them fp16)
                assertEquals(DType.F16, p.target("model_ema.diffusion_modelinput_blocks00weight", source, CONV));
            }
            assertEquals(DType.I64, p.target("model.diffusion_model.counter", DType.I64, MATRIX));
            assertEquals(DType.F8_E5M2, p.target("model.diffusion_model.x.weight", DType.F8_E5M2, MATRIX),
                    "float8 tensors keep their format");
            assertEquals(DType.F16, p.target("model.diffusion_model.x.weight", DType.F16, VECTOR));
        }
    }

    @Test
    void scheduleBuffersKeepTheirTypeAtEveryPrecision() {
        for (Precision p : Precision.values()) {
            for (String name : Precision.SCHEDULE_BUFFERS) {
                assertEquals(DType.F64, p.target(name, DType.F64, VECTOR), p + " " + name);
                assertEquals(DType.F32, p.target("model." + name, DType.F32, VECTOR), p + " " + name);
            }
            assertNull(p.keptReason("model.diffusion_model.out.2.weight", DType.F32, CONV));
        }
        assertEquals("DDPM schedule buffer", Precision.FP16.keptReason("alphas_cumprod", DType.F32, VECTOR));
        assertEquals("DDPM schedule buffer", Precision.FP8_E4M3FN.keptReason("betas", DType.F64, VECTOR));
        assertNull(Precision.FP32.keptReason("betas", DType.F32, VECTOR), "an F32 buffer at fp32 is not held back");
        assertNull(Precision.KEEP.keptReason("betas", DType.F64, VECTOR));
        assertTrue(Precision.isScheduleBuffer("posterior_mean_coef2"));
        assertFalse(Precision.isScheduleBuffer("model.diffusion_model.betas_scale"));
    }

    @Test
    void namesAsTheCommandLineTakesThem() {
        for (Precision p : Precision.values()) {
            assertEquals(p, Precision.fromLabel(p.label()));
            assertEquals(p, Precision.fromLabel(p.label().toUpperCase(java.util.Locale.ROOT)));
        }
        assertEquals("fp8-e4m3fn", Precision.FP8_E4M3FN.label());
        assertEquals("fp8-e5m2", Precision.FP8_E5M2.label());
        assertEquals(Precision.FP8_E4M3FN, Precision.fromLabel("fp8"));
        assertTrue(Precision.FP8_E5M2.isFloat8());
        assertFalse(Precision.FP16.isFloat8());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.fromLabel("fp4"));
        assertEquals("unknown precision 'fp4': use fp16, bf16, fp32, keep, fp8-e4m3fn (or fp8) or fp8-e5m2", e.getMessage());
    }
}
