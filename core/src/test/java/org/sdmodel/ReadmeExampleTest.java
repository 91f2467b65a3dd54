package org.sdmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
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
        // --- README: Use as a library, "More", first example ---
        try (ModelFile model = ModelFile.open(TestFiles.testdata("sd1-train.ckpt"))) {
            Tensor w = model.stateDict().tensors().get("model.diffusion_model.out.2.bias");
            ByteBuffer bytes = w.readAll(1 << 20);        // dense, row-major, little-endian
            assertEquals(w.byteSize(), bytes.remaining());
            assertEquals(DType.F32, w.dtype());
        }
    }

    /**
     * The README's first library example is the code of testdata/consumer, which
     * testdata/consumer/run.sh builds against the installed artifact and runs (in CI).
     */
    @Test
    void theConsumerExampleIsTheConsumersCode() throws Exception {
        String readme = Files.readString(TestFiles.projectRoot().resolve("README.md"));
        String main = Files.readString(TestFiles.testdata("consumer/src/main/java/com/example/consumer/Main.java"));
        String region = main.split("// --- README: Use as a library ---\n", 2)[1].split("\n\s*// --- end ---", 2)[0];
        String code = region.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l).collect(Collectors.joining("\n"));
        String section = readme.substring(readme.indexOf("## Use as a library"));
        String firstBlock = section.substring(section.indexOf("```java\n") + 8, section.indexOf("\n```", section.indexOf("```java\n")));
        assertEquals(code, firstBlock);
    }

    @Test
    void pruneExampleWorks() throws Exception {
        Path in = TestFiles.testdata("sd1-train.ckpt");
        Path target = tmp.resolve("pruned.safetensors");
        // --- README: Use as a library, "More", second example ---
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
        // --- README: Use as a library, "More", merge example (Path.of(x) is at.apply(x): the files are in a temporary folder) ---
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
