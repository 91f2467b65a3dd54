package org.sdmodel.cli;

/** The exit codes of every sdmodel command (documented in the README). */
public final class ExitCode {
    /** Success. */
    public static final int OK = 0;
    /** An input file is missing, unreadable or not a valid model file. */
    public static final int INVALID_INPUT = 1;
    /** The command line is wrong, or it would overwrite a file without {@code --force}. */
    public static final int USAGE = 2;
    /** A file was refused as unsafe (a dangerous pickle import), or {@code scan} found one. */
    public static final int UNSAFE = 3;
    /** The output could not be written (no space, no permission); nothing was left behind. */
    public static final int OUTPUT_FAILED = 4;

    private ExitCode() {
    }
}
