package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.TestFiles;

/**
 * {@code sdmodel scan} on the corpus rebuilt from picklescan's, modelscan's and fickling's test
 * suites (testdata/scan/make_corpus.py, manifest.json): every dangerous file exits 3 (a dangerous
 * import, or a pickle refused as written in a way sdmodel does not follow); every benign one
 * exits 0, or 3 naming exactly the imports outside the allow list the manifest names; files that
 * are no pickle or a container sdmodel does not read exit 1. None prints a stack trace, none takes
 * a second.
 */
class ScanCorpusTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void warmUp() {
        // The first run loads picocli's and sdmodel's classes: its time is not the file's.
        CliRunner.run("scan", TestFiles.testdata("scan/corpus/benign0_v4.pkl").toString());
    }

    static Stream<Arguments> corpus() throws IOException {
        JsonNode manifest = JSON.readTree(TestFiles.testdata("scan/manifest.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (JsonNode e : manifest) {
            out.add(Arguments.of(e.get("file").asText(), e));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void scanConcludesAsTheManifestSays(String name, JsonNode entry) throws IOException {
        String file = TestFiles.testdata("scan/corpus/" + name).toString();
        long start = System.nanoTime();
        CliRunner r = CliRunner.run("scan", "--json", file);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1000, name + " took " + millis + " ms");
        assertFalse(r.err.contains("Exception") || r.err.contains("\tat ") || r.out.contains("\tat "), r.toString());
        assertTrue(r.err.lines().count() <= 1, r.toString());
        JsonNode reports = JSON.readTree(r.out); // --json is an array, also for one file
        assertEquals(1, reports.size(), r.out);
        JsonNode report = reports.get(0);
        TreeSet<String> dangerous = new TreeSet<>();
        TreeSet<String> notAllowed = new TreeSet<>();
        for (JsonNode i : report.get("imports")) {
            if (i.get("safety").asText().equals("dangerous")) {
                dangerous.add(i.get("imported_as").asText());
            } else if (i.get("safety").asText().equals("not-allowed")) {
                notAllowed.add(i.get("imported_as").asText());
            }
        }
        String why = entry.get("source").asText() + "\n" + r;
        switch (entry.get("expect").asText()) {
            case "dangerous":
                assertEquals(3, r.exitCode, why);
                assertTrue(!dangerous.isEmpty() || report.get("unfollowed").asBoolean(), why);
                break;
            case "benign": {
                TreeSet<String> expected = new TreeSet<>();
                entry.get("outside_allow_list").forEach(n -> expected.add(n.asText()));
                assertEquals(expected.isEmpty() ? 0 : 3, r.exitCode, why);
                TreeSet<String> outside = new TreeSet<>(notAllowed);
                outside.addAll(dangerous);
                assertEquals(expected, outside, why);
                assertFalse(report.get("unfollowed").asBoolean(), why);
                break;
            }
            case "refused":
                assertEquals(3, r.exitCode, why);
                assertTrue(report.get("unfollowed").asBoolean(), why);
                assertEquals(new TreeSet<>(), dangerous, why);
                break;
            case "unreadable":
                assertEquals(1, r.exitCode, why);
                assertEquals(1, r.err.lines().count(), why);
                break;
            default:
                throw new AssertionError(entry.toString());
        }
    }
}
