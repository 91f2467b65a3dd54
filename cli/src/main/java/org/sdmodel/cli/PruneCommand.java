package org.sdmodel.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel prune}: the state dict only, EMA weights swapped in, fp16, as safetensors. */
final class PruneCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "prune",
            "Shrink a checkpoint for the web UI: keep the state dict, drop optimizer states and other "
                + "training baggage, use (or drop, or keep) the EMA weights, convert floating tensors to fp16 "
                + "bit for bit as torch's .half() does, and write safetensors. Default output: "
                + "<stem>-pruned.safetensors beside the input (<stem>-ema-pruned.safetensors when EMA weights "
                + "were swapped in). Inputs may be zstd-compressed (X.ckpt.zst); an output named *.zst, or "
                + "--zstd, is written compressed.");

    private final Arg<List<Path>> inputs = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("1..*").description("Checkpoints to prune (.ckpt, .pt, .pth, .bin, .safetensors)."));

    private final Arg<EmaPolicy> ema = CommandSpecs.option(spec, EmaPolicy.class, OptionSpec.builder("--ema")
            .paramLabel("MODE").defaultValue("use").description("use: model.* weights take their EMA copies' values; drop: EMA"
                    + " copies are dropped; keep: both stay. Default: ${DEFAULT-VALUE}."));

    private final Arg<Precision> precision = CommandSpecs.option(spec, Precision.class, OptionSpec.builder("--precision")
            .paramLabel("P").defaultValue("fp16").converters(new PrecisionConverter())
            .description(PrecisionConverter.NAMES + " Integer tensors and the DDPM schedule buffers never change. "
                    + "Default: ${DEFAULT-VALUE}."));

    private final Arg<String> keep = CommandSpecs.option(spec, String.class, OptionSpec.builder("--keep")
            .paramLabel("REGEX").description("Leave tensors whose name matches unconverted."));

    private final Arg<String> drop = CommandSpecs.option(spec, String.class, OptionSpec.builder("--drop")
            .paramLabel("REGEX").description("Drop tensors whose name matches (e.g. '^first_stage_model\\.')."));

    private final Arg<Boolean> dryRun = CommandSpecs.flag(spec, OptionSpec.builder("--dry-run")
            .description("Show what would be kept, dropped and converted; write nothing."));

    private final Arg<Integer> threads = EngineRun.threadsOption(spec);

    private final WriteOptions write = new WriteOptions(spec);

    private final SurgeryOptions surgery = new SurgeryOptions(spec);

    @Override
    public Integer call() throws Exception {
        PruneOptions options = PruneOptions.defaults().withEma(ema.get()).withPrecision(precision.get())
                .withDrop(pattern(drop.get(), "--drop")).withKeep(pattern(keep.get(), "--keep"));
        Integer threads = this.threads.get();
        if (threads != null) {
            if (threads < 1) {
                throw new ParameterException(spec.commandLine(), "--threads must be at least 1");
            }
            options = options.withThreads(threads);
        }
        String zst = write.zstd() != null ? ".zst" : "";
        String swapped = "-ema-pruned.safetensors" + zst;
        String unswapped = "-pruned.safetensors" + zst;
        return runAll(spec, inputs.get(), options, write, surgery, dryRun.get(), true,
                (input, plan) -> OutputPaths.resolve(input, write.out.output(), plan.emaSwapped() > 0 ? swapped : unswapped),
                input -> RunOutputs.beside(input, write.out.output(), List.of(swapped, unswapped)));
    }

    static void checkZstdLevel(CommandSpec spec, Integer level) {
        if (level != null && (level < 1 || level > ZstdSettings.MAX_LEVEL)) {
            throw new ParameterException(spec.commandLine(), "--zstd: the level must be 1 to " + ZstdSettings.MAX_LEVEL);
        }
    }

    private Pattern pattern(String regex, String option) {
        if (regex == null) {
            return null;
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new ParameterException(spec.commandLine(), option + ": invalid regular expression: " + e.getDescription());
        }
    }

    /**
     * Runs a prune job per input; the worst exit code wins, and every input is tried. Inputs that
     * are zstd-compressed are decompressed into the output's folder. The outputs are checked
     * together first (see {@link RunOutputs}).
     *
     * @param candidates the outputs {@code naming} may give an input, known before it is read
     */
    static int runAll(CommandSpec spec, List<Path> inputs, PruneOptions options, WriteOptions write, SurgeryOptions surgery,
            boolean dryRun,
            boolean recordEmaAndPrecision, PruneJob.Naming naming, Function<Path, List<Path>> candidates)
            throws CliException {
        checkZstdLevel(spec, write.zstd());
        if (write.out.output() != null && !write.out.output().isFolder()) {
            OutputPaths.refuseTorchName(write.out.output().path());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (RunOutputs outputs = RunOutputs.prepare(spec, inputs, write.out.output(), dryRun, candidates);
                SurgeryOptions.Vae vae = surgery.openVae(err, null)) {
            PruneOptions withSurgery = options.withFixClip(surgery.fixClip()).withBakeVae(vae == null ? null : vae.vae());
            // a folder a dry run would create does not exist: a compressed input goes to the system's temporary folder
            PruneJob job = new PruneJob(out, err, write.out.json(), write.out.quiet(), dryRun, write.verify(), write.out.force(), recordEmaAndPrecision)
                    .tempFolder(input -> outputs.pendingFolder() != null ? null : OutputPaths.folder(input, write.out.output()))
                    .pendingFolder(outputs.pendingFolder())
                    .zstd(write.zstd(), options.threads())
                    .sync(!write.out.noSync());
            return EachInput.run(spec, inputs, write.out.json(), input -> job.run(input, withSurgery, naming));
        } catch (java.io.IOException e) {
            throw Failures.reading(surgery.bakeVae(), e); // closing the VAE file
        }
    }
}
