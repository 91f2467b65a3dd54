package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.TestFiles;

/**
 * {@code inspect} and {@code prune} agree (issue 14, items 10 and 17): inspect's {@code prune} is
 * null exactly when prune refuses the file, with prune's own reason, and otherwise its size at each
 * precision is the size of the file prune then writes, to the byte.
 */
class InspectPruneAgreementTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PRECISIONS = List.of("fp16", "bf16", "fp32", "keep");

    @TempDir
    Path tmp;

    static Stream<Path> files() throws IOException {
        List<Path> all = new ArrayList<>();
        for (String dir : List.of("", "arch", "zstd")) {
            try (Stream<Path> s = Files.list(TestFiles.testdata(dir))) {
                s.filter(p -> p.getFileName().toString().matches(".*\\.(ckpt|pt|safetensors|zst)"))
                        .filter(p -> !p.getFileName().toString().startsWith("misc-objects"))
                        .sorted().forEach(all::add);
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void inspectSaysWhatPruneDoes(Path file) throws Exception {
        CliRunner i = CliRunner.run("inspect", "--json", file.toString());
        assertEquals(0, i.exitCode, i.toString());
        JsonNode report = JSON.readTree(i.out).get(0);
        JsonNode estimate = report.get("prune");
        for (String precision : PRECISIONS) {
            Path out = tmp.resolve(precision + ".safetensors");
            CliRunner p = CliRunner.run("prune", "-q", "--precision", precision, file.toString(), "-o", out.toString());
            if (estimate.isNull()) {
                assertNotEquals(0, p.exitCode, "inspect said prune refuses, prune wrote: " + p);
                assertTrue(p.err.contains(report.get("prune_unavailable").asText()), p.err);
            } else {
                assertEquals(0, p.exitCode, "inspect said prune writes, prune: " + p);
                assertEquals(estimate.get("output_bytes").get(precision).asLong(), Files.size(out), precision);
            }
        }
    }

    @Test
    void inspectSaidPruneWritesWhenPruneRefused() throws Exception {
        // EMA copies cover 18 of the 19 UNet weights: prune refuses with its defaults
        Path file = TestFiles.testdata("sd2-v-train.ckpt");
        CliRunner prune = CliRunner.run("prune", "-q", file.toString(), "-o", tmp.resolve("x.safetensors").toString());
        assertEquals(ExitCode.INVALID_INPUT, prune.exitCode, prune.toString());
        CliRunner text = CliRunner.run("inspect", file.toString());
        assertTrue(text.out.contains("  prune:        refuses this file with its defaults: EMA copies cover 18 of 19 model.* weights;"
                + " use --ema drop (training weights) or --ema keep (both)"), text.out);
        assertTrue(!text.out.contains("prune writes:"), text.out);
        JsonNode j = JSON.readTree(CliRunner.run("inspect", "--json", file.toString()).out).get(0);
        assertTrue(j.get("prune").isNull(), j.toString());
    }

    @Test
    void theEstimateWasSmallerThanTheFilePruneWrote() throws Exception {
        // the README's sample: "prune writes: fp16 17.7 KiB" for a file of 17.9 KiB
        Path file = TestFiles.testdata("sd1-train.ckpt");
        JsonNode j = JSON.readTree(CliRunner.run("inspect", "--json", file.toString()).out).get(0);
        Path out = tmp.resolve("sd1-train-ema-pruned.safetensors");
        CliRunner p = CliRunner.run("prune", "-q", file.toString(), "-o", out.toString());
        assertEquals(0, p.exitCode, p.toString());
        assertEquals(Files.size(out), j.get("prune").get("output_bytes").get("fp16").asLong());
    }
}
