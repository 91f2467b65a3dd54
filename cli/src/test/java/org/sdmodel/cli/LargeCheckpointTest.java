package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.testing.TestFiles;

/**
 * A checkpoint past 4 GiB (ZIP64 records, storages at offsets beyond 2^32) written by real torch
 * with the repository's generator prunes correctly: --verify re-reads every output tensor and
 * compares it with its source converted again. Needs /usr/bin/python3 with torch; .ci/run
 * installs it.
 */
@Tag("slow")
class LargeCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void aCheckpointPastFourGibibytesPrunesCorrectly() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
        assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "no torch for /usr/bin/python3");
        assumeTrue(Files.getFileStore(tmp).getUsableSpace() > (12L << 30), "needs 12 GiB of free disk");

        Path ckpt = tmp.resolve("sd-large.ckpt");
        Process gen = new ProcessBuilder("/usr/bin/python3",
                TestFiles.testdata("bench/make_sd_checkpoint.py").toString(), ckpt.toString(), "--width-divisor", "1.33")
                .inheritIO().start();
        assertTrue(gen.waitFor(20, TimeUnit.MINUTES) && gen.exitValue() == 0, "the generator failed");
        assertTrue(Files.size(ckpt) > (4L << 30), "the input must be past 4 GiB: " + Files.size(ckpt));

        Path out = tmp.resolve("sd-large-pruned.safetensors");
        CliRunner r = CliRunner.run("prune", "-q", "--verify", ckpt.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode, r.toString());
        try (ModelFile in = ModelFile.open(ckpt); ModelFile pruned = ModelFile.open(out)) {
            long last = 0;
            for (Tensor t : in.stateDict().tensors().values()) {
                last = Math.max(last, t.byteSize());
            }
            Tensor w = pruned.stateDict().tensors().get("model.diffusion_model.out.2.weight");
            assertEquals(DType.F16, w.dtype());
            assertEquals(DType.F32, pruned.stateDict().tensors().get("alphas_cumprod").dtype());
            assertTrue(pruned.stateDict().tensors().keySet().stream().noneMatch(k -> k.startsWith("model_ema.")));
            assertTrue(Files.size(out) < Files.size(ckpt) / 3, "fp16 without EMA is under a third of the input");
        }
    }
}
