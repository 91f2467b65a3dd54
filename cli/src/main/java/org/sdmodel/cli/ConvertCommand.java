package org.sdmodel.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.prune.PruneOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel convert}: the state dict, unchanged, as safetensors. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a checkpoint to safetensors losslessly: every tensor of the state dict with its "
                + "dtype and values unchanged (EMA copies included). Default output: <stem>.safetensors "
                + "beside the input. Inputs may be zstd-compressed (X.ckpt.zst); an output named *.zst, or "
                + "--zstd, is written compressed.")
final class ConvertCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IN", arity = "1..*", description = "Checkpoints to convert.")
    List<Path> inputs;

    @Mixin
    WriteOptions write;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        String suffix = write.zstd != null ? ".safetensors.zst" : ".safetensors";
        return PruneCommand.runAll(spec, inputs, PruneOptions.lossless(), write, false, false,
                (input, plan) -> OutputPaths.resolve(input, write.out.output, suffix),
                input -> RunOutputs.beside(input, write.out.output, List.of(suffix)));
    }
}
