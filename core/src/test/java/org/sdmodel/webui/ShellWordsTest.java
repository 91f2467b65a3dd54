package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sdmodel.testing.TestFiles;

/** COMMANDLINE_ARGS split as Python's shlex.split splits it (testdata/webui/expected.json, written by Python). */
class ShellWordsTest {
    @Test
    void splitsAsPythonsShlexSplits() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(TestFiles.testdata("webui/expected.json").toFile()).get("shlex");
        assertEquals(24, cases.size());
        for (JsonNode c : cases) {
            String input = c.get("input").asText();
            if (c.has("error")) {
                ShellWords.SplitException e = assertThrows(ShellWords.SplitException.class, () -> ShellWords.split(input), input);
                assertEquals(c.get("error").asText(), e.getMessage(), input);
            } else {
                List<String> words = new ArrayList<>();
                c.get("words").forEach(w -> words.add(w.asText()));
                assertEquals(words, ShellWords.split(input), input);
            }
        }
    }
}
