package org.sdmodel.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.engine.Expr;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.testing.SameTensors;
import org.sdmodel.testing.TestFiles;

/**
 * Extraction against the layouts ComfyUI's save nodes write, computed with torch by
 * {@code testdata/merge/make_merge_fixtures.py}; baking a VAE and fixing CLIP on the fixtures.
 */
class ComponentPlannerTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        return TestFiles.testdata("merge/" + name);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "a.ckpt, VAE, vae, extract-a-vae",
        "a.ckpt, UNET, unet, extract-a-unet",
        "a.ckpt, TEXT_ENCODER, clip_l, extract-a-clip_l",
        "b.safetensors, TEXT_ENCODER, clip_l, extract-b-clip_l",
        "sd2.ckpt, TEXT_ENCODER, clip_h, extract-sd2-clip_h",
    })
    void extractionHasTheStandaloneLayout(String model, ComponentType type, String name, String expected) throws Exception {
        try (ModelFile in = ModelFile.open(fixture(model))) {
            List<ComponentPlanner.Extraction> out = ComponentPlanner.extract(in, type);
            assertEquals(1, out.size());
            assertEquals(name, out.get(0).name());
            check(out.get(0), expected);
        }
    }

    @Test
    void sdxlHasTwoTextEncoders() throws Exception {
        try (ModelFile in = ModelFile.open(fixture("sdxl.safetensors"))) {
            List<ComponentPlanner.Extraction> out = ComponentPlanner.extract(in, ComponentType.TEXT_ENCODER);
            assertEquals(List.of("clip_l", "clip_g"), out.stream().map(ComponentPlanner.Extraction::name).toList());
            check(out.get(0), "extract-sdxl-clip_l");
            check(out.get(1), "extract-sdxl-clip_g");
            assertEquals(List.of("conditioner.embedders.1.model.attn_mask"), out.get(1).leftOut());
        }
    }

    private void check(ComponentPlanner.Extraction x, String expected) throws Exception {
        Path out = tmp.resolve(expected + ".safetensors");
        ModelWriter.write(x.plan(), out, WriteOptions.defaults().withVerify(true));
        try (ModelFile ours = ModelFile.open(out); ModelFile torch = ModelFile.open(fixture("expected/" + expected + ".safetensors"))) {
            SameTensors.assertSameTensors(torch.stateDict().tensors(), ours.stateDict().tensors());
            assertEquals("pt", ours.metadata().get("format"));
        }
    }

    @Test
    void extractingWhatIsNotThereIsRefused() throws Exception {
        try (ModelFile vae = ModelFile.open(TestFiles.testdata("arch/vae-ft-mse.ckpt"))) {
            ComponentException e = assertThrows(ComponentException.class, () -> ComponentPlanner.extract(vae, ComponentType.VAE));
            assertTrue(e.getMessage().contains("it is a VAE file already"), e.getMessage());
            e = assertThrows(ComponentException.class, () -> ComponentPlanner.extract(vae, ComponentType.UNET));
            assertTrue(e.getMessage().startsWith("has no UNet"), e.getMessage());
        }
    }

    @Test
    void aVaeFileIsReadAsTheWebUiReadsIt() throws Exception {
        try (ModelFile f = ModelFile.open(fixture("vae.pt"))) {
            VaeFile vae = VaeFile.load(f);
            assertEquals("vae.pt", vae.name());
            assertFalse(vae.tensors().keySet().stream().anyMatch(k -> k.startsWith("loss") || k.startsWith("model_ema.")));
            assertTrue(vae.tensors().containsKey("decoder.mid.attn_1.q.weight"));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "merge/a.ckpt, it is sd1",
        "arch/lora-kohya.safetensors, it is lora",
        "arch/vae-first-stage.safetensors, first_stage_model",
    })
    void aFileThatIsNotAVaeIsRefused(String file, String says) throws Exception {
        try (ModelFile f = ModelFile.open(TestFiles.testdata(file))) {
            ComponentException e = assertThrows(ComponentException.class, () -> VaeFile.load(f));
            assertTrue(e.getMessage().startsWith("is not a VAE file: ") && e.getMessage().contains(says), e.getMessage());
        }
    }

    @Test
    void bakingReplacesTheFirstStageThatExists() throws Exception {
        try (ModelFile a = ModelFile.open(fixture("a.ckpt")); ModelFile v = ModelFile.open(fixture("vae.pt"))) {
            Map<String, Expr> sd = sources(a);
            ComponentPlanner.VaeBake bake = ComponentPlanner.bakeVae(sd, VaeFile.load(v), UnaryOperator.identity());
            assertEquals(6, bake.replaced().size());
            assertEquals(List.of("decoder.mid.attn_1.q.weight"), bake.unused());
            assertEquals(DType.F16, sd.get("first_stage_model.decoder.conv_out.bias").dtype()); // the VAE's dtype
            assertEquals("vae.pt:encoder.conv_in.weight", sd.get("first_stage_model.encoder.conv_in.weight").toString());
        }
    }

    @Test
    void bakingIntoAModelWithoutFirstStageIsRefused() throws Exception {
        try (ModelFile a = ModelFile.open(fixture("a.ckpt")); ModelFile v = ModelFile.open(fixture("vae.pt"))) {
            Map<String, Expr> sd = sources(a);
            sd.keySet().removeIf(k -> k.startsWith("first_stage_model."));
            ComponentException e = assertThrows(ComponentException.class,
                    () -> ComponentPlanner.bakeVae(sd, VaeFile.load(v), UnaryOperator.identity()));
            assertTrue(e.getMessage().contains("nothing to bake the VAE into"), e.getMessage());
        }
    }

    @Test
    void fixClipResetsBrokenPositionIdsAndSaysWhat() throws Exception {
        try (ModelFile m = ModelFile.open(fixture("broken-clip.safetensors"))) {
            Map<String, Expr> sd = sources(m);
            List<ComponentPlanner.ClipFix> fixes = ComponentPlanner.fixClip(sd);
            assertEquals(1, fixes.size());
            assertTrue(fixes.get(0).changed());
            assertEquals("F32[1, 77], 1 value not their index (at 76: 75.9999924)", fixes.get(0).before());
            Path out = tmp.resolve("fixed.safetensors");
            List<TensorPlan.Entry> entries = sd.entrySet().stream().map(e -> new TensorPlan.Entry(e.getKey(), e.getValue())).toList();
            ModelWriter.write(TensorPlan.of(entries, Map.of("format", "pt")), out, WriteOptions.defaults());
            try (ModelFile fixed = ModelFile.open(out)) {
                Tensor ids = fixed.stateDict().tensors().get("cond_stage_model.transformer.text_model.embeddings.position_ids");
                assertEquals(DType.I64, ids.dtype());
                java.nio.ByteBuffer b = ids.readAll(1000);
                for (int i = 0; i < 77; i++) {
                    assertEquals(i, b.getLong(i * 8));
                }
            }
        }
        try (ModelFile m = ModelFile.open(fixture("a.ckpt"))) {
            List<ComponentPlanner.ClipFix> fixes = ComponentPlanner.fixClip(sources(m));
            assertEquals(1, fixes.size());
            assertFalse(fixes.get(0).changed());
        }
    }

    static Map<String, Expr> sources(ModelFile m) throws Exception {
        Map<String, Expr> sd = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().tensors().entrySet()) {
            sd.put(e.getKey(), Expr.source(e.getKey(), e.getValue()));
        }
        return sd;
    }
}
