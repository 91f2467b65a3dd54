package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;

/**
 * The README's examples for the web UI (sections install-v2, hash, Where files go) run as written,
 * by bash, with the built launcher as {@code sdmodel} on the PATH, in a home folder holding a web
 * UI laid out as its checkout is and the files the examples name; and the "Where files go" sample
 * is what {@code inspect} prints there (the home folder shown as /home/me).
 */
class ReadmeWebUiExamplesIT {
    private static final Path LAUNCHER = Path.of("target", "sdmodel").toAbsolutePath();
    private static final Path README = TestFiles.projectRoot().resolve("README.md");

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    /** The lines of the {@code n}th fenced block (from 0) after the heading. */
    private static List<String> block(String heading, int n) throws IOException {
        List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        int i = lines.indexOf(heading);
        assertTrue(i >= 0, "README has no " + heading);
        for (int k = 0; ; k++) {
            while (!lines.get(i).startsWith("```")) {
                i++;
            }
            List<String> block = new ArrayList<>();
            for (i++; !lines.get(i).equals("```"); i++) {
                block.add(lines.get(i));
            }
            i++;
            if (k == n) {
                return block;
            }
        }
    }

    private Path home(String example) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path webui = WebUiTrees.started(home.resolve("stable-diffusion-webui"));
        Path sd2 = TestFiles.testdata("sd2-v-train.ckpt");
        Path work = Files.createDirectories(home.resolve("work"));
        Files.copy(sd2, Files.createDirectories(home.resolve("Downloads")).resolve("768-v-ema.ckpt"));
        Files.copy(sd2, work.resolve("768-v-ema.ckpt"));
        if (example.contains("models/Stable-diffusion/768-v-ema.ckpt")) {
            Files.copy(sd2, webui.resolve("models/Stable-diffusion/768-v-ema.ckpt"));
        }
        // SD 2 files that record no prediction type, and no EMA copies: as sdmodel's prune writes them
        for (String name : List.of("v2-1_768-ema-pruned.safetensors", "my-sd2-finetune.safetensors")) {
            CliRunner p = CliRunner.run("prune", "-q", "--ema", "drop", "--precision", "keep", sd2.toString(), "-o",
                    work.resolve(name).toString());
            assertEquals(0, p.exitCode, p.toString());
        }
        Files.copy(TestFiles.testdata("arch/sd2.safetensors"), work.resolve("model.safetensors"));
        Files.copy(TestFiles.testdata("arch/lora-kohya.safetensors"), work.resolve("lora.safetensors"));
        Files.copy(TestFiles.testdata("arch/sd2.safetensors"), webui.resolve("models/Stable-diffusion/sd2.safetensors"));
        Files.copy(TestFiles.testdata("arch/lora-kohya.safetensors"), webui.resolve("models/Lora/lora-kohya.safetensors"));
        return home;
    }

    private static Run run(Path home, Path cwd, String line) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", "--noprofile", "--norc", "-c",
                line.replace("sdmodel ", LAUNCHER + " ")).directory(cwd.toFile());
        pb.environment().clear();
        pb.environment().put("HOME", home.toString());
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void installV2AndHashExamplesRunAsWritten() throws Exception {
        List<String> examples = new ArrayList<>(block("### install-v2", 0));
        examples.addAll(block("### hash", 0));
        assertEquals(9, examples.size(), examples.toString());
        int n = 0;
        for (String line : examples) {
            Path home = home(line);
            Run r = run(home, home.resolve("work"), line);
            assertEquals(0, r.exit, line + "\n" + r.out + r.err);
            assertFalse(r.err.contains("sdmodel: "), line + "\n" + r.err);
            deleteTree(home); // a fresh home for each example: --move and the installs change it
            n++;
        }
        assertEquals(examples.size(), n);
    }

    @Test
    void whereFilesGoSampleIsWhatInspectPrints() throws Exception {
        List<String> example = block("## Where files go", 0);
        assertEquals(List.of("sdmodel inspect ~/stable-diffusion-webui"), example);
        List<String> sample = block("## Where files go", 1);
        Path home = home(example.get(0));
        Path webui = home.resolve("stable-diffusion-webui");
        Path models = Files.createDirectories(home.resolve("AI Models/Stable-diffusion"));
        WebUiTrees.setArgs(webui, "export COMMANDLINE_ARGS=\"--xformers --ckpt-dir '" + models + "'\"");
        Files.createDirectories(webui.resolve("models/Stable-Diffusion"));
        Run r = run(home, home.resolve("work"), example.get(0));
        assertEquals(0, r.exit, r.err);
        assertEquals(String.join("\n", sample.subList(1, sample.size())) + "\n", r.out.replace(home.toString(), "/home/me"));
        assertEquals("$ " + example.get(0), sample.get(0));
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path f : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
