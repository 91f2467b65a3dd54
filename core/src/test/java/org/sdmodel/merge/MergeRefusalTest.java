package org.sdmodel.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.TestFiles;

/** Models the merger refuses, each with one line saying why, before anything is written. */
class MergeRefusalTest {

    static String refusal(String a, String b, String c, MergeOptions options) throws Exception {
        try (ModelFile fa = ModelFile.open(path(a)); ModelFile fb = b == null ? null : ModelFile.open(path(b));
                ModelFile fc = c == null ? null : ModelFile.open(path(c))) {
            MergeException e = assertThrows(MergeException.class, () -> MergePlanner.plan(input(fa), input(fb), input(fc), options));
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
            return e.getMessage();
        }
    }

    static Path path(String name) {
        return TestFiles.testdata(name);
    }

    static MergeInput input(ModelFile f) {
        return f == null ? null : new MergeInput(f, f.path().getFileName().toString(), "0".repeat(64), "00000000");
    }

    @Test
    void differentArchitectures() throws Exception {
        assertEquals("A is sd1 (Stable Diffusion 1.x) but B is sdxl (Stable Diffusion XL): models of different"
                + " architectures cannot be merged", refusal("merge/a.ckpt", "arch/sdxl.safetensors", null, MergeOptions.weightedSum(0.5)));
        assertTrue(refusal("merge/a.ckpt", "merge/b.safetensors", "arch/sd2.safetensors", MergeOptions.addDifference(0.5))
                .startsWith("A is sd1 (Stable Diffusion 1.x) but C is sd2"));
    }

    @Test
    void aFileThatIsNoCheckpoint() throws Exception {
        assertTrue(refusal("merge/a.ckpt", "merge/vae.pt", null, MergeOptions.weightedSum(0.5))
                .startsWith("B is vae (VAE (AutoencoderKL)), not a checkpoint"));
    }

    @Test
    void shapesThatDifferOutsideTheChannelRule() throws Exception {
        assertEquals("model.diffusion_model.out.2.weight: A has shape [4, 8, 3, 3] but B has [4, 8, 1, 1] (not the same"
                + " model architecture?)", refusal("merge/a.ckpt", "merge/b-badshape.safetensors", null, MergeOptions.weightedSum(0.5)));
    }

    @Test
    void aNormalAWithAnInpaintingB() throws Exception {
        assertEquals("model.diffusion_model.input_blocks.0.0.weight: when merging an inpainting model with a normal one,"
                + " A must be the inpainting model", refusal("merge/a.ckpt", "merge/b-inpainting.safetensors", null,
                MergeOptions.weightedSum(0.5)));
    }

    @Test
    void badOptions() {
        assertThrows(PatternSyntaxException.class, () -> MergeOptions.weightedSum(0.5).withDiscard("model_ema.(("));
        assertThrows(IllegalArgumentException.class, () -> MergeOptions.weightedSum(1.5));
        assertThrows(IllegalArgumentException.class, () -> MergeOptions.weightedSum(Double.NaN));
    }

    @Test
    void pythonRegexSyntax() {
        assertEquals("(?<x>a)\\k<x>\\z\\.", PythonRegex.translate("(?P<x>a)(?P=x)\\Z\\."));
        assertTrue(PythonRegex.compile("\\w+_model\\Z").matcher("first_stage_model").find());
    }

    @Test
    void defaultNamesAreTheWebUis() throws Exception {
        try (ModelFile fa = ModelFile.open(path("merge/a.ckpt")); ModelFile fb = ModelFile.open(path("merge/b.safetensors"));
                ModelFile fc = ModelFile.open(path("merge/c.safetensors"))) {
            assertEquals("0.7(a) + 0.3(b)", MergePlanner.plan(input(fa), input(fb), null, MergeOptions.weightedSum(0.3)).defaultName());
            assertEquals("a + 0.12(b - c)", MergePlanner.plan(input(fa), input(fb), input(fc), MergeOptions.addDifference(0.125)).defaultName());
            assertEquals("a", MergePlanner.plan(input(fa), null, null, MergeOptions.noInterpolation()).defaultName());
        }
        assertEquals("0.12", MergePlanner.round2(0.125));   // Python: round(0.125, 2) == 0.12 (exact tie, to even)
        assertEquals("0.68", MergePlanner.round2(0.675));   // 0.675 is 0.67500000000000004 as a double
        assertEquals("1.0", MergePlanner.round2(1.0));
    }
}
