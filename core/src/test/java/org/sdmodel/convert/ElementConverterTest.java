package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sdmodel.DType;

/** The bulk kernel's contract: positions, partial elements, buffer kinds, copies, stats. */
class ElementConverterTest {

    private static final JsonNode EDGES = ConversionExpectations.json().get("edges");

    /**
     * Torch 1.13's edge results again (NaN to half as 1.13 writes it, see
     * {@link TorchConversionTest#asTorch113}), but streamed through small buffers of random sizes, at odd
     * offsets, in direct big-endian-ordered buffers: the chunking a caller does must not matter.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F32_BF16", "F64_F16", "F64_BF16", "F64_F32"})
    void chunkedDirectBuffersGiveTorchResults(Conversion c) {
        long[] inputs = TorchConversionTest.edgeInputs(c);
        long[] expected = ConversionExpectations.hexArray(EDGES.get(c.key));
        ByteBuffer all = Conversion.encode(inputs, c.from);
        ElementConverter converter = ElementConverter.of(c.from, c.to);
        ConversionStats total = new ConversionStats();
        ByteBuffer src = ByteBuffer.allocateDirect(64).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocateDirect(40).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer result = ConversionExpectations.littleEndian(inputs.length * c.to.elementSize());
        Random random = new Random(42);
        src.position(3).limit(3);
        while (all.hasRemaining() || src.hasRemaining()) {
            src.compact();  // keeps a partial element for the next round
            int room = Math.min(random.nextInt(src.remaining() + 1), all.remaining());
            src.put(all.slice(all.position(), room));
            all.position(all.position() + room);
            src.flip();
            dst.clear().position(1).limit(1 + random.nextInt(dst.capacity()));
            ConversionStats chunk = new ConversionStats();
            long n = converter.convert(src, dst, chunk);
            assertEquals(n, chunk.elements());
            assertEquals(1 + n * c.to.elementSize(), dst.position());
            total.add(chunk);
            dst.flip().position(1);
            result.put(dst);
            if (n == 0 && room == 0 && src.remaining() < c.from.elementSize() && !all.hasRemaining()) {
                break;
            }
        }
        assertEquals(ByteOrder.BIG_ENDIAN, src.order());
        assertEquals(0, src.remaining());
        result.flip();
        long[] actual = new long[inputs.length];
        for (int i = 0; i < actual.length; i++) {
            actual[i] = TorchConversionTest.asTorch113(c, inputs[i], Conversion.get(result, c.to, i));
        }
        assertArrayEquals(expected, actual);
        assertEquals(ConversionExpectations.counts(EDGES.get(c.key + "_counts")),
                ConversionExpectations.counts(total));
    }

    @Test
    void convertsOnlyWholeElementsAndAdvancesPositions() {
        // Two floats and the first byte of a third.
        ByteBuffer src = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        src.putFloat(1.0f).putFloat(-2.0f).put((byte) 7).flip();
        ByteBuffer dst = ByteBuffer.allocate(16);
        assertEquals(2, ElementConverter.convert(DType.F32, DType.F16, src, dst, null));
        assertEquals(8, src.position());
        assertEquals(4, dst.position());
        assertEquals(0x3C00, dst.order(ByteOrder.LITTLE_ENDIAN).getShort(0) & 0xFFFF);
        assertEquals(0xC000, dst.getShort(2) & 0xFFFF);
    }

    @Test
    void stopsWhenTheOutputIsFull() {
        ByteBuffer src = ByteBuffer.allocate(16);
        ByteBuffer dst = ByteBuffer.allocate(5);  // room for two halves and a byte
        assertEquals(2, ElementConverter.convert(DType.F32, DType.F16, src, dst, null));
        assertEquals(8, src.position());
        assertEquals(4, dst.position());
        assertEquals(0, ElementConverter.convert(DType.F32, DType.F16, src, dst, null));
    }

    @Test
    void readsReadOnlyAndHeapBuffersWithoutChangingTheirOrder() {
        ByteBuffer src = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(0, 65504.0).asReadOnlyBuffer().order(ByteOrder.BIG_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocate(2);
        ConversionStats stats = new ConversionStats();
        assertEquals(1, ElementConverter.convert(DType.F64, DType.F16, src, dst, stats));
        assertEquals(ByteOrder.BIG_ENDIAN, src.order());
        assertEquals(ByteOrder.BIG_ENDIAN, dst.order());
        assertEquals(0x7BFF, dst.order(ByteOrder.LITTLE_ENDIAN).getShort(0));
        assertFalse(stats.lostValues());
    }

    @Test
    void refusesUnsupportedPairs() {
        assertFalse(ElementConverter.supports(DType.F32, DType.F64));
        assertFalse(ElementConverter.supports(DType.I64, DType.F16));
        assertFalse(ElementConverter.supports(DType.F8_E4M3, DType.F16));
        assertFalse(ElementConverter.supports(DType.F8_E4M3, DType.F8_E5M2));
        assertFalse(ElementConverter.supports(DType.I8, DType.F8_E4M3));
        assertFalse(ElementConverter.supports(DType.F32, DType.F8_E4M3FNUZ));
        assertFalse(ElementConverter.supports(DType.F16, DType.I16));
        assertFalse(ElementConverter.supports(null, DType.F16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ElementConverter.of(DType.C64, DType.F16));
        assertEquals("cannot convert C64 to F16", e.getMessage());
    }

    /** Every pair a {@link Precision} can ask for is supported. */
    @Test
    void supportsEveryPairAPrecisionProduces() {
        for (Precision p : Precision.values()) {
            for (DType t : DType.values()) {
                for (long[] shape : new long[][] {{}, {4}, {4, 4}}) {
                    DType target = p.target("model.diffusion_model.w", t, shape);
                    assertTrue(ElementConverter.supports(t, target), p + " " + t + " to " + target);
                }
            }
        }
    }

