package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sdmodel.DType;

/**
 * Our conversions against torch 2.11's ({@link TorchOracle}), the torch users run: every 16-bit
 * input, a million float32 samples and the float32 edge values, for half, bfloat16 and both
 * float8 targets; outputs of the scalar functions and of the bulk kernel, and loss counts. (All
 * 2^32 float32 inputs: {@link ExhaustiveConversionTest}, tagged slow.)
 */
class Torch2ConversionTest {

    @ParameterizedTest
    @EnumSource(names = {"F16_BF16", "BF16_F16", "F16_F8E4M3FN", "F16_F8E5M2", "BF16_F8E4M3FN", "BF16_F8E5M2"})
    void every16BitInputMatchesTorch2(Conversion c) {
        TorchOracle.Table torch = TorchOracle.table(c.from, c.to);
        long[] inputs = LongStream.range(0, 1 << 16).toArray();
        ConversionStats stats = new ConversionStats();
        ByteBuffer bulk = c.bulkAll(inputs, stats);
        assertMatches(c, torch, inputs, bulk);
        assertEquals(torch.counts(0, 0xFFFF), ConversionExpectations.counts(stats), c + " loss counts");
        assertEquals(1 << 16, stats.elements());
    }

    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F32_BF16", "F32_F8E4M3FN", "F32_F8E5M2"})
    void float32SamplesAndEdgesMatchTorch2(Conversion c) {
        TorchOracle.Table torch = TorchOracle.table(c.from, c.to);
        long[] sample = TorchConversionTest.toLongs(ConversionExpectations.f32Sample(1 << 20));
        long[] edges = TorchConversionTest.edgeInputs(Conversion.F32_F16);
        long[] inputs = LongStream.concat(LongStream.of(sample), LongStream.of(edges)).toArray();
        ConversionStats stats = new ConversionStats();
        ByteBuffer bulk = c.bulkAll(inputs, stats);
        assertMatches(c, torch, inputs, bulk);
        assertEquals(countsOf(torch, inputs), ConversionExpectations.counts(stats), c + " loss counts");
    }

