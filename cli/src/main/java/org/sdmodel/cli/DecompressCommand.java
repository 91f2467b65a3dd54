package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFormatException;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.io.TemporaryFile;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdFrameHeader;
import org.sdmodel.zstd.ZstdResult;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code sdmodel decompress}: FILE.zst to FILE, checksum verified, atomically. */
final class DecompressCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "decompress",
            "Decompress zstd files (any zstd file: several frames, --long windows up to 31). Each "
                + "frame's checksum and declared size are verified when the file has them, before the output "
                + "appears; corrupt or truncated input writes nothing. Default output: FILE without .zst. "
                + "(Other sdmodel commands read X.ckpt.zst directly; this is for other tools.)");

    private final Arg<List<Path>> inputs = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("1..*").description("zstd files to decompress."));

    private final OutputOptions outputs = new OutputOptions(spec);

    @Override
    public Integer call() throws CliException {
        try (RunOutputs run = RunOutputs.prepare(spec, inputs.get(), outputs.output(), false, this::candidates)) {
            return EachInput.run(spec, inputs.get(), outputs.json(), input -> decompress(input));
        }
    }

    /** The output of {@code input}, or none if it has none (it fails on its own). */
    private List<Path> candidates(Path input) {
        try {
            return List.of(target(input));
        } catch (CliException e) {
            return List.of();
        }
    }

    private ObjectNode decompress(Path input) throws CliException {
        ZstdCommands.requireFile(input);
        ZstdFrameHeader header;
        long compressedSize;
        try {
            header = ZstdFiles.readHeader(input);
            compressedSize = Files.size(input);
        } catch (IOException e) {
            throw Failures.reading(input, e);
        }
        Path target = target(input);
        OutputPaths.check(input, target, outputs.force());
        if (header.hasContentSize()) {
            try {
                TemporaryFile.requireSpace(target.toAbsolutePath().getParent(), header.contentSize(), target.getFileName().toString());
            } catch (InsufficientSpaceException e) {
                throw new CliException(ExitCode.OUTPUT_FAILED, target + ": " + e.getReason(), e);
            } catch (IOException e) {
                throw Failures.writing(target, e);
            }
        }
        long start = System.nanoTime();
        ZstdResult result;
        try (AtomicOutput out = AtomicOutput.create(target, outputs.force())) {
            try (ProgressBar bar = bar(target.getFileName().toString(), compressedSize)) {
                result = ZstdFiles.decompress(input, out.channel(), bar::advance);
            } catch (ModelFormatException e) {
                throw Failures.reading(input, e);
            }
            // The data was checked as it was decoded (each frame's checksum, and its declared size);
            // what is left to check is that all of it reached the file.
            if (out.channel().size() != result.uncompressedBytes()) {
                throw new CliException(ExitCode.OUTPUT_FAILED, target + ": self-check: the written file has "
                        + out.channel().size() + " bytes, " + result.uncompressedBytes() + " were decompressed");
            }
            out.commit(!outputs.noSync());
        } catch (IOException e) {
            throw Failures.writing(target, e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ObjectNode s = ZstdCommands.summary(input, target, result, seconds);
        s.put("checksum_verified", header.checksum());
        if (!outputs.json()) {
            ZstdCommands.print(spec.commandLine().getOut(), input, target, result, seconds, false,
                    header.checksum() ? "zstd checksum verified"
                            : "the file has no zstd checksum: its structure and size were checked, its content could not be");
        }
        return s;
    }

    /** FILE.zst -> FILE beside it, or in the -o folder, or -o itself. */
    private Path target(Path input) throws CliException {
        String name = input.getFileName().toString();
        boolean zst = name.endsWith(".zst") && name.length() > 4;
        if (outputs.output() != null && !outputs.output().isFolder()) {
            return outputs.output().path();
        }
        if (!zst) {
            throw new CliException(ExitCode.USAGE, input + ": the name does not end in .zst: name the output with -o");
        }
        return OutputPaths.resolveName(input, outputs.output(), OutputPaths.withoutZst(input));
    }

    private ProgressBar bar(String label, long total) {
        return outputs.bar(spec.commandLine().getErr(), label, total);
    }
}
