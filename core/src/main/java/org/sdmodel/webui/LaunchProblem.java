package org.sdmodel.webui;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * A line of the web UI's launch configuration that sdmodel could not read as the web UI's launcher
 * would: a shell construct it does not evaluate, a quote never closed, a flag without its value.
 *
 * @param file the file, or null for the {@code COMMANDLINE_ARGS} environment variable
 * @param line the line number (from 1), or 0 when there is no line
 * @param message what is wrong, one line
 * @param flags the folder flags ({@code --ckpt-dir}, {@code --data-dir}...) the line shows: the
 *     folders they decide are unknown; empty when the line shows none; sorted
 */
public record LaunchProblem(Path file, int line, String message, Set<String> flags) {

    /**
     * Creates the record, checking and copying its components.
     *
     * @param file the file, or null for the {@code COMMANDLINE_ARGS} environment variable
     * @param line the line number (from 1), or 0 when there is no line
     * @param message what is wrong, one line
     * @param flags the folder flags ({@code --ckpt-dir}, {@code --data-dir}...) the line shows: the
     *     folders they decide are unknown; empty when the line shows none; sorted
     */
    public LaunchProblem {
        Objects.requireNonNull(message, "message");
        flags = Collections.unmodifiableSet(new TreeSet<>(flags)); // sorted: reports read the same every run
    }

    /** {@code webui-user.sh line 12: message}. */
    @Override
    public String toString() {
        return where() + ": " + message;
    }

    /** {@return {@code webui-user.sh line 12}, or {@code the COMMANDLINE_ARGS environment variable}} */
    public String where() {
        if (file == null) {
            return "the COMMANDLINE_ARGS environment variable";
        }
        return file + (line > 0 ? " line " + line : "");
    }
}