    /**
     * The values the formats differ on, one by one: NaNs with payloads (half keeps them, the
     * float8 formats do not), infinities (e4m3fn has none: NaN), subnormals of every target,
     * values above e4m3fn's largest (448) and e5m2's (57344), and ties at each boundary. Each
     * stated result is torch 2.11's (asserted against the table first, so the list cannot drift
     * from torch), then ours.
     */
    @Test
    void nanPayloadsInfinitiesSubnormalsOverflowAndTies() {
        Object[][] cases = {
            // {float32 bits, half, bfloat16, e4m3fn, e5m2, why}
            {0x7FBF_FFFF, 0x7FFF, 0xFFFF, 0x7F, 0x7F, "signalling NaN, full payload: half quiets and truncates it"},
            {0xFF81_2345, 0xFE09, 0xFFFF, 0xFF, 0xFF, "negative NaN with a payload: the sign survives everywhere"},
            {0x7F80_0001, 0x7E00, 0xFFFF, 0x7F, 0x7F, "NaN whose payload is below half's 10 bits"},
            {0x7FC0_0000, 0x7E00, 0xFFFF, 0x7F, 0x7F, "torch.nan"},
            {0x7F80_0000, 0x7C00, 0x7F80, 0x7F, 0x7C, "+inf: e4m3fn has no infinity, it becomes NaN"},
            {0xFF80_0000, 0xFC00, 0xFF80, 0xFF, 0xFC, "-inf"},
            {0x43E0_0000, 0x5F00, 0x43E0, 0x7E, 0x5F, "448, e4m3fn's largest"},
            {0x43E8_0000, 0x5F40, 0x43E8, 0x7E, 0x5F, "464, the tie between 448 and 480: to even, 448"},
            {0x43E8_0001, 0x5F40, 0x43E8, 0x7F, 0x5F, "just above 464: e4m3fn NaN, not saturated to 448"},
            {0x43F0_0000, 0x5F80, 0x43F0, 0x7F, 0x60, "480"},
            {0xC3F0_0000, 0xDF80, 0xC3F0, 0xFF, 0xE0, "-480: negative NaN"},
            {0x4760_0000, 0x7B00, 0x4760, 0x7F, 0x7B, "57344, e5m2's largest"},
            {0x476F_FFFF, 0x7B80, 0x4770, 0x7F, 0x7B, "just below 61440 rounds down to 57344"},
            {0x4770_0000, 0x7B80, 0x4770, 0x7F, 0x7C, "61440, the tie between 57344 and 65536: to even, infinity"},
            {0x477F_F000, 0x7C00, 0x4780, 0x7F, 0x7C, "65520: half overflows too"},
            {0x3B00_0000, 0x1800, 0x3B00, 0x01, 0x18, "2^-9, e4m3fn's smallest subnormal"},
            {0x3A80_0000, 0x1400, 0x3A80, 0x00, 0x14, "2^-10: tie between 0 and 2^-9, to even, zero"},
            {0x3A80_0001, 0x1400, 0x3A80, 0x01, 0x14, "just above 2^-10: rounds up to 2^-9"},
            {0x3B40_0000, 0x1A00, 0x3B40, 0x02, 0x1A, "3 * 2^-10: tie between 1 and 2 units of 2^-9, to even, 2"},
            {0x3BA0_0000, 0x1D00, 0x3BA0, 0x02, 0x1D, "5 * 2^-10: tie between 2 and 3 units, to even, 2"},
            {0x3C20_0000, 0x2100, 0x3C20, 0x05, 0x21, "5 * 2^-9"},
            {0x3C7C_0000, 0x23E0, 0x3C7C, 0x08, 0x24, "2^-6 - 2^-11: rounds up into e4m3fn's smallest normal"},
            {0x3C80_0000, 0x2400, 0x3C80, 0x08, 0x24, "2^-6, e4m3fn's smallest normal"},
            {0x3780_0000, 0x0100, 0x3780, 0x00, 0x01, "2^-16, e5m2's smallest subnormal"},
            {0x3700_0000, 0x0080, 0x3700, 0x00, 0x00, "2^-17: tie, to even, zero"},
            {0x3840_0000, 0x0300, 0x3840, 0x00, 0x03, "3 * 2^-16, e5m2 subnormal"},
            {0x3880_0000, 0x0400, 0x3880, 0x00, 0x04, "2^-14, e5m2's and half's smallest normal"},
            {0x3F88_0000, 0x3C40, 0x3F88, 0x38, 0x3C, "1.0625: tie between 1 and 1.125 (e4m3fn), to even"},
            {0x3F98_0000, 0x3CC0, 0x3F98, 0x3A, 0x3D, "1.1875: e4m3fn tie to even, up"},
            {0x3FA0_0000, 0x3D00, 0x3FA0, 0x3A, 0x3D, "1.25"},
            {0x3F90_0000, 0x3C80, 0x3F90, 0x39, 0x3C, "1.125: e5m2 tie between 1 and 1.25, to even"},
            {0x3FB0_0000, 0x3D80, 0x3FB0, 0x3B, 0x3E, "1.375: e5m2 tie, to even, up"},
            {0x0000_0001, 0x0000, 0x0000, 0x00, 0x00, "float32's smallest subnormal"},
            {0x8000_0000, 0x8000, 0x8000, 0x80, 0x80, "-0"},
            {0x3CA3_D70A, 0x251F, 0x3CA4, 0x0A, 0x25, "0.02, a typical weight"},
        };
        DType[] targets = {DType.F16, DType.BF16, DType.F8_E4M3, DType.F8_E5M2};
        Conversion[] conversions = {Conversion.F32_F16, Conversion.F32_BF16, Conversion.F32_F8E4M3FN, Conversion.F32_F8E5M2};
        long[] inputs = new long[cases.length];
        for (int i = 0; i < cases.length; i++) {
            inputs[i] = ((Integer) cases[i][0]) & 0xFFFF_FFFFL;
        }
        List<String> wrong = new ArrayList<>();
        for (int t = 0; t < targets.length; t++) {
            TorchOracle.Table torch = TorchOracle.table(DType.F32, targets[t]);
            ConversionStats stats = new ConversionStats();
            ByteBuffer bulk = conversions[t].bulkAll(inputs, stats);
            for (int i = 0; i < cases.length; i++) {
                int stated = (Integer) cases[i][1 + t];
                int oracle = torch.at(inputs[i]);
                assertEquals(stated, oracle, String.format("the test's %s result for %08x (%s) is not torch's",
                        targets[t], inputs[i], cases[i][5]));
                long scalar = conversions[t].scalar(inputs[i]);
                long bulkValue = Conversion.get(bulk, targets[t], i);
                if (scalar != oracle || bulkValue != oracle) {
                    wrong.add(String.format("%s %08x (%s): torch %x, scalar %x, bulk %x", targets[t], inputs[i],
                            cases[i][5], oracle, scalar, bulkValue));
                }
            }
            assertEquals(countsOf(torch, inputs), ConversionExpectations.counts(stats), targets[t] + " loss counts");
        }
        if (!wrong.isEmpty()) {
            fail(wrong.size() + " results differ from torch 2.11:\n" + String.join("\n", wrong));
        }
    }

