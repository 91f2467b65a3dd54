package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our conversions against torch's own results (computed by
 * {@code testdata/convert/make_conversion_expectations.py}): edge values one by one, a million
 * generated inputs by digest, and every 16-bit input by digest; for the scalar functions and for
 * the bulk kernel, outputs and loss counts.
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
            long scalar = c.scalar(inputs[i]);
            long bulkValue = Conversion.get(bulk, c.to, i);
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
        assertEquals(expected, ConversionExpectations.sha256(c.scalarAll(inputs)), "scalar " + c);
        ConversionStats stats = new ConversionStats();
        assertEquals(expected, ConversionExpectations.sha256(c.bulkAll(inputs, stats)), "bulk " + c);
        assertEquals(ConversionExpectations.counts(sample.get(c.key + "_counts")),
                ConversionExpectations.counts(stats));
    }

    @ParameterizedTest
    @EnumSource(names = {"F16_F32", "BF16_F32", "F16_BF16", "BF16_F16"})
    void every16BitInputMatchesTorch(Conversion c) {
        long[] inputs = LongStream.range(0, 1 << 16).toArray();
        String expected = JSON.get("all16").get(c.key + "_sha256").asText();
        assertEquals(expected, ConversionExpectations.sha256(c.scalarAll(inputs)), "scalar " + c);
        ConversionStats stats = new ConversionStats();
        assertEquals(expected, ConversionExpectations.sha256(c.bulkAll(inputs, stats)), "bulk " + c);
        assertEquals(ConversionExpectations.counts(JSON.get("all16").get(c.key + "_counts")),
                ConversionExpectations.counts(stats));
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
