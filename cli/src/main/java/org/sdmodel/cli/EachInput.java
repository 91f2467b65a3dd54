package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A command's job run on each of its inputs: every input is tried, each failure is reported on its
 * own line (with its stack trace under {@code --debug}), the worst exit code wins, and with
 * {@code --json} the summaries are printed at the end: always an array, one object per input that
 * succeeded, so that a script reads one shape whatever the number of files.
 */
final class EachInput {
    private EachInput() {
    }

    /** One input's work: returns its JSON summary, or throws the failure to report. */
    @FunctionalInterface
    interface Job {
        ObjectNode run(Path input) throws CliException;
    }

    static int run(CommandSpec spec, List<Path> inputs, boolean json, Job job) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ArrayNode results = Json.array();
        int worst = ExitCode.OK;
        for (Path input : inputs) {
            try {
                results.add(job.run(input));
            } catch (CliException e) {
                Failures.report(spec, e);
                worst = Math.max(worst, e.exitCode());
            }
        }
        if (json) {
            out.println(Json.write(results));
        }
        out.flush();
        return worst;
    }
}