    /**
     * float64 to half and float8 through float32, as torch does (its Half and float8 types are
     * built from a float): at each float64 edge value (NaNs with payloads, double-rounding
     * probes, overflow and underflow), our result is torch 2.11's conversion of the float32 that
     * torch 1.13 made of that double (the oracle has no float64 tables; f64 to f32 is the same in
     * both).
     */
    @ParameterizedTest
    @EnumSource(names = {"F64_F16", "F64_F8E4M3FN", "F64_F8E5M2"})
    void float64ConvertsThroughTorchsFloat32(Conversion c) {
        TorchOracle.Table torch = TorchOracle.table(DType.F32, c.to);
        long[] inputs = TorchConversionTest.edgeInputs(Conversion.F64_F32);
        long[] viaF32 = ConversionExpectations.hexArray(ConversionExpectations.json().get("edges").get("f64_to_f32"));
        ConversionStats stats = new ConversionStats();
        ByteBuffer bulk = c.bulkAll(inputs, stats);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            long expected = torch.at(viaF32[i]);
            long scalar = c.scalar(inputs[i]);
            long bulkValue = Conversion.get(bulk, c.to, i);
            if (scalar != expected || bulkValue != expected) {
                wrong.add(String.format("%016x: torch %x, scalar %x, bulk %x", inputs[i], expected, scalar, bulkValue));
            }
        }
        if (!wrong.isEmpty()) {
            fail(wrong.size() + " of " + inputs.length + " " + c + " results differ, e.g. " + wrong.subList(0, Math.min(10, wrong.size())));
        }
    }

    /**
     * The float8 kernels streamed through small buffers of random sizes, at odd offsets, in
     * direct big-endian-ordered buffers: the chunking a caller does must not matter.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32_F8E4M3FN", "F32_F8E5M2", "F16_F8E4M3FN", "BF16_F8E5M2", "F64_F8E4M3FN"})
    void float8StreamedInOddChunksGivesTheSameBytes(Conversion c) {
        Random random = new Random(7);
        long[] inputs = new long[10_000];
        for (int i = 0; i < inputs.length; i++) {
            long bits = random.nextLong();
            // mostly weight-sized values, some of everything else
            inputs[i] = i % 3 == 0 ? bits : c.from == DType.F64 ? Double.doubleToRawLongBits(random.nextGaussian() * 0.05)
                    : c.from == DType.F32 ? Float.floatToRawIntBits((float) (random.nextGaussian() * 0.05)) & 0xFFFF_FFFFL
                    : bits & 0xFFFF;
        }
        ConversionStats whole = new ConversionStats();
        ByteBuffer expected = c.bulkAll(inputs, whole);
        assertEquals(c.scalarAll(inputs), expected, "bulk and scalar differ");
        ByteBuffer all = Conversion.encode(inputs, c.from);
        ElementConverter converter = ElementConverter.of(c.from, c.to);
        ByteBuffer src = ByteBuffer.allocateDirect(64).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocateDirect(9).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer result = ByteBuffer.allocate(inputs.length);
        ConversionStats total = new ConversionStats();
        src.position(3).limit(3);
        while (result.hasRemaining()) {
            src.compact();
            int room = Math.min(random.nextInt(src.remaining() + 1), all.remaining());
            src.put(all.slice(all.position(), room));
            all.position(all.position() + room);
            src.flip();
            dst.clear().position(1).limit(1 + random.nextInt(dst.capacity()));
            long n = converter.convert(src, dst, total);
            assertEquals(1 + n, dst.position());
            dst.flip().position(1);
            result.put(dst);
        }
        assertEquals(expected, result.flip());
        assertEquals(ConversionExpectations.counts(whole), ConversionExpectations.counts(total));
    }

    private static void assertMatches(Conversion c, TorchOracle.Table torch, long[] inputs, ByteBuffer bulk) {
        List<String> wrong = new ArrayList<>();
        int width = c.from.bits() / 4;
        for (int i = 0; i < inputs.length; i++) {
            long expected = torch.at(inputs[i]);
            long scalar = c.scalar(inputs[i]);
            long bulkValue = Conversion.get(bulk, c.to, i);
            if (scalar != expected || bulkValue != expected) {
                wrong.add(String.format("%0" + width + "x: torch %x, scalar %x, bulk %x", inputs[i], expected, scalar, bulkValue));
            }
        }
        if (!wrong.isEmpty()) {
            fail(wrong.size() + " of " + inputs.length + " " + c + " results differ from torch " + torch.torch + ", e.g. "
                    + wrong.subList(0, Math.min(10, wrong.size())));
        }
    }

    /** The loss counts of torch's results for these inputs, classified one by one. */
    static String countsOf(TorchOracle.Table torch, long[] inputs) {
        long nan = 0;
        long inf = 0;
        long over = 0;
        long under = 0;
        long infinity = TorchOracle.infinityBits(torch.source);
        long magnitudeMask = (1L << (torch.source.bits() - 1)) - 1;
        for (long x : inputs) {
            long m = x & magnitudeMask;
            int y = torch.at(x);
            if (m > infinity) {
                nan++;
            } else if (m == infinity) {
                inf++;
            } else if (m != 0 && TorchOracle.isZero(torch.target, y)) {
                under++;
            } else if (TorchOracle.isNaNOrInfinity(torch.target, y)) {
                over++;
            }
        }
        return "nanInputs=" + nan + ", infinityInputs=" + inf + ", overflows=" + over + ", underflows=" + under;
    }
}
