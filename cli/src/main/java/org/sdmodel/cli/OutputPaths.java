package org.sdmodel.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.sdmodel.ModelFormat;

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
    static Path resolve(Path input, OutputTarget option, String defaultSuffix) {
        return resolveName(input, option, stem(input) + defaultSuffix);
    }

    /** The output for {@code input}: {@code option} itself, {@code name} in the {@code option} folder, or {@code name} beside the input. */
    static Path resolveName(Path input, OutputTarget option, String name) {
        if (option == null) {
            Path parent = input.toAbsolutePath().getParent();
            return parent.resolve(name);
        }
        if (option.isFolder()) {
            return option.path().resolve(name);
        }
        return option.path();
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
    static Path folder(Path input, OutputTarget option) {
        if (option == null) {
            return input.toAbsolutePath().getParent();
        }
        if (option.isFolder()) {
            return option.path().toAbsolutePath();
        }
        return option.path().toAbsolutePath().getParent();
    }

    /** Refuses an output that is the input, or exists without {@code --force}. */
    static void check(Path input, Path output, boolean force) throws CliException {
        check(input, output, force, null);
    }

    /**
     * Refuses an output that is the input, or exists without {@code --force}, or whose folder does
     * not exist (unless it is {@code pendingFolder}, the folder a dry run would create).
     */
    static void check(Path input, Path output, boolean force, Path pendingFolder) throws CliException {
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
        if (pendingFolder != null && parent != null && parent.normalize().equals(pendingFolder.toAbsolutePath().normalize())) {
            return;
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new CliException(ExitCode.USAGE, output + ": the folder " + parent + " does not exist");
        }
    }

    /** The extensions of PyTorch checkpoints, which torch.load and the web UI take for pickles. */
    private static final List<String> TORCH_EXTENSIONS = List.of(".ckpt", ".pt", ".pth", ".bin", ".pkl");

    /**
     * Refuses to write safetensors bytes under a PyTorch checkpoint's name: the web UI picks its
     * loader by the extension ({@code .safetensors} or else {@code torch.load}), so such a file
     * would not load anywhere.
     */
    static void refuseTorchName(Path output) throws CliException {
        String name = withoutZst(output).toLowerCase(Locale.ROOT);
        for (String ext : TORCH_EXTENSIONS) {
            if (name.endsWith(ext)) {
                throw new CliException(ExitCode.USAGE, output + ": sdmodel writes safetensors files, which torch.load and"
                        + " the web UI (it picks the loader by the extension) cannot read under a " + ext
                        + " name: name the output .safetensors");
            }
        }
    }

    /**
     * A warning when a file's name says another format than its content: the web UI loads files
     * named {@code .safetensors} with safetensors and everything else with {@code torch.load}, so it
     * fails on either mismatch. Null when the name fits (or says nothing).
     */
    static String extensionMismatch(Path file, ModelFormat format) {
        String name = withoutZst(file);
        String lower = name.toLowerCase(Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        String ext = dot > 0 ? name.substring(dot) : "";
        boolean namedSafetensors = lower.endsWith(".safetensors");
        boolean namedTorch = TORCH_EXTENSIONS.stream().anyMatch(lower::endsWith);
        if (format == ModelFormat.SAFETENSORS && namedTorch) {
            return file + ": is a safetensors file named " + ext + ": the web UI would load it with torch.load and fail;"
                    + " rename it to .safetensors";
        }
        if (format != ModelFormat.SAFETENSORS && namedSafetensors) {
            return file + ": is a PyTorch checkpoint named " + ext + ": the web UI would load it as safetensors and fail;"
                    + " rename it to .ckpt";
        }
        return null;
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
