package org.sdmodel.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel convert}: the state dict, unchanged, as safetensors. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {
            "Convert a checkpoint to safetensors losslessly: every tensor of the state dict with its dtype and",
            "values unchanged (EMA copies included). Default output: <stem>.safetensors beside the input.",
            "Inputs may be zstd-compressed (X.ckpt.zst); an output named *.zst, or --zstd, is written compressed."})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IN", arity = "1..*", description = "Checkpoints to convert.")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Output file (one input) or folder (several inputs).")
    Path output;

    @Option(names = "--force", description = "Replace an existing output.")
    boolean force;

    @Option(names = "--verify", description = "After writing, re-read all data and compare it with the source.")
    boolean verify;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar.")
    boolean quiet;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Option(names = "--zstd", paramLabel = "LEVEL", arity = "0..1", fallbackValue = "" + ZstdSettings.DEFAULT_LEVEL,
            preprocessor = OptionalNumber.class,
            description = "Compress the output with zstd (level 1-19, default ${FALLBACK-VALUE}); default names get .zst."
                    + " An output named *.zst is compressed without it.")
    Integer zstd;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PruneCommand.checkMultipleOutputs(spec, inputs, output);
        PruneCommand.checkZstdLevel(spec, zstd);
        String suffix = zstd != null ? ".safetensors.zst" : ".safetensors";
        return PruneCommand.runAll(spec, inputs, PruneOptions.lossless(), json, quiet, false, verify, force, false,
                (input, plan) -> OutputPaths.resolve(input, output, suffix), output, zstd);
    }
}
