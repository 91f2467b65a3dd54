package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.SameTensors;
import org.sdmodel.testing.TestFiles;

/** {@code sdmodel merge} and {@code sdmodel extract} as a user runs them. */
class MergeCommandTest {
    @TempDir
    Path dir;

    @BeforeEach
    void fixtures() throws Exception {
        for (String f : List.of("a.ckpt", "a.yaml", "b.safetensors", "c.safetensors", "vae.pt", "a-inpainting.safetensors",
                "b-inpainting.safetensors", "b-badshape.safetensors", "sdxl.safetensors", "sd2.ckpt")) {
            Files.copy(TestFiles.testdata("merge/" + f), dir.resolve(f));
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void defaultNameIsTheWebUisAndTheConfigIsCopied() throws Exception {
        CliRunner r = CliRunner.run("merge", p("a.ckpt"), p("b.safetensors"));
        assertEquals(0, r.exitCode, r.toString());
        Path out = dir.resolve("0.7(a) + 0.3(b).safetensors");
        assertTrue(Files.exists(out), listing().toString());
        assertEquals(Files.readString(dir.resolve("a.yaml")), Files.readString(dir.resolve("0.7(a) + 0.3(b).yaml")));
        assertTrue(r.out.contains("Weighted sum, M = 0.3: 21 tensors merged, 4 kept from A, 1 only in B dropped"), r.out);
        try (ModelFile ours = ModelFile.open(out); ModelFile webui = ModelFile.open(TestFiles.testdata("merge/expected/ws.safetensors"))) {
            SameTensors.assertSameTensors(webui.stateDict().tensors(), ours.stateDict().tensors());
            assertEquals(webui.metadata(), ours.metadata());
        }
    }

    @Test
    void jsonSummary() throws Exception {
        CliRunner r = CliRunner.run("merge", p("a-inpainting.safetensors"), p("b.safetensors"), p("c.safetensors"),
                "--save-as-half", "--bake-vae", p("vae.pt"), "--discard", "^model_ema\\.", "--fix-clip", "-o", p("out.safetensors"),
                "--json", "--verify");
        assertEquals(0, r.exitCode, r.toString());
        JsonNode all = new ObjectMapper().readTree(r.out);
        assertTrue(all.isArray() && all.size() == 1, r.out);
        JsonNode j = all.get(0);
        assertEquals("add-difference", j.get("method").asText());
        assertEquals("Add difference", j.get("interp_method").asText());
        assertTrue(j.get("inpainting").asBoolean());
        assertEquals("model.diffusion_model.input_blocks.0.0.weight", j.get("channel_merged").get(0).asText());
        assertEquals(6, j.get("bake_vae").get("replaced").size());
        assertEquals(2, j.get("discarded").size());
        assertFalse(j.get("clip_fixes").get(0).get("changed").asBoolean());
        JsonNode recipe = new ObjectMapper().readTree(j.get("metadata").get("sd_merge_recipe").asText());
        assertEquals("out", recipe.get("custom_name").asText());
        assertEquals("vae.pt", recipe.get("bake_in_vae").asText());
        assertTrue(recipe.get("is_inpainting").asBoolean());
        assertTrue(Files.exists(dir.resolve("out.safetensors")));
    }

    @Test
    void dryRunWritesNothing() throws Exception {
        List<String> before = listing();
        CliRunner r = CliRunner.run("merge", p("a.ckpt"), p("b.safetensors"), p("c.safetensors"), "--dry-run");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("(dry run: nothing written)"), r.out);
        assertTrue(r.out.contains("model.diffusion_model.time_embed.0.bias F32[16] = A + (0.3 * zeros(F16[16]))"), r.out);
        assertEquals(before, listing());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "SD1 with SDXL | 1 | a.ckpt sdxl.safetensors | A is sd1 (Stable Diffusion 1.x) but B is sdxl",
        "shapes | 1 | a.ckpt b-badshape.safetensors | model.diffusion_model.out.2.weight: A has shape [4, 8, 3, 3] but B has [4, 8, 1, 1]",
        "normal A, inpainting B | 1 | a.ckpt b-inpainting.safetensors | A must be the inpainting model",
        "not a VAE | 1 | a.ckpt b.safetensors --bake-vae b.safetensors | b.safetensors: is not a VAE file: it is sd1",
        "regex | 2 | a.ckpt b.safetensors --discard (( | --discard: invalid regular expression: Unclosed group",
        "multiplier | 2 | a.ckpt b.safetensors -m 1.5 | --multiplier: the multiplier must be from 0 to 1",
        "models for the method | 2 | a.ckpt b.safetensors --method add-difference | add-difference takes 3 models (A B C), not 2",
        "missing input | 1 | a.ckpt nothing.safetensors | nothing.safetensors: no such file",
        "output is an input | 2 | a.ckpt b.safetensors -o b.safetensors --force | b.safetensors: is the input file",
        "output exists | 2 | a.ckpt b.safetensors -o c.safetensors | c.safetensors: already exists",
    })
    void badInputIsOneLineAndWritesNothing(String what, int code, String args, String message) throws Exception {
        List<String> before = listing();
        String[] words = args.split(" ");
        String[] argv = new String[words.length + 1];
        argv[0] = "merge";
        for (int i = 0; i < words.length; i++) {
            boolean file = words[i].contains(".") && !words[i].startsWith("-") && !words[i].matches("[0-9.]+");
            argv[i + 1] = file ? p(words[i]) : words[i];
        }
        CliRunner r = CliRunner.run(argv);
        assertEquals(code, r.exitCode, r.toString());
        assertTrue(r.err.contains(message), r.toString());
        assertTrue(r.err.startsWith("sdmodel: "), r.err);
        long lines = r.err.lines().filter(l -> !l.startsWith("Try 'sdmodel")).count();
        assertEquals(1, lines, r.err);
        assertEquals(before, listing());
    }

    @Test
    void extractWritesTheWebUisVaeName() throws Exception {
        CliRunner r = CliRunner.run("extract", p("a.ckpt"), "--component", "vae");
        assertEquals(0, r.exitCode, r.toString());
        try (ModelFile ours = ModelFile.open(dir.resolve("a.vae.safetensors"));
                ModelFile torch = ModelFile.open(TestFiles.testdata("merge/expected/extract-a-vae.safetensors"))) {
            SameTensors.assertSameTensors(torch.stateDict().tensors(), ours.stateDict().tensors());
        }
    }

    @Test
    void extractTwoTextEncodersNeedsAFolder() throws Exception {
        CliRunner r = CliRunner.run("extract", p("sdxl.safetensors"), "-c", "text-encoder", "-o", p("te.safetensors"));
        assertEquals(2, r.exitCode, r.toString());
        assertTrue(r.err.contains("has 2 text encoders (clip_l, clip_g): give -o a folder"), r.err);
        r = CliRunner.run("extract", p("sdxl.safetensors"), "-c", "text-encoder");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(Files.exists(dir.resolve("sdxl.clip_l.safetensors")) && Files.exists(dir.resolve("sdxl.clip_g.safetensors")));
    }

    @Test
    void extractWhatIsNotThere() throws Exception {
        CliRunner r = CliRunner.run("extract", p("vae.pt"), "-c", "unet");
        assertEquals(1, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("sdmodel: " + p("vae.pt") + ": has no UNet (model.diffusion_model.*)"), r.err);
    }
}
