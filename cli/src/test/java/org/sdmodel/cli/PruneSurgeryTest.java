package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.testing.TestFiles;

/** {@code --bake-vae} and {@code --fix-clip} on prune and convert. */
class PruneSurgeryTest {
    @TempDir
    Path dir;

    @BeforeEach
    void fixtures() throws Exception {
        for (String f : List.of("a.ckpt", "vae.pt", "broken-clip.safetensors")) {
            Files.copy(TestFiles.testdata("merge/" + f), dir.resolve(f));
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void pruneBakesTheVaeAsTheWebUisMergerDoes() throws Exception {
        CliRunner r = CliRunner.run("prune", p("a.ckpt"), "--bake-vae", p("vae.pt"), "-o", p("out.safetensors"), "--verify");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("VAE baked in: " + p("vae.pt") + " (6 tensors replaced; 1 VAE tensor the model lacks ignored)"), r.out);
        // the web UI's "no interpolation, save as float16, bake in VAE" of the same model: its first stage is the VAE's, in fp16
        try (ModelFile ours = ModelFile.open(dir.resolve("out.safetensors"));
                ModelFile webui = ModelFile.open(TestFiles.testdata("merge/expected/ni-half-vae.safetensors"))) {
            int compared = 0;
            for (Map.Entry<String, Tensor> e : webui.stateDict().tensors().entrySet()) {
                if (e.getKey().startsWith("first_stage_model.")) {
                    Tensor t = ours.stateDict().tensors().get(e.getKey());
                    assertEquals(e.getValue().dtype(), t.dtype(), e.getKey());
                    assertEquals(e.getValue().readAll(1 << 20), t.readAll(1 << 20), e.getKey());
                    compared++;
                }
            }
            assertEquals(6, compared);
            assertEquals("vae.pt", ours.metadata().get("sdmodel.vae"));
        }
    }

    @Test
    void convertBakesTheVaeLosslessly() throws Exception {
        CliRunner r = CliRunner.run("convert", p("a.ckpt"), "--bake-vae", p("vae.pt"), "-o", p("out.safetensors"), "--json");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("\"bake_vae\""), r.out);
        try (ModelFile ours = ModelFile.open(dir.resolve("out.safetensors")); ModelFile vae = ModelFile.open(dir.resolve("vae.pt"))) {
            Tensor baked = ours.stateDict().tensors().get("first_stage_model.decoder.conv_out.bias");
            Tensor original = vae.stateDict().tensors().get("decoder.conv_out.bias");
            assertEquals(DType.F16, baked.dtype()); // the VAE's own dtype, unchanged by convert
            assertEquals(original.readAll(1 << 20), baked.readAll(1 << 20));
        }
    }

    @Test
    void aVaeFileThatIsNotOneIsRefusedAndNothingWritten() throws Exception {
        CliRunner r = CliRunner.run("prune", p("a.ckpt"), "--bake-vae", p("broken-clip.safetensors"), "-o", p("out.safetensors"));
        assertEquals(1, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("sdmodel: " + p("broken-clip.safetensors") + ": is not a VAE file: it is sd1"), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(3, s.count());
        }
    }

    @Test
    void fixClipResetsPositionIdsAndSaysWhatWasThere() throws Exception {
        for (String command : List.of("prune", "convert")) {
            Path out = dir.resolve(command + ".safetensors");
            CliRunner r = CliRunner.run(command, p("broken-clip.safetensors"), "--fix-clip", "-o", out.toString());
            assertEquals(0, r.exitCode, r.toString());
            assertTrue(r.out.contains("CLIP cond_stage_model.transformer.text_model.embeddings.position_ids: F32[1, 77],"
                    + " 1 value not their index (at 76: 75.9999924) -> I64[1, 77] arange(77)"), r.out);
            try (ModelFile f = ModelFile.open(out)) {
                Tensor ids = f.stateDict().tensors().get("cond_stage_model.transformer.text_model.embeddings.position_ids");
                assertEquals(DType.I64, ids.dtype());
                ByteBuffer b = ids.readAll(1000);
                for (int i = 0; i < 77; i++) {
                    assertEquals(i, b.getLong(8 * i));
                }
            }
        }
    }
}
