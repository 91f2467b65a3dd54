package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;

/**
 * The README's {@code merge} and {@code extract} examples, run as written, in a folder where the
 * files they name are the merge fixtures; the outputs the comments name must appear.
 */
class ReadmeMergeExamplesTest {
    /** The files the examples name, and the fixture each one is. */
    private static final Map<String, String> FILES = Map.of(
            "dreamshaper.safetensors", "b.safetensors",
            "anything-v3.ckpt", "a.ckpt",
            "sd15-inpainting.ckpt", "a-inpainting.safetensors",
            "v1-5-pruned.ckpt", "c.safetensors",
            "vae-ft-mse-840000-ema-pruned.safetensors", "vae.pt",
            "sdxl-base.safetensors", "sdxl.safetensors");
    /** Options whose value is not a file. */
    private static final Set<String> VALUE_OPTIONS = Set.of("-m", "--multiplier", "--method", "--discard", "-c", "--component");

    @TempDir
    Path dir;

    @Test
    void examplesRunAsWritten() throws Exception {
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            Files.copy(TestFiles.testdata("merge/" + f.getValue()), dir.resolve(f.getKey()));
        }
        String readme = Files.readString(TestFiles.projectRoot().resolve("README.md"));
        List<String> lines = new ArrayList<>();
        lines.addAll(firstShellBlock(readme, "### merge"));
        lines.addAll(firstShellBlock(readme, "### extract"));
        assertEquals(8, lines.size(), lines.toString());
        for (String line : lines) {
            int comment = line.indexOf("  # ");
            String command = comment < 0 ? line : line.substring(0, comment).trim();
            List<String> words = words(command);
            assertEquals("sdmodel", words.get(0), line);
            List<String> args = new ArrayList<>();
            for (int i = 1; i < words.size(); i++) {
                String w = words.get(i);
                boolean value = VALUE_OPTIONS.contains(words.get(i - 1));
                args.add(!value && !w.startsWith("-") && w.contains(".") ? dir.resolve(w).toString() : w);
            }
            CliRunner r = CliRunner.run(args.toArray(new String[0]));
            assertEquals(0, r.exitCode, line + "\n" + r);
            if (comment >= 0 && line.substring(comment).contains("-> ")) {
                for (String out : line.substring(line.indexOf("-> ") + 3).split(", ")) {
                    assertTrue(Files.exists(dir.resolve(out.trim())), line + ": no " + out);
                }
            }
        }
        assertTrue(Files.exists(dir.resolve("dreamshaper-inpainting.safetensors")));
        assertFalse(Files.exists(dir.resolve("0.7(dreamshaper) + 0.3(anything-v3).inpainting.safetensors")));
    }

    private static List<String> firstShellBlock(String readme, String heading) {
        int at = readme.indexOf("\n" + heading + "\n");
        int start = readme.indexOf("```sh\n", at) + 6;
        int end = readme.indexOf("```", start);
        return readme.substring(start, end).lines().filter(l -> !l.isBlank()).toList();
    }

    /** Splits a command line as a POSIX shell would, for the quoting the examples use (single quotes). */
    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : s.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    out.add(w.toString());
                }
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(w.toString());
        }
        return out;
    }
}
