package org.sdmodel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sdmodel.ModelFormatException;
import org.sdmodel.UnsafeModelException;
import picocli.CommandLine.Model.CommandSpec;

/** Turns exceptions into the one-line messages and exit codes users see. */
final class Failures {
    private Failures() {
    }

    /**
     * Prints a failure as its one line, {@code sdmodel: FILE: what is wrong}, and with
     * {@code --debug} the stack trace of its cause.
     */
    static void report(CommandSpec spec, CliException e) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("sdmodel: " + e.getMessage());
        if (Main.debug(spec)) {
            e.printStackTrace(err);
        }
        err.flush();
    }

    /** A failure while reading {@code input}: invalid input (1) or unsafe (3). */
    static CliException reading(Path input, Throwable e) {
        if (e instanceof CliException) {
            return (CliException) e;
        }
        if (e instanceof UnsafeModelException) {
            return new CliException(ExitCode.UNSAFE, input + ": " + e.getMessage(), e);
        }
        return new CliException(ExitCode.INVALID_INPUT, input + ": " + describe(e), e);
    }

    /** A failure while writing {@code output}: exists (2), or cannot be written (4). */
    static CliException writing(Path output, Throwable e) {
        if (e instanceof CliException) {
            return (CliException) e;
        }
        if (e instanceof FileAlreadyExistsException) {
            return new CliException(ExitCode.USAGE, output + ": " + describe(e), e);
        }
        return new CliException(ExitCode.OUTPUT_FAILED, output + ": cannot write: " + describe(e), e);
    }

    /** The problem in a few words, without the exception's class name. */
    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException) {
            String reason = ((NoSuchFileException) e).getReason();
            return reason != null ? reason : "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            String reason = ((FileAlreadyExistsException) e).getReason();
            return reason != null ? reason : "already exists (use --force to replace it)";
        }
        if (e instanceof FileSystemException) {
            String reason = ((FileSystemException) e).getReason();
            if (reason != null && reason.contains("No space left")) {
                return "no space left on the device";
            }
            return reason != null ? reason : e.getClass().getSimpleName();
        }
        if (e instanceof ModelFormatException || e instanceof UnsafeModelException) {
            return e.getMessage();
        }
        if (e instanceof java.io.EOFException) {
            return "the file ends early (truncated?)" + (e.getMessage() != null ? ": " + e.getMessage() : "");
        }
        if (e instanceof IOException) {
            String m = e.getMessage();
            if (m != null && m.contains("No space left")) {
                return "no space left on the device";
            }
            return m != null ? m : e.getClass().getSimpleName();
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory (a hostile or corrupt size?)";
        }
        if (e instanceof StackOverflowError) {
            return "the file nests too deeply";
        }
        String m = e.getMessage();
        return "internal error: " + e.getClass().getSimpleName() + (m != null ? ": " + m : "")
                + " (please report it; --debug shows details)";
    }
}
