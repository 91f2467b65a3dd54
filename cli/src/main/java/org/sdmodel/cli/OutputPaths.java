package org.sdmodel.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a command writes, and the checks that keep it from writing where it must not. */
final class OutputPaths {
    private OutputPaths() {
    }

    /** The file name without its last extension (and without {@code .zst} before that). */
    static String stem(Path file) {
        String name = withoutZst(file);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * The output for {@code input}: {@code option} itself, a file in {@code option} if it is a
     * folder, or {@code <stem><suffix>} beside the input.
     */
    static Path resolve(Path input, Path option, String defaultSuffix) {
        String name = stem(input) + defaultSuffix;
        if (option == null) {
            Path parent = input.toAbsolutePath().getParent();
            return parent.resolve(name);
        }
        if (Files.isDirectory(option)) {
            return option.resolve(name);
        }
        return option;
    }

    /** The file name of {@code file} without a trailing {@code .zst}. */
    static String withoutZst(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".zst") ? name.substring(0, name.length() - 4) : name;
    }

    /**
     * The folder the output for {@code input} goes to (see {@link #resolve}): where a compressed
     * input is decompressed for reading, so that the space it takes is where output goes.
     */
    static Path folder(Path input, Path option) {
        if (option == null) {
            return input.toAbsolutePath().getParent();
        }
        if (Files.isDirectory(option)) {
            return option.toAbsolutePath();
        }
        return option.toAbsolutePath().getParent();
    }

    /** Refuses an output that is the input, or exists without {@code --force}. */
    static void check(Path input, Path output, boolean force) throws CliException {
        if (isSameFile(input, output)) {
            throw new CliException(ExitCode.USAGE, output + ": is the input file; choose another output with -o");
        }
        if (Files.isDirectory(output)) {
            throw new CliException(ExitCode.USAGE, output + ": is a directory");
        }
        if (Files.exists(output) && !force) {
            throw new CliException(ExitCode.USAGE, output + ": already exists (use --force to replace it)");
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new CliException(ExitCode.USAGE, output + ": the folder " + parent + " does not exist");
        }
    }

    static boolean isSameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to the path comparison
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
