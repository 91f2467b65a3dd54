package org.sdmodel.cli;

import java.io.PrintWriter;
import org.sdmodel.cli.CommandSpecs.Arg;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The options of a command that writes one output file per input (added to each by {@link #OutputOptions(CommandSpec)}). */
final class OutputOptions {
    private final Arg<OutputTarget> output;
    private final Arg<Boolean> force;
    private final Arg<Boolean> noSync;
    private final Arg<Boolean> quiet;
    private final Arg<Boolean> json;

    /** Adds the options to {@code command}. */
    OutputOptions(CommandSpec command) {
        output = CommandSpecs.option(command, OutputTarget.class, OptionSpec.builder("-o", "--output").paramLabel("OUT")
                .converters(new OutputTarget.Converter())
                .description("Output file (one input), or folder: an existing one, or one written with a trailing /"
                        + " (created, parents too). Several inputs need a folder."));
        force = CommandSpecs.flag(command, OptionSpec.builder("--force").description("Replace an existing output."));
        noSync = CommandSpecs.flag(command, OptionSpec.builder("--no-sync").description("Do not wait for the output to reach"
                + " the disk before naming it: faster, but a crash or power loss soon after can leave a short or empty file"
                + " under the output's name."));
        quiet = CommandSpecs.flag(command, OptionSpec.builder("-q", "--quiet").description("No progress bar."));
        json = CommandSpecs.flag(command, OptionSpec.builder("--json")
                .description("Print the summaries as JSON: an array with one object per input (also for one input)."));
    }

    OutputTarget output() {
        return output.get();
    }

    boolean force() {
        return force.get();
    }

    boolean noSync() {
        return noSync.get();
    }

    boolean quiet() {
        return quiet.get();
    }

    boolean json() {
        return json.get();
    }

    /** A progress bar that shows only on a terminal, and never with --quiet or --json. */
    ProgressBar bar(PrintWriter err, String label, long total) {
        return new ProgressBar(err, label, total, !quiet() && !json() && ProgressBar.terminal());
    }
}
