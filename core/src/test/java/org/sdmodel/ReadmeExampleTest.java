package org.sdmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.prune.Pruner;
import org.sdmodel.safetensors.SafetensorsWriter;
import org.sdmodel.testing.TestFiles;

/** The library examples of the README, as written there, on a bundled fixture. */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    @Test
    void readingExampleWorks() throws Exception {
        StringBuilder printed = new StringBuilder();
        // --- README: Library, first example (System.out.println replaced by printed.append) ---
        try (ModelFile model = ModelFile.open(TestFiles.testdata("sd1-train.ckpt"))) {
            for (Map.Entry<String, Tensor> e : model.stateDict().tensors().entrySet()) {
                Tensor t = e.getValue();
                printed.append(e.getKey() + " " + t.dtype() + Arrays.toString(t.shape())).append('\n');
            }
            Tensor w = model.stateDict().tensors().get("model.diffusion_model.out.2.bias");
            ByteBuffer bytes = w.readAll(1 << 20);        // dense, row-major, little-endian
            assertEquals(w.byteSize(), bytes.remaining());
        }
        assertTrue(printed.toString().contains("model.diffusion_model.out.2.bias F32[4]"), printed.toString());
    }

    @Test
    void pruneExampleWorks() throws Exception {
        Path in = TestFiles.testdata("sd1-train.ckpt");
        Path target = tmp.resolve("pruned.safetensors");
        // --- README: Library, second example ---
        try (ModelFile model = ModelFile.open(in);
             AtomicOutput out = AtomicOutput.create(target, false)) {
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
            SafetensorsWriter writer = Pruner.writerFor(plan, Map.of("format", "pt"));
            Pruner.write(plan, writer, out.channel(), Pruner.Progress.NONE);
            Pruner.checkWritten(writer, out.channel());    // header bytes and size, as meant
            out.commit();
        }
        try (ModelFile pruned = ModelFile.open(target)) {
            assertEquals("pt", pruned.metadata().get("format"));
            assertEquals(DType.F16, pruned.stateDict().tensors().get("model.diffusion_model.out.2.bias").dtype());
        }
    }
}
