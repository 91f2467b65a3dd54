package org.sdmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.merge.MergeInput;
import org.sdmodel.merge.MergeOptions;
import org.sdmodel.merge.MergePlan;
import org.sdmodel.merge.MergePlanner;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
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
        try (ModelFile model = ModelFile.open(in)) {
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
            WriteResult result = ModelWriter.write(plan.tensors(plan.metadata(model, true)), target, WriteOptions.defaults());
        }
        try (ModelFile pruned = ModelFile.open(target)) {
            assertEquals("pt", pruned.metadata().get("format"));
            assertEquals(DType.F16, pruned.stateDict().tensors().get("model.diffusion_model.out.2.bias").dtype());
        }
    }

    @Test
    void mergeExampleWorks() throws Exception {
        java.nio.file.Files.copy(TestFiles.testdata("merge/a-inpainting.safetensors"), tmp.resolve("sd15-inpainting.ckpt"));
        java.nio.file.Files.copy(TestFiles.testdata("merge/b.safetensors"), tmp.resolve("dreamshaper.safetensors"));
        java.nio.file.Files.copy(TestFiles.testdata("merge/c.safetensors"), tmp.resolve("v1-5-pruned.ckpt"));
        Path here = tmp;
        java.util.function.Function<String, Path> at = here::resolve;
        WriteResult[] written = new WriteResult[1];
        // --- README: Library, merge example (Path.of(x) is at.apply(x): the files are in a temporary folder) ---
        try (ModelFile a = ModelFile.open(at.apply("sd15-inpainting.ckpt"));
             ModelFile b = ModelFile.open(at.apply("dreamshaper.safetensors"));
             ModelFile c = ModelFile.open(at.apply("v1-5-pruned.ckpt"))) {
            MergePlan plan = MergePlanner.plan(MergeInput.of(a), MergeInput.of(b), MergeInput.of(c),
                    MergeOptions.addDifference(1.0).withSaveAsHalf(true));
            WriteResult result = ModelWriter.write(plan.tensors(), at.apply("dreamshaper-inpainting.safetensors"),
                    WriteOptions.defaults().withVerify(true));   // atomic, self-checked, re-read and compared
            written[0] = result;
        }
        try (ModelFile merged = ModelFile.open(written[0].target())) {
            assertTrue(merged.metadata().get("sd_merge_recipe").contains("\"is_inpainting\": true"));
            assertEquals(DType.F16, merged.stateDict().tensors().get("model.diffusion_model.out.2.weight").dtype());
        }
    }
}
