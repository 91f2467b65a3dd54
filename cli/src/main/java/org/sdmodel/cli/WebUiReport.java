package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.sdmodel.webui.LaunchProblem;
import org.sdmodel.webui.WebUiException;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Model.CommandSpec;

/** A web UI's folders as commands show them: where each is and why, in text or JSON. */
final class WebUiReport {
    private WebUiReport() {
    }

    /** The layout of the web UI in {@code dir}, in the command's environment; refuses a folder that is no web UI (exit 2). */
    static WebUiLayout layout(CommandSpec spec, Path dir) throws CliException {
        WebUiLayout layout = WebUiLayout.of(dir, Main.environment(spec));
        try {
            layout.checkIsWebUi();
        } catch (WebUiException e) {
            throw failure(e);
        }
        return layout;
    }

    static CliException failure(WebUiException e) {
        return new CliException(exitCode(e.reason()), e.getMessage(), e);
    }

    static int exitCode(WebUiException.Reason reason) {
        switch (reason) {
            case NOT_A_WEBUI:
            case TARGET_EXISTS:
            case USAGE:
            case BAD_URL:
                return ExitCode.USAGE;
            case NO_SPACE:
                return ExitCode.OUTPUT_FAILED;
            default:
                return ExitCode.INVALID_INPUT;
        }
    }

    /** {@code COMMANDLINE_ARGS from webui-user.sh line 13: --ckpt-dir '/x y'}, or that there are none. */
    static String arguments(WebUiLayout layout) {
        if (layout.argumentsSource() == null) {
            return "none (no COMMANDLINE_ARGS in " + launchFiles(layout) + " or the environment)";
        }
        StringBuilder b = new StringBuilder();
        for (String a : layout.arguments()) {
            b.append(b.length() == 0 ? "" : " ").append(a.isEmpty() || a.matches(".*[\\s'\"\\\\$`].*")
                    ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return (b.length() == 0 ? "(empty)" : b) + "  (COMMANDLINE_ARGS from " + layout.argumentsSource() + ")";
    }

    private static String launchFiles(WebUiLayout layout) {
        List<Path> files = layout.launchFiles();
        return files.isEmpty() ? "no launch file" : String.join(", ", files.stream().map(f -> f.getFileName().toString()).toList());
    }

    /** One folder: {@code "  checkpoints:   /path  (why)"}. */
    static void printFolder(PrintWriter out, WebUiLayout.Folder f) {
        out.printf("  %-15s%s  (%s)%n", f.label() + ":", f.path(), f.why());
    }

    /** Every folder, the arguments they come from, the problems and notes. */
    static void print(PrintWriter out, WebUiLayout layout) {
        out.println(layout.webui() + "  (AUTOMATIC1111 web UI)");
        out.printf("  %-15s%s%n", "arguments:", arguments(layout));
        for (WebUiLayout.Folder f : layout.folders()) {
            printFolder(out, f);
        }
        printProblemsAndNotes(out, layout);
    }

    static void printProblemsAndNotes(PrintWriter out, WebUiLayout layout) {
        for (LaunchProblem p : layout.problems()) {
            if (!p.flags().isEmpty()) {
                out.println("  problem: " + p + " (the folders of " + String.join(", ", p.flags()) + " are unknown)");
            }
        }
        for (String n : layout.notes()) {
            out.println("  note: " + n);
        }
    }

    static ObjectNode json(WebUiLayout layout) {
        ObjectNode o = Json.object();
        o.put("webui", layout.webui().toString());
        o.put("arguments_source", layout.argumentsSource());
        ArrayNode args = o.putArray("arguments");
        layout.arguments().forEach(args::add);
        ObjectNode folders = o.putObject("folders");
        for (WebUiLayout.Folder f : layout.folders()) {
            String key = f.label().toLowerCase(java.util.Locale.ROOT).replace(' ', '_').replace('.', '_');
            if (f == layout.defaultCheckpoints() && layout.checkpoints() != f) {
                key = "default_checkpoints";
            }
            ObjectNode j = folders.putObject(key);
            j.put("path", f.path().toString());
            j.put("flag", f.flag());
            j.put("why", f.why());
        }
        ArrayNode problems = o.putArray("problems");
        for (LaunchProblem p : layout.problems()) {
            ObjectNode j = problems.addObject();
            j.put("file", p.file() == null ? null : p.file().toString());
            j.put("line", p.line());
            j.put("message", p.message());
            ArrayNode flags = j.putArray("flags");
            p.flags().forEach(flags::add);
        }
        ArrayNode notes = o.putArray("notes");
        layout.notes().forEach(notes::add);
        return o;
    }
}
