package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * Kills the real CLI ({@code kill -9}, in a child JVM) at several points while it converts a
 * 256 MiB checkpoint to a 256 MiB output, and checks that the output either does not exist or is
 * complete: byte for byte what an uninterrupted run writes. A temporary {@code .sdmodel-partial}
 * file may survive a {@code kill -9} (nothing can remove it then); it is reported, never under
 * the output's name.
 */
class AtomicWriteKillTest {
    private static final long TENSOR_BYTES = 64L << 20;
    private static final int TENSORS = 4;

    @TempDir
    Path dir;

    @Test
    void aKilledConvertLeavesNoOutputOrACompleteOne() throws Exception {
        Path input = dir.resolve("big.safetensors");
        writeInput(input);
        Path out = Files.createDirectories(dir.resolve("out"));
        Path target = out.resolve("big.safetensors");

        // An uninterrupted run: the reference output, and how long the writing takes (from the
        // temporary file's creation to the process's exit).
        Process full = convert(input, target);
        long writeStart = waitForPartial(full, out);
        assertTrue(full.waitFor(120, TimeUnit.SECONDS), "the reference run did not finish");
        long writeNanos = System.nanoTime() - writeStart;
        assertEquals(0, full.exitValue(), Files.readString(dir.resolve("child.log")));
        Path reference = Files.move(target, dir.resolve("reference.safetensors"));
        assertTrue(Files.size(reference) > TENSORS * TENSOR_BYTES);

        int killedMidWrite = 0;
        List<String> leftovers = new ArrayList<>();
        for (double fraction : new double[] {0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97}) {
            Process p = convert(input, target);
            waitForPartial(p, out);
            boolean exited = p.waitFor((long) (writeNanos * fraction), TimeUnit.NANOSECONDS);
            boolean writing = !partials(out).isEmpty();
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            if (!exited && writing) {
                killedMidWrite++;
            }
            if (Files.exists(target)) {
                assertEquals(-1, Files.mismatch(reference, target), "a killed run left an incomplete " + target);
                try (ModelFile m = ModelFile.open(target)) {
                    assertEquals(TENSORS, m.stateDict().tensors().size());
                }
                Files.delete(target);
            }
            for (Path partial : partials(out)) {
                leftovers.add(partial.getFileName().toString());
                Files.delete(partial);
            }
        }
        System.out.printf("kill test: writing takes %.2f s; %d of 8 kills hit it; temp files left by kill -9: %s%n",
                writeNanos / 1e9, killedMidWrite, leftovers);
        assertTrue(killedMidWrite >= 4, "only " + killedMidWrite + " kills hit the write: the test did not test much");
        for (String name : leftovers) {
            assertTrue(name.startsWith(".big.safetensors.") && name.endsWith(AtomicOutput.TEMP_SUFFIX), name);
        }
    }

    /** Waits until the child has created its temporary output (or exited); returns when, in nanoseconds. */
    private static long waitForPartial(Process p, Path folder) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (partials(folder).isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return System.nanoTime();
    }

    private static List<Path> partials(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(AtomicOutput.TEMP_SUFFIX)).toList();
        }
    }

    /** {@code sdmodel convert} in a child JVM, with this test's class path. */
    private Process convert(Path input, Path target) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "convert", "--quiet", "--force", input.toString(), "-o", target.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    }

    /** Four F32 tensors of 64 MiB whose bytes are a function of their position: nothing held in memory. */
    private static void writeInput(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < TENSORS; i++) {
            tensors.put("model.diffusion_model.block" + i + ".weight", new PatternTensor(i));
        }
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
        assertTrue(Files.size(file) > TENSORS * TENSOR_BYTES);
    }

    private static final class PatternTensor implements Tensor {
        private final int seed;

        PatternTensor(int seed) {
            this.seed = seed;
        }

        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        public long[] shape() {
            return new long[] {TENSOR_BYTES / 4};
        }

        @Override
        public int read(long position, ByteBuffer dst) {
            int n = (int) Math.min(dst.remaining(), TENSOR_BYTES - position);
            for (int i = 0; i < n; i++) {
                long p = position + i;
                dst.put((byte) (p * 31 + (p >>> 9) + seed));
            }
            return Math.max(n, 0);
        }
    }
}
