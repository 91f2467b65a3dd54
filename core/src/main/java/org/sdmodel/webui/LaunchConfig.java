package org.sdmodel.webui;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The web UI's launch configuration as its launcher leaves it: the files the launcher reads
 * ({@code webui-user.sh}, after {@code webui-macos-env.sh} on macOS; {@code webui-user.bat} on
 * Windows) applied to sdmodel's environment, then {@code COMMANDLINE_ARGS} split as the web UI
 * splits it and its folder flags read as argparse reads them.
 */
final class LaunchConfig {
    static final String ARGS = "COMMANDLINE_ARGS";
    static final String CACHE_FILE = "SD_WEBUI_CACHE_FILE";
    static final String CACHE_DIR = "SD_WEBUI_CACHE_DIR";

    /** A variable's final value for the web UI's process, and where it came from. */
    record Value(String text, String source) {
    }

    final List<Path> filesRead = new ArrayList<>();
    final List<LaunchProblem> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    /** {@code COMMANDLINE_ARGS}, or null when the web UI gets none. */
    Value args;
    List<String> argv = List.of();
    LaunchFlags flags = LaunchFlags.parse(List.of());
    Value cacheFile;
    Value cacheDir;

    private LaunchConfig() {
    }

    static LaunchConfig read(Path webui, WebUiLayout.Environment env) {
        LaunchConfig c = new LaunchConfig();
        boolean windows = env.platform() == WebUiLayout.Platform.WINDOWS;
        LaunchVariables vars = new LaunchVariables(env.variables(), windows);
        List<String> names = windows ? List.of("webui-user.bat")
                : env.platform() == WebUiLayout.Platform.MACOS ? List.of("webui-macos-env.sh", "webui-user.sh")
                : List.of("webui-user.sh");
        for (String name : names) {
            c.apply(webui.resolve(name), vars);
        }
        c.problems.addAll(vars.problems);
        c.args = c.value(vars, ARGS);
        c.cacheFile = c.value(vars, CACHE_FILE);
        c.cacheDir = c.value(vars, CACHE_DIR);
        if (c.args != null) {
            try {
                c.argv = ShellWords.split(c.args.text);
                c.flags = LaunchFlags.parse(c.argv);
                for (String p : c.flags.problems) {
                    c.problems.add(new LaunchProblem(vars.origin(ARGS).file(), vars.origin(ARGS).line(),
                            "COMMANDLINE_ARGS: " + p, c.flags.troubled));
                }
            } catch (ShellWords.SplitException e) {
                c.problems.add(new LaunchProblem(vars.origin(ARGS).file(), vars.origin(ARGS).line(),
                        "COMMANDLINE_ARGS cannot be split into arguments as the web UI splits them (Python's shlex: "
                        + e.getMessage() + "); the web UI stops at start-up", LaunchFlags.folderFlagsShown(c.args.text)));
            }
        }
        c.otherPlatformNote(webui, windows);
        return c;
    }

    private void apply(Path file, LaunchVariables vars) {
        if (!Files.exists(file)) {
            return;
        }
        String text;
        try {
            text = decode(file);
        } catch (IOException e) {
            problems.add(new LaunchProblem(file, 0, "cannot be read (" + e.getMessage() + "), so sdmodel cannot tell"
                    + " which folders it sets", new HashSet<>(LaunchFlags.FOLDER_FLAGS)));
            return;
        }
        filesRead.add(file);
        if (file.getFileName().toString().endsWith(".bat")) {
            BatchScript.run(file, text, vars);
        } else {
            BashScript.source(file, text, vars);
        }
    }

    private String decode(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            notes.add(file + " is not UTF-8 text; characters that are not ASCII may be read wrong");
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** The final value of a variable for the web UI's process; an uncertain one is a problem. */
    private Value value(LaunchVariables vars, String name) {
        LaunchProblem u = vars.uncertainty(name);
        if (u != null) {
            problems.add(u);
        }
        String v = vars.exported(name);
        if (v == null) {
            if (vars.isSet(name)) {
                LaunchVariables.Origin o = vars.origin(name);
                notes.add(name + " is set (" + o + ") but not exported, so the web UI does not see it");
            }
            return null;
        }
        LaunchVariables.Origin o = vars.origin(name);
        return new Value(v, o.file() == null ? "the environment" : o.file().getFileName() + " line " + o.line());
    }

    private void otherPlatformNote(Path webui, boolean windows) {
        Path other = webui.resolve(windows ? "webui-user.sh" : "webui-user.bat");
        if (!Files.isRegularFile(other)) {
            return;
        }
        LaunchVariables vars = new LaunchVariables(Map.of(), !windows);
        try {
            String text = decode(other);
            if (windows) {
                BashScript.source(other, text, vars);
            } else {
                BatchScript.run(other, text, vars);
            }
        } catch (IOException e) {
            return;
        }
        String v = vars.exported(ARGS);
        Set<String> shown = v == null ? Set.of() : LaunchFlags.folderFlagsShown(v);
        if (!shown.isEmpty()) {
            notes.add(other.getFileName() + " (" + vars.origin(ARGS) + ") sets " + String.join(", ", shown) + " too; it is used"
                    + " only when the web UI is started " + (windows ? "with webui.sh" : "on Windows") + ", so it is not read here");
        }
    }
}
