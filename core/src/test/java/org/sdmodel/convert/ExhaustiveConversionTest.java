package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sdmodel.DType;

/**
 * Every one of the 2^32 float32 bit patterns through the bulk kernel to half, bfloat16, float8
 * e4m3fn and float8 e5m2, each output compared with torch 2.11's ({@link TorchOracle}: the steps
 * are walked alongside the inputs, one pass, no search), and the loss counts compared with the
 * counts the steps give. Chunks of 2^24 patterns run on all cores. The half and bfloat16 counts
 * are also torch 1.13's (they do not depend on NaN payloads).
 */
@Tag("slow")
class ExhaustiveConversionTest {
    private static final int CHUNKS = 256;
    private static final int CHUNK_BITS = 24;
    private static final int BLOCK = 1 << 16;
    private static final DType[] TARGETS = {DType.F16, DType.BF16, DType.F8_E4M3, DType.F8_E5M2};

    @Test
    void everyFloat32MatchesTorch2() throws Exception {
        TorchOracle.Table[] torch = new TorchOracle.Table[TARGETS.length];
        for (int t = 0; t < TARGETS.length; t++) {
            torch[t] = TorchOracle.table(DType.F32, TARGETS[t]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<ChunkResult>> futures = new ArrayList<>();
            for (int k = 0; k < CHUNKS; k++) {
                int chunk = k;
                futures.add(pool.submit(() -> convertChunk(chunk, torch)));
            }
            ConversionStats[] totals = new ConversionStats[TARGETS.length];
            long[] wrong = new long[TARGETS.length];
            String[] firstWrong = new String[TARGETS.length];
            for (int t = 0; t < TARGETS.length; t++) {
                totals[t] = new ConversionStats();
            }
            for (Future<ChunkResult> f : futures) {
                ChunkResult r = f.get();
                for (int t = 0; t < TARGETS.length; t++) {
                    totals[t].add(r.stats[t]);
                    wrong[t] += r.wrong[t];
                    if (firstWrong[t] == null) {
                        firstWrong[t] = r.firstWrong[t];
                    }
                }
            }
            List<String> failures = new ArrayList<>();
            for (int t = 0; t < TARGETS.length; t++) {
                if (wrong[t] > 0) {
                    failures.add(String.format("float32 -> %s: %d of 2^32 results differ from torch %s, the first %s",
                            TARGETS[t], wrong[t], torch[t].torch, firstWrong[t]));
                }
            }
            if (!failures.isEmpty()) {
                fail(String.join("\n", failures));
            }
            for (int t = 0; t < TARGETS.length; t++) {
                assertEquals(1L << 32, totals[t].elements());
                assertEquals(torch[t].counts(0, 0xFFFF_FFFFL), ConversionExpectations.counts(totals[t]),
                        "float32 -> " + TARGETS[t] + " loss counts");
            }
            JsonNode all32 = ConversionExpectations.json().get("all32");
            assertEquals(ConversionExpectations.counts(all32.get("f32_to_f16_counts")), ConversionExpectations.counts(totals[0]),
                    "torch 1.13's half loss counts");
            assertEquals(ConversionExpectations.counts(all32.get("f32_to_bf16_counts")), ConversionExpectations.counts(totals[1]),
                    "torch 1.13's bfloat16 loss counts");
        } finally {
            pool.shutdownNow();
        }
    }

    private static final class ChunkResult {
        final ConversionStats[] stats = new ConversionStats[TARGETS.length];
        final long[] wrong = new long[TARGETS.length];
        final String[] firstWrong = new String[TARGETS.length];
    }

    private static ChunkResult convertChunk(int chunk, TorchOracle.Table[] torch) {
        ChunkResult r = new ChunkResult();
        ElementConverter[] converters = new ElementConverter[TARGETS.length];
        TorchOracle.Table.Walker[] walkers = new TorchOracle.Table.Walker[TARGETS.length];
        long first = (long) chunk << CHUNK_BITS;
        for (int t = 0; t < TARGETS.length; t++) {
            r.stats[t] = new ConversionStats();
            converters[t] = ElementConverter.of(DType.F32, TARGETS[t]);
            walkers[t] = torch[t].walker(first);
        }
        ByteBuffer in = ByteBuffer.allocateDirect(BLOCK * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
        IntBuffer ints = in.asIntBuffer();
        short[] halves = new short[BLOCK];
        byte[] bytes = new byte[BLOCK];
        for (int block = 0; block < (1 << CHUNK_BITS) / BLOCK; block++) {
            long base = first + (long) block * BLOCK;
            for (int i = 0; i < BLOCK; i++) {
                ints.put(i, (int) (base + i));
            }
            for (int t = 0; t < TARGETS.length; t++) {
                converters[t].convert(in.clear(), out.clear(), r.stats[t]);
                out.flip();
                TorchOracle.Table.Walker walker = walkers[t];
                if (TARGETS[t].bits() == 16) {
                    out.asShortBuffer().get(halves);
                    for (int i = 0; i < BLOCK; i++) {
                        int expected = walker.at(base + i);
                        if ((halves[i] & 0xFFFF) != expected) {
                            mismatch(r, t, base + i, expected, halves[i] & 0xFFFF);
                        }
                    }
                } else {
                    out.get(bytes, 0, BLOCK);
                    for (int i = 0; i < BLOCK; i++) {
                        int expected = walker.at(base + i);
                        if ((bytes[i] & 0xFF) != expected) {
                            mismatch(r, t, base + i, expected, bytes[i] & 0xFF);
                        }
                    }
                }
            }
        }
        return r;
    }

    private static void mismatch(ChunkResult r, int target, long input, int expected, int actual) {
        if (r.wrong[target]++ == 0) {
            r.firstWrong[target] = String.format("%08x: torch %x, ours %x", input, expected, actual);
        }
    }
}
