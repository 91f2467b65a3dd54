package org.sdmodel.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** The options of a command that writes one output file per input (a picocli mixin). */
final class OutputOptions {
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", converter = OutputTarget.Converter.class,
            description = "Output file (one input), or folder: an existing one, or one written with a trailing /"
                    + " (created, parents too). Several inputs need a folder.")
    OutputTarget output;

    @Option(names = "--force", description = "Replace an existing output.")
    boolean force;

    @Option(names = "--no-sync", description = "Do not wait for the output to reach the disk before naming it: faster, but"
            + " a crash or power loss soon after can leave a short or empty file under the output's name.")
    boolean noSync;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar.")
    boolean quiet;

    @Option(names = "--json", description = "Print the summaries as JSON: an array with one object per input (also for one input).")
    boolean json;

    /** A progress bar that shows only on a terminal, and never with --quiet or --json. */
    ProgressBar bar(PrintWriter err, String label, long total) {
        return new ProgressBar(err, label, total, !quiet && !json && ProgressBar.terminal());
    }
}
