package org.sdmodel.cli;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The outputs of one run of a writing command, checked before anything is written: {@code -o} as
 * a folder (created with its parents when it is new, and removed again if the run wrote nothing
 * into it), several inputs only into a folder, no input given twice, no two inputs writing the
 * same output, and no output that is another input of the run.
 */
final class RunOutputs implements AutoCloseable {
    private final List<Path> created;
    private final Path pendingFolder;

    private RunOutputs(List<Path> created, Path pendingFolder) {
        this.created = created;
        this.pendingFolder = pendingFolder;
    }

    /**
     * Checks the run's outputs and makes the {@code -o} folder if it is new (not in a dry run).
     *
     * @param candidates the outputs an input may be written to (several when the name depends on
     *     the file's content, as prune's {@code -ema-pruned}); empty when it cannot be told
     */
    static RunOutputs prepare(CommandSpec spec, List<Path> inputs, OutputTarget target, boolean dryRun,
            Function<Path, List<Path>> candidates) throws CliException {
        if (target != null) {
            if (target.slash() && Files.exists(target.path()) && !Files.isDirectory(target.path())) {
                throw new CliException(ExitCode.USAGE, target + ": is a file, not a folder");
            }
            if (inputs.size() > 1 && !target.isFolder()) {
                throw new ParameterException(spec.commandLine(), "with several inputs, -o must be a folder: an existing"
                        + " one, or end it with / to create it (-o " + target.path() + "/)");
            }
        }
        refuseClashes(inputs, candidates);
        if (target == null || !target.isFolder() || Files.isDirectory(target.path())) {
            return new RunOutputs(List.of(), null);
        }
        if (dryRun) {
            return new RunOutputs(List.of(), target.path());
        }
        List<Path> missing = new ArrayList<>();
        for (Path p = target.path().toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(p);
        }
        try {
            Files.createDirectories(target.path());
        } catch (IOException e) {
            throw new CliException(ExitCode.OUTPUT_FAILED, target + ": cannot create the folder: " + Failures.describe(e), e);
        }
        return new RunOutputs(missing, null);
    }

    /** In a dry run, the folder a real run would create; else null. */
    Path pendingFolder() {
        return pendingFolder;
    }

    /** Removes the folders this run created if nothing was written into them. */
    @Override
    public void close() {
        for (Path dir : created) { // innermost first
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                return;
            } catch (IOException e) {
                return; // left as it is: an empty folder is no harm
            }
        }
    }

    private static void refuseClashes(List<Path> inputs, Function<Path, List<Path>> candidates) throws CliException {
        Map<Path, Path> inputsByIdentity = new LinkedHashMap<>();
        for (Path input : inputs) {
            Path previous = inputsByIdentity.putIfAbsent(identity(input), input);
            if (previous != null) {
                throw new CliException(ExitCode.USAGE, previous.equals(input) ? input + ": is given twice"
                        : previous + " and " + input + " are the same file, given twice");
            }
        }
        Map<Path, Path> writers = new HashMap<>();
        for (Path input : inputs) {
            List<Path> outputs = candidates.apply(input);
            List<Path> shared = new ArrayList<>();
            Path other = null;
            for (Path output : outputs) {
                Path id = identity(output);
                Path taken = writers.putIfAbsent(id, input);
                if (taken != null && !taken.equals(input)) {
                    shared.add(output);
                    other = taken;
                }
                Path asInput = inputsByIdentity.get(id);
                if (asInput != null && !asInput.equals(input)) {
                    throw new CliException(ExitCode.USAGE, input + ": its output " + output + " is an input of this run ("
                            + asInput + "); choose another -o");
                }
            }
            if (!shared.isEmpty()) {
                throw new CliException(ExitCode.USAGE, other + " and " + input + " would both be written to "
                        + String.join(" or ", shared.stream().map(Path::toString).toList())
                        + "; run them one at a time with their own -o, or into different folders");
            }
        }
    }

    /** A path's identity: its real path when it exists, else its folder's real path and its name. */
    static Path identity(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            // does not exist (yet)
        }
        Path parent = abs.getParent();
        if (parent != null && abs.getFileName() != null) {
            try {
                return parent.toRealPath().resolve(abs.getFileName());
            } catch (IOException e) {
                // nor its folder
            }
        }
        return abs;
    }

    /** The outputs {@code names} would give {@code input}: {@code <stem><suffix>} for each suffix (see {@link OutputPaths#resolve}). */
    static List<Path> beside(Path input, OutputTarget target, List<String> suffixes) {
        List<Path> out = new ArrayList<>();
        for (String suffix : suffixes) {
            out.add(OutputPaths.resolve(input, target, suffix));
        }
        return Collections.unmodifiableList(out);
    }
}
