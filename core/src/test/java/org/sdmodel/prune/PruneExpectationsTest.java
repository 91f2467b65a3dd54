package org.sdmodel.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.Precision;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * Pruning the torch-written SD fixtures gives, for every EMA mode and precision, exactly what torch
 * computed (testdata/expected, make_fixtures.py): the same tensors and bytes, the same conversion
 * losses, and, written without metadata, a file byte-identical to the one the reference
 * safetensors library wrote from torch's result. Zip, legacy, protocol-2 and safetensors inputs
 * all give the same output. The float8 precisions against torch 2.x's conversions
 * (expected/fp8-prune.json, make_fp8_expectations.py: torch 1.13 has no float8, and the
 * reference library cannot write it without torch 2.x, so there is no file digest for them).
 */
class PruneExpectationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        String[][] inputs = {
            {"sd1-train.ckpt", "sd1-train.ckpt"},
            {"sd1-train-legacy.ckpt", "sd1-train.ckpt"},
            {"sd1-train-proto2.ckpt", "sd1-train.ckpt"},
            {"sd1-train.ckpt as safetensors", "sd1-train.ckpt"},
            {"sd2-v-train.ckpt", "sd2-v-train.ckpt"},
        };
        JsonNode fp8 = JSON.readTree(TestFiles.testdata("expected/fp8-prune.json").toFile()).get("fixtures");
        for (String[] in : inputs) {
            JsonNode prune = JSON.readTree(TestFiles.testdata("expected/" + in[1] + ".json").toFile()).get("prune");
            for (JsonNode cases : List.of(prune, fp8.get(in[1]))) {
                for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> e = it.next();
                    out.add(Arguments.of(in[0], e.getKey(), e.getValue()));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pruneGivesWhatTorchComputed(String input, String mode, JsonNode expected) throws Exception {
        Path source = input.endsWith(" as safetensors") ? safetensorsCopy(input.replace(" as safetensors", ""))
                : TestFiles.testdata(input);
        EmaPolicy ema = EmaPolicy.valueOf(expected.get("ema").asText().toUpperCase(Locale.ROOT));
        Precision precision = Precision.fromLabel(expected.get("precision").asText());
        Path out = tmp.resolve(input.replace(' ', '_') + "-" + mode.replace('/', '-') + ".safetensors");
        if (input.startsWith("sd2") && ema == EmaPolicy.USE) {
            // The sd2 fixture leaves model.diffusion_model.input_blocks.1.1.proj_in.bias without an EMA
            // copy: partial EMA coverage is refused with the counts, not silently mixed.
            try (ModelFile model = ModelFile.open(source)) {
                PruneException e = assertThrows(PruneException.class,
                        () -> PrunePlan.of(model, PruneOptions.defaults().withEma(ema).withPrecision(precision)));
                assertTrue(e.getMessage().contains("cover 18 of 19"), e.getMessage());
            }
            return;
        }
        WriteResult result;
        try (ModelFile model = ModelFile.open(source)) {
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults().withEma(ema).withPrecision(precision));
            // verified: the engine re-reads the file and compares every tensor with the plan
            result = ModelWriter.write(plan.tensors(null), out, WriteOptions.defaults().withOverwrite(true).withVerify(true));
            try (ModelFile written = ModelFile.open(out)) {
                Expectations.assertTensors(expected.get("tensors"), written.stateDict().tensors());
            }
        }
        if (expected.has("safetensors_sha256")) {
            assertEquals(expected.get("safetensors_sha256").asText(), sha256(out), "file differs from the reference writer's");
        }
        ConversionStats total = result.total();
        JsonNode loss = expected.get("loss");
        assertEquals(loss.get("overflow").asLong(), total.overflows(), "overflows");
        assertEquals(loss.get("underflow").asLong(), total.underflows(), "underflows");
        assertEquals(loss.get("nonfinite_in").asLong(), total.nanInputs() + total.infinityInputs(), "NaN/Inf in input");
        List<String> overflowed = new ArrayList<>();
        loss.get("overflowed").forEach(n -> overflowed.add(n.asText()));
        List<String> actual = new ArrayList<>();
        result.stats().forEach((n, s) -> {
            if (s.overflows() > 0) {
                actual.add(n);
            }
        });
        assertEquals(overflowed.stream().sorted().toList(), actual.stream().sorted().toList(), "overflowed tensors");
    }

    /** The fixture converted losslessly to safetensors, so the same prune can start from that format. */
    private static synchronized Path safetensorsCopy(String fixture) throws IOException {
        Path copy = tmp.resolve(fixture + ".safetensors");
        if (!Files.exists(copy)) {
            try (ModelFile model = ModelFile.open(TestFiles.testdata(fixture))) {
                PrunePlan plan = PrunePlan.of(model, PruneOptions.lossless());
                ModelWriter.write(plan.tensors(Map.of("format", "pt")), copy, WriteOptions.defaults());
            }
        }
        return copy;
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(Files.readAllBytes(file));
        return HexFormat.of().formatHex(md.digest());
    }
}
