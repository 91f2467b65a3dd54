package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * {@code --precision} on prune and convert, the float8 ones included: what is written (torch 2.x's
 * conversions, testdata/expected/fp8-prune.json), what is said, and what inspect estimates.
 */
class PrecisionOptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonNode fp8Expected(String fixture, String mode) throws Exception {
        return JSON.readTree(TestFiles.testdata("expected/fp8-prune.json").toFile()).get("fixtures").get(fixture).get(mode);
    }

    @Test
    void pruneToFloat8WritesWhatTorch2Computes() throws Exception {
        Path out = tmp.resolve("fp8.safetensors");
        CliRunner r = CliRunner.run("prune", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp8-e4m3fn",
                "-o", out.toString(), "--verify", "--json");
        assertEquals(0, r.exitCode, r.toString());
        JsonNode expected = fp8Expected("sd1-train.ckpt", "use/fp8-e4m3fn");
        try (ModelFile written = ModelFile.open(out)) {
            Expectations.assertTensors(expected.get("tensors"), written.stateDict().tensors());
            assertEquals("fp8-e4m3fn", written.metadata().get("sdmodel.precision"));
        }
        JsonNode summary = JSON.readTree(r.out).get(0);
        assertEquals("fp8-e4m3fn", summary.get("precision").asText());
        // the converted tensors by output dtype, as torch's expectations list them
        Map<String, Integer> byDtype = new TreeMap<>();
        for (JsonNode t : expected.get("tensors")) {
            for (JsonNode c : expected.get("loss").get("converted")) {
                if (c.asText().equals(t.get("name").asText())) {
                    byDtype.merge(t.get("dtype").asText(), 1, Integer::sum);
                }
            }
        }
        Map<String, Integer> reported = new TreeMap<>();
        summary.get("tensors_converted_to").fields().forEachRemaining(e -> reported.put(e.getKey(), e.getValue().asInt()));
        assertEquals(byDtype, reported);
        assertEquals(expected.get("loss").get("overflow").asLong(), summary.get("conversion").get("overflow_to_inf").asLong());
        assertEquals(expected.get("loss").get("underflow").asLong(), summary.get("conversion").get("underflow_to_zero").asLong());
    }

    @Test
    void fp8IsE4m3fnAndTheTextSummarySaysWhatWentWhere() throws Exception {
        Path a = tmp.resolve("a.safetensors");
        Path b = tmp.resolve("b.safetensors");
        CliRunner ra = CliRunner.run("prune", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp8", "-o", a.toString());
        CliRunner rb = CliRunner.run("prune", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "FP8-E4M3FN", "-o", b.toString());
        assertEquals(0, ra.exitCode, ra.toString());
        assertEquals(0, rb.exitCode, rb.toString());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertTrue(ra.out.contains("tensors: 49 kept (35 converted: 24 to F16, 11 to F8_E4M3), 22 dropped"), ra.out);
        assertTrue(ra.err.startsWith("sdmodel: warning: 7 values overflowed (to infinity, or to NaN in float8 e4m3fn,"
                + " which has no infinity) in 5 tensors: model.diffusion_model.out.2.weight"), ra.err);
    }

    @Test
    void convertStaysLosslessUnlessAskedForAPrecision() throws Exception {
        Path lossless = tmp.resolve("lossless.safetensors");
        CliRunner r = CliRunner.run("convert", TestFiles.testdata("sd1-train.ckpt").toString(), "-o", lossless.toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode source = JSON.readTree(TestFiles.testdata("expected/sd1-train.ckpt.json").toFile());
        try (ModelFile written = ModelFile.open(lossless)) {
            assertEquals(source.get("tensors").size(), written.stateDict().tensors().size());
            assertFalse(written.metadata().containsKey("sdmodel.precision"));
            Map<String, org.sdmodel.Tensor> tensors = written.stateDict().tensors();
            source.get("tensors").forEach(t -> assertEquals(t.get("dtype").asText(),
                    tensors.get(t.get("name").asText()).dtype().name(), t.get("name").asText()));
        }

        Path fp8 = tmp.resolve("e5m2.safetensors");
        r = CliRunner.run("convert", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp8-e5m2",
                "-o", fp8.toString(), "--verify");
        assertEquals(0, r.exitCode, r.toString());
        try (ModelFile written = ModelFile.open(fp8)) {
            // convert keeps the EMA copies: torch's "keep" case
            Expectations.assertTensors(fp8Expected("sd1-train.ckpt", "keep/fp8-e5m2").get("tensors"), written.stateDict().tensors());
            assertEquals("fp8-e5m2", written.metadata().get("sdmodel.precision"));
            assertFalse(written.metadata().containsKey("sdmodel.ema"));
        }
    }

    @Test
    void anUnknownPrecisionIsAUsageErrorAndWritesNothing() throws Exception {
        for (String command : new String[] {"prune", "convert"}) {
            CliRunner r = CliRunner.run(command, TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp4",
                    "-o", tmp.toString());
            assertEquals(ExitCode.USAGE, r.exitCode, r.toString());
            assertEquals("sdmodel: Invalid value for option '--precision': unknown precision 'fp4': use fp16, bf16, fp32,"
                    + " keep, fp8-e4m3fn (or fp8) or fp8-e5m2", r.err.lines().findFirst().orElse(""));
            try (var files = Files.list(tmp)) {
                assertEquals(0, files.count());
            }
        }
    }

    /** inspect's float8 estimates are the sizes prune writes. */
    @Test
    void inspectEstimatesTheFloat8Size() throws Exception {
        CliRunner r = CliRunner.run("inspect", "--json", TestFiles.testdata("sd1-train.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        JsonNode estimate = JSON.readTree(r.out).get(0).get("prune").get("output_bytes");
        Path out = tmp.resolve("fp8.safetensors");
        assertEquals(0, CliRunner.run("prune", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp8",
                "-o", out.toString()).exitCode);
        assertEquals(estimate.get("fp8-e4m3fn").asLong(), Files.size(out));
        Path e5m2 = tmp.resolve("e5m2.safetensors");
        assertEquals(0, CliRunner.run("prune", TestFiles.testdata("sd1-train.ckpt").toString(), "--precision", "fp8-e5m2",
                "-o", e5m2.toString()).exitCode);
        assertEquals(estimate.get("fp8-e5m2").asLong(), Files.size(e5m2));
        assertTrue(estimate.get("fp8-e4m3fn").asLong() < estimate.get("fp16").asLong());

        CliRunner text = CliRunner.run("inspect", TestFiles.testdata("sd1-train.ckpt").toString());
        assertTrue(text.out.contains(", fp8 " + Sizes.human(estimate.get("fp8-e4m3fn").asLong()) + " (EMA use)"), text.out);
    }
}
