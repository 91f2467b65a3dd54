package org.sdmodel.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.PruneOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel convert}: the state dict as safetensors, unchanged unless a precision is asked for. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a checkpoint to safetensors: every tensor of the state dict (EMA copies included), "
                + "by default losslessly, with its dtype and values unchanged; --precision converts floating "
                + "tensors as prune does. Default output: <stem>.safetensors beside the input. Inputs may be "
                + "zstd-compressed (X.ckpt.zst); an output named *.zst, or --zstd, is written compressed.")
final class ConvertCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IN", arity = "1..*", description = "Checkpoints to convert.")
    List<Path> inputs;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "keep", converter = PrecisionConverter.class,
            description = "keep (the default: lossless), or " + PrecisionConverter.NAMES
                    + " Integer tensors and the DDPM schedule buffers never change.")
    Precision precision;

    @Mixin
    WriteOptions write;

    @Mixin
    SurgeryOptions surgery;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        String suffix = write.zstd != null ? ".safetensors.zst" : ".safetensors";
        return PruneCommand.runAll(spec, inputs, PruneOptions.lossless().withPrecision(precision), write, surgery, false, false,
                (input, plan) -> OutputPaths.resolve(input, write.out.output, suffix),
                input -> RunOutputs.beside(input, write.out.output, List.of(suffix)));
    }
}
