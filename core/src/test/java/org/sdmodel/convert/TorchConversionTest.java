package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sdmodel.DType;

/**
 * Our conversions against the local torch 1.13's results (computed by
 * {@code testdata/convert/make_conversion_expectations.py}): edge values one by one, a million
 * generated inputs by digest, and every 16-bit input by digest; for the scalar functions and for
 * the bulk kernel, outputs and loss counts. They must agree everywhere except where torch 2.x,
 * which sdmodel follows, changed: a NaN converted to half keeps its payload in 2.x, and 1.13
 * wrote {@code 0x7E00} with the sign. So our half results for NaN inputs are compared here as
 * 1.13 writes them ({@link #asTorch113}), and against torch 2.11 in {@link Torch2ConversionTest}.
 */
class TorchConversionTest {

    private static final JsonNode JSON = ConversionExpectations.json();

    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F32_BF16", "F64_F16", "F64_BF16", "F64_F32"})
    void edgeValuesMatchTorch(Conversion c) {
        long[] inputs = edgeInputs(c);
        long[] expected = ConversionExpectations.hexArray(JSON.get("edges").get(c.key));
        assertEquals(inputs.length, expected.length);
        ConversionStats stats = new ConversionStats();
        ByteBuffer bulk = c.bulkAll(inputs, stats);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            long scalar = asTorch113(c, inputs[i], c.scalar(inputs[i]));
            long bulkValue = asTorch113(c, inputs[i], Conversion.get(bulk, c.to, i));
            if (scalar != expected[i] || bulkValue != expected[i]) {
                wrong.add(String.format("%x: torch %x, scalar %x, bulk %x", inputs[i], expected[i], scalar, bulkValue));
            }
        }
        if (!wrong.isEmpty()) {
            fail(wrong.size() + " of " + inputs.length + " edge values differ from torch, e.g. "
                    + wrong.subList(0, Math.min(10, wrong.size())));
        }
        assertEquals(ConversionExpectations.counts(JSON.get("edges").get(c.key + "_counts")),
                ConversionExpectations.counts(stats));
        assertEquals(inputs.length, stats.elements());
    }

    /** Guards the test itself: the edge set really contains the cases it is there for. */
    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F64_F16"})
    void edgeSetCoversOverflowUnderflowAndNaN(Conversion c) {
        JsonNode counts = JSON.get("edges").get(c.key + "_counts");
        assertFalse(counts.get("overflows").asLong() == 0 || counts.get("underflows").asLong() == 0
                || counts.get("nanInputs").asLong() == 0 || counts.get("infinityInputs").asLong() == 0,
                counts::toString);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F32_BF16", "F64_F16", "F64_BF16", "F64_F32"})
    void samplesMatchTorchDigest(Conversion c) {
        String src = c.from.name().toLowerCase(java.util.Locale.ROOT);
        JsonNode sample = JSON.get("samples").get(src);
        int count = sample.get("count").asInt();
        long[] inputs = c.from == org.sdmodel.DType.F32
                ? LongStream.of(toLongs(ConversionExpectations.f32Sample(count))).toArray()
                : ConversionExpectations.f64Sample(count);
        assertEquals(ConversionExpectations.hexArray(sample.get("first_inputs"))[7], inputs[7],
                "the input generator differs from the script's");
        String expected = sample.get(c.key + "_sha256").asText();
        assertEquals(expected, ConversionExpectations.sha256(asTorch113(c, inputs, c.scalarAll(inputs))), "scalar " + c);
        ConversionStats stats = new ConversionStats();
        assertEquals(expected, ConversionExpectations.sha256(asTorch113(c, inputs, c.bulkAll(inputs, stats))), "bulk " + c);
        assertEquals(ConversionExpectations.counts(sample.get(c.key + "_counts")),
                ConversionExpectations.counts(stats));
    }

    @ParameterizedTest
    @EnumSource(names = {"F16_F32", "BF16_F32", "F16_BF16", "BF16_F16"})
    void every16BitInputMatchesTorch(Conversion c) {
        long[] inputs = LongStream.range(0, 1 << 16).toArray();
        String expected = JSON.get("all16").get(c.key + "_sha256").asText();
        assertEquals(expected, ConversionExpectations.sha256(asTorch113(c, inputs, c.scalarAll(inputs))), "scalar " + c);
        ConversionStats stats = new ConversionStats();
        assertEquals(expected, ConversionExpectations.sha256(asTorch113(c, inputs, c.bulkAll(inputs, stats))), "bulk " + c);
        assertEquals(ConversionExpectations.counts(JSON.get("all16").get(c.key + "_counts")),
                ConversionExpectations.counts(stats));
    }

    /**
     * Our result as torch 1.13 wrote it: a NaN converted to half is {@code 0x7E00} with the
     * NaN's sign there, where torch 2.x (and sdmodel) keep the payload. Anything else unchanged.
     */
    static long asTorch113(Conversion c, long input, long output) {
        if (c.to != DType.F16 || !isNaN(c.from, input)) {
            return output;
        }
        long sign = c.from.bits() == 64 ? input >>> 63 : (input >>> (c.from.bits() - 1)) & 1;
        // the payload is all that may differ: the result must be a NaN of the input's sign
        assertEquals(sign, output >>> 15, "sign of the NaN from " + Long.toHexString(input));
        assertTrue((output & 0x7E00) == 0x7E00, "not a quiet NaN: " + Long.toHexString(output));
        return sign << 15 | 0x7E00;
    }

    /** {@link #asTorch113} applied to every result of a conversion of {@code inputs}. */
    static ByteBuffer asTorch113(Conversion c, long[] inputs, ByteBuffer outputs) {
        ByteBuffer b = ConversionExpectations.littleEndian(outputs.remaining());
        for (int i = 0; i < inputs.length; i++) {
            Conversion.put(b, c.to, asTorch113(c, inputs[i], Conversion.get(outputs, c.to, i)));
        }
        return b.flip();
    }

    static boolean isNaN(DType type, long bits) {
        switch (type) {
            case F64: return (bits & 0x7FFF_FFFF_FFFF_FFFFL) > 0x7FF0_0000_0000_0000L;
            case F32: return (bits & 0x7FFF_FFFFL) > 0x7F80_0000L;
            case F16: return (bits & 0x7FFF) > 0x7C00;
            case BF16: return (bits & 0x7FFF) > 0x7F80;
            default: throw new IllegalArgumentException(type.toString());
        }
    }

    static long[] edgeInputs(Conversion c) {
        String key = c.from == org.sdmodel.DType.F32 ? "f32_inputs" : "f64_inputs";
        return ConversionExpectations.hexArray(JSON.get("edges").get(key));
    }

    static long[] toLongs(int[] ints) {
        long[] out = new long[ints.length];
        for (int i = 0; i < ints.length; i++) {
            out[i] = ints[i] & 0xFFFF_FFFFL;
        }
        return out;
    }
}
