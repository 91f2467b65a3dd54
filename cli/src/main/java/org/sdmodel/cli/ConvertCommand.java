package org.sdmodel.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.PruneOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code sdmodel convert}: the state dict as safetensors, unchanged unless a precision is asked for. */
final class ConvertCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "convert",
            "Convert a checkpoint to safetensors: every tensor of the state dict (EMA copies included), "
                + "by default losslessly, with its dtype and values unchanged; --precision converts floating "
                + "tensors as prune does. Default output: <stem>.safetensors beside the input. Inputs may be "
                + "zstd-compressed (X.ckpt.zst); an output named *.zst, or --zstd, is written compressed.");

    private final Arg<List<Path>> inputs = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("IN").arity("1..*").description("Checkpoints to convert."));

    private final Arg<Precision> precision = CommandSpecs.option(spec, Precision.class, OptionSpec.builder("--precision")
            .paramLabel("P").defaultValue("keep").converters(new PrecisionConverter())
            .description("keep (the default: lossless), or " + PrecisionConverter.NAMES
                    + " Integer tensors and the DDPM schedule buffers never change."));

    private final WriteOptions write = new WriteOptions(spec);

    private final SurgeryOptions surgery = new SurgeryOptions(spec);

    @Override
    public Integer call() throws CliException {
        String suffix = write.zstd() != null ? ".safetensors.zst" : ".safetensors";
        return PruneCommand.runAll(spec, inputs.get(), PruneOptions.lossless().withPrecision(precision.get()), write, surgery, false, false,
                (input, plan) -> OutputPaths.resolve(input, write.out.output(), suffix),
                input -> RunOutputs.beside(input, write.out.output(), List.of(suffix)));
    }
}
