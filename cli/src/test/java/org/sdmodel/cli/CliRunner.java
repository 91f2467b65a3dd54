package org.sdmodel.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.sdmodel.webui.WebUiLayout;

/** Runs sdmodel in-process and keeps what it printed. */
final class CliRunner {
    final int exitCode;
    final String out;
    final String err;

    private CliRunner(int exitCode, String out, String err) {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs with this process's environment, less the variables that decide a web UI's folders
     * (a developer's own COMMANDLINE_ARGS must not change what the tests see).
     */
    static CliRunner run(String... args) {
        Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.equals("COMMANDLINE_ARGS") || k.startsWith("SD_WEBUI_"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                new WebUiLayout.Environment(env, WebUiLayout.Platform.current()), args);
        return new CliRunner(code, out.toString(), err.toString());
    }

    /** Runs with the given environment variables (only those) on Linux, as the launcher would see them. */
    static CliRunner runWithEnvironment(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                new WebUiLayout.Environment(environment, WebUiLayout.Platform.LINUX), args);
        return new CliRunner(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
}