    @Test
    void copiesOtherTypesByteForByte() {
        byte[] bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        ByteBuffer dst = ByteBuffer.allocate(16);
        ConversionStats stats = new ConversionStats();
        assertEquals(1, ElementConverter.convert(DType.I64, DType.I64, ByteBuffer.wrap(bytes), dst, stats));
        assertEquals(8, dst.position());
        assertArrayEquals(java.util.Arrays.copyOf(bytes, 8), java.util.Arrays.copyOf(dst.array(), 8));
        assertEquals(1, stats.elements());
        // Six-bit floats come four to three bytes: 11 bytes hold three whole groups of four.
        dst.clear();
        ByteBuffer src = ByteBuffer.wrap(bytes);
        assertEquals(12, ElementConverter.convert(DType.F6_E2M3, DType.F6_E2M3, src, dst, null));
        assertEquals(9, src.position());
        assertEquals(9, dst.position());
        dst.clear();
        assertEquals(22, ElementConverter.convert(DType.F4, DType.F4, ByteBuffer.wrap(bytes), dst, null));
    }

    /**
     * A copy returns the same bytes and still reports the NaNs and infinities torch counted among
     * the same inputs when converting them.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32_F16", "F64_F32", "F16_F32", "BF16_F32"})
    void copiesOfFloatsCountNaNAndInfinity(Conversion c) {
        long[] inputs;
        JsonNode torch;
        if (c.from.elementSize() == 2) {
            inputs = java.util.stream.LongStream.range(0, 1 << 16).toArray();
            torch = ConversionExpectations.json().get("all16").get(c.key + "_counts");
        } else {
            inputs = TorchConversionTest.edgeInputs(c);
            torch = EDGES.get(c.key + "_counts");
        }
        ByteBuffer src = Conversion.encode(inputs, c.from);
        ByteBuffer dst = ByteBuffer.allocate(src.remaining());
        ConversionStats stats = new ConversionStats();
        assertEquals(inputs.length, ElementConverter.convert(c.from, c.from, src.duplicate(), dst, stats));
        assertEquals(src, dst.flip());
        assertEquals(torch.get("nanInputs").asLong(), stats.nanInputs());
        assertEquals(torch.get("infinityInputs").asLong(), stats.infinityInputs());
        assertEquals(0, stats.overflows() + stats.underflows());
    }

    @Test
    void statsAddUp() {
        ConversionStats a = new ConversionStats();
        ConversionStats b = new ConversionStats();
        ByteBuffer values = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1e6f).putFloat(1e-9f).putFloat(Float.NaN).flip();
        ElementConverter.convert(DType.F32, DType.F16, values, ByteBuffer.allocate(6), a);
        ElementConverter.convert(DType.F32, DType.F16, values.flip(), ByteBuffer.allocate(6), b);
        a.add(b);
        assertEquals(6, a.elements());
        assertEquals(2, a.overflows());
        assertEquals(2, a.underflows());
        assertEquals(2, a.nanInputs());
        assertEquals(0, a.infinityInputs());
        assertTrue(a.lostValues());
        assertEquals("ConversionStats[elements=6, nanInputs=2, infinityInputs=0, overflows=2, underflows=2]",
                a.toString());
    }
}
