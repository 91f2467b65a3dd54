package org.sdmodel.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.component.VaeFile;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.testing.TestFiles;
import static org.sdmodel.testing.SameTensors.assertSameTensors;

/**
 * Every merge of {@code testdata/merge/cases.json} against what the web UI's merger, transcribed
 * and run with torch ({@code testdata/merge/make_merge_fixtures.py}), wrote for it: the same
 * tensors with the same dtypes, shapes and bytes, and the same metadata.
 */
class MergeExpectationsTest {
    @TempDir
    Path tmp;

    static Stream<JsonNode> cases() throws Exception {
        JsonNode root = new ObjectMapper().readTree(TestFiles.testdata("merge/cases.json").toFile());
        List<JsonNode> list = new ArrayList<>();
        root.get("merges").forEach(list::add);
        return list.stream();
    }

    static Path fixture(String name) {
        return TestFiles.testdata("merge/" + name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mergeIsTheWebUisBitForBit(JsonNode c) throws Exception {
        MergeMethod method = Arrays.stream(MergeMethod.values())
                .filter(m -> m.webUiLabel().equals(c.get("method").asText())).findFirst().orElseThrow();
        Path out = tmp.resolve(c.get("name").asText() + ".safetensors");
        MergePlan plan;
        try (ModelFile a = ModelFile.open(fixture(c.get("a").asText()));
                ModelFile b = c.has("b") ? ModelFile.open(fixture(c.get("b").asText())) : null;
                ModelFile cc = c.has("c") ? ModelFile.open(fixture(c.get("c").asText())) : null;
                ModelFile vae = c.has("bake_vae") ? ModelFile.open(fixture(c.get("bake_vae").asText())) : null) {
            MergeOptions options = new MergeOptions(method, c.get("multiplier").asDouble(), c.get("save_as_half").asBoolean(),
                    vae == null ? null : VaeFile.load(vae), c.has("discard") ? c.get("discard").asText() : null, false, "");
            plan = MergePlanner.plan(MergeInput.of(a), b == null ? null : MergeInput.of(b),
                    cc == null ? null : MergeInput.of(cc), options);
            ModelWriter.write(plan.tensors(), out, WriteOptions.defaults().withVerify(true));
        }
        try (ModelFile ours = ModelFile.open(out);
                ModelFile webui = ModelFile.open(fixture("expected/" + c.get("name").asText() + ".safetensors"))) {
            assertSameTensors(webui.stateDict().tensors(), ours.stateDict().tensors());
            assertEquals(webui.metadata(), ours.metadata());
        }
    }
}
