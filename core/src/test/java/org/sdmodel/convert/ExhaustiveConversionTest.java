package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sdmodel.DType;

/**
 * Every one of the 2^32 float32 bit patterns through the bulk kernel to half and to bfloat16,
 * compared chunk by chunk (2^24 patterns a chunk) with the sha256 digests of torch's results,
 * and the loss counts compared with torch's totals. Chunks run on all cores.
 */
@Tag("slow")
class ExhaustiveConversionTest {
    private static final int CHUNKS = 256;
    private static final int CHUNK_BITS = 24;
    private static final int BLOCK = 1 << 16;

    @Test
    void everyFloat32MatchesTorch() throws Exception {
        List<String> torchF16 = digestLines("fp16-exhaustive.sha256");
        List<String> torchBf16 = digestLines("bf16-exhaustive.sha256");
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<ChunkResult>> futures = new ArrayList<>();
        try {
            for (int k = 0; k < CHUNKS; k++) {
                int chunk = k;
                futures.add(pool.submit(() -> convertChunk(chunk)));
            }
            ConversionStats f16 = new ConversionStats();
            ConversionStats bf16 = new ConversionStats();
            List<String> ourF16 = new ArrayList<>();
            List<String> ourBf16 = new ArrayList<>();
            for (Future<ChunkResult> f : futures) {
                ChunkResult r = f.get();
                ourF16.add(r.f16Digest);
                ourBf16.add(r.bf16Digest);
                f16.add(r.f16Stats);
                bf16.add(r.bf16Stats);
            }
            assertChunksEqual("half", torchF16, ourF16);
            assertChunksEqual("bfloat16", torchBf16, ourBf16);
            assertEquals(1L << 32, f16.elements());
            JsonNode all32 = ConversionExpectations.json().get("all32");
            assertEquals(ConversionExpectations.counts(all32.get("f32_to_f16_counts")), ConversionExpectations.counts(f16));
            assertEquals(ConversionExpectations.counts(all32.get("f32_to_bf16_counts")), ConversionExpectations.counts(bf16));
        } finally {
            pool.shutdownNow();
        }
    }

    private static final class ChunkResult {
        String f16Digest;
        String bf16Digest;
        final ConversionStats f16Stats = new ConversionStats();
        final ConversionStats bf16Stats = new ConversionStats();
    }

    private static ChunkResult convertChunk(int chunk) {
        ChunkResult r = new ChunkResult();
        ElementConverter toF16 = ElementConverter.of(DType.F32, DType.F16);
        ElementConverter toBf16 = ElementConverter.of(DType.F32, DType.BF16);
        MessageDigest f16 = ConversionExpectations.newSha256();
        MessageDigest bf16 = ConversionExpectations.newSha256();
        ByteBuffer in = ByteBuffer.allocateDirect(BLOCK * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(BLOCK * 2);
        IntBuffer ints = in.asIntBuffer();
        int first = chunk << CHUNK_BITS;
        for (int block = 0; block < (1 << CHUNK_BITS) / BLOCK; block++) {
            int base = first + block * BLOCK;
            for (int i = 0; i < BLOCK; i++) {
                ints.put(i, base + i);
            }
            toF16.convert(in.clear(), out.clear(), r.f16Stats);
            f16.update(out.flip());
            toBf16.convert(in.clear(), out.clear(), r.bf16Stats);
            bf16.update(out.flip());
        }
        r.f16Digest = HexFormat.of().formatHex(f16.digest());
        r.bf16Digest = HexFormat.of().formatHex(bf16.digest());
        return r;
    }

    /** The digests of a {@code NNN <sha256>} file, in chunk order. */
    private static List<String> digestLines(String file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(ConversionExpectations.dir().resolve(file))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.trim().split("\\s+");
            assertEquals(out.size(), Integer.parseInt(parts[0]), file + ": chunks out of order");
            out.add(parts[1]);
        }
        assertEquals(CHUNKS, out.size(), file);
        return out;
    }

    private static void assertChunksEqual(String what, List<String> torch, List<String> ours) {
        int wrong = 0;
        int first = -1;
        for (int k = 0; k < CHUNKS; k++) {
            if (!torch.get(k).equals(ours.get(k))) {
                wrong++;
                first = first < 0 ? k : first;
            }
        }
        if (wrong > 0) {
            fail(String.format("float32 -> %s: %d of %d chunks differ from torch; the first is chunk %d"
                    + " (bits 0x%08x..0x%08x)", what, wrong, CHUNKS, first,
                    (long) first << CHUNK_BITS, ((long) first + 1 << CHUNK_BITS) - 1));
        }
    }
}
