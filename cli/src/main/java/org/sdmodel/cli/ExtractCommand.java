package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.component.ComponentType;
import org.sdmodel.engine.WriteResult;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel extract}: one component of a checkpoint, as a file of its own. */
final class ExtractCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "extract",
            "Write one component of a checkpoint as a file of its own, with the key layout standalone files "
                + "of that kind have. vae: as the web UI's models/VAE files (first_stage_model.X as X); the default "
                + "<stem>.vae.safetensors beside the checkpoint is the VAE the web UI pairs with it. unet: as ComfyUI's "
                + "ModelSave writes it (model.diffusion_model.* unchanged). text-encoder: one file per text encoder, "
                + "as ComfyUI's CLIPSave writes it (<stem>.clip_l / .clip_h / .clip_g.safetensors; OpenCLIP converted "
                + "to the transformers layout). Dtypes are kept.");

    private final Arg<Path> model = CommandSpecs.parameter(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("MODEL").description("The checkpoint."));

    private final Arg<ComponentType> component = CommandSpecs.option(spec, ComponentType.class,
            OptionSpec.builder("-c", "--component").required(true).paramLabel("PART").converters(new ComponentConverter())
                    .description("vae, unet or text-encoder."));

    private final Arg<Boolean> dryRun = CommandSpecs.flag(spec, OptionSpec.builder("--dry-run")
            .description("Show what would be written; write nothing."));

    private final WriteOptions write = new WriteOptions(spec);

    @Override
    public Integer call() throws Exception {
        Path model = this.model.get();
        ComponentType component = this.component.get();
        boolean dryRun = this.dryRun.get();
        PruneCommand.checkZstdLevel(spec, write.zstd());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        OutputTarget target = write.out.output();
        if (target != null && !target.isFolder()) {
            OutputPaths.refuseTorchName(target.path());
        }
        try (RunOutputs made = RunOutputs.prepare(spec, List.of(model), target, dryRun, input -> List.of());
                ModelFile in = open(model, made.pendingFolder() != null ? null : OutputPaths.folder(model, target))) {
            ImportWarnings.print(err, model, in);
            List<ComponentPlanner.Extraction> parts;
            try {
                parts = ComponentPlanner.extract(in, component);
            } catch (java.io.IOException e) {
                throw Failures.reading(model, e);
            }
            boolean toFile = target != null && !target.isFolder();
            if (toFile && parts.size() > 1) {
                throw new ParameterException(spec.commandLine(), model + " has " + parts.size() + " text encoders ("
                        + String.join(", ", parts.stream().map(ComponentPlanner.Extraction::name).toList())
                        + "): give -o a folder");
            }
            List<Path> outputs = new ArrayList<>();
            for (ComponentPlanner.Extraction x : parts) {
                Path output = OutputPaths.resolve(model, write.out.output(),
                        "." + x.name() + (write.zstd() != null ? ".safetensors.zst" : ".safetensors"));
                OutputPaths.check(model, output, write.out.force() || dryRun, made.pendingFolder());
                outputs.add(output);
            }
            ArrayNode summaries = Json.array();
            for (int i = 0; i < parts.size(); i++) {
                ComponentPlanner.Extraction x = parts.get(i);
                Path output = outputs.get(i);
                ObjectNode s = summaries.addObject();
                s.put("input", model.toString());
                s.put("component", component.label());
                s.put("name", x.name());
                s.put("output", output.toString());
                s.put("dry_run", dryRun);
                if (dryRun) {
                    s.put("output_exists", Files.exists(output));
                }
                s.put("tensors", x.plan().entries().size());
                s.put("output_tensor_bytes", x.plan().outputTensorBytes());
                x.leftOut().forEach(s.putArray("left_out")::add);
                if (dryRun) {
                    if (!write.out.json()) {
                        out.printf("%s -> %s (dry run: nothing written)%n", model, output);
                        x.plan().entries().forEach(e -> out.printf("  %s %s%s = %s%n", e.name(), e.dtype(),
                                java.util.Arrays.toString(e.shape()), e.expr()));
                        x.leftOut().forEach(k -> out.printf("  leave %s%n", k));
                    }
                    continue;
                }
                int threads = org.sdmodel.engine.WriteOptions.defaults().threads();
                WriteResult r = EngineRun.write(x.plan(), output, EngineRun.options(write, output, threads,
                        new EngineProgress(err, output.getFileName().toString(),
                                !write.out.quiet() && !write.out.json() && ProgressBar.terminal())), model.toString());
                s.put("output_bytes", r.fileBytes());
                s.put("seconds", r.totalNanos() / 1e9);
                EngineRun.putPhases(s, java.util.Map.of(), r, 0);
                if (!write.out.json()) {
                    out.printf(Locale.ROOT, "%s -> %s%n  %s: %d tensors, %s in %.1f s%s%n", model, output, x.name(),
                            x.plan().entries().size(), Sizes.human(r.fileBytes()), r.totalNanos() / 1e9,
                            x.leftOut().isEmpty() ? "" : "; left out: " + String.join(", ", x.leftOut()));
                }
            }
            if (write.out.json()) {
                out.println(Json.write(summaries));
            }
            return ExitCode.OK;
        }
    }

    /** Opens the model; a zstd-compressed one is decompressed into {@code folder} (null: the system's temporary folder). */
    private static ModelFile open(Path model, Path folder) throws CliException {
        try {
            return ModelFile.open(model, ReadOptions.defaults().withTempDirectory(folder));
        } catch (Exception e) {
            throw Failures.reading(model, e);
        }
    }

    /** {@code vae}, {@code unet}, {@code text-encoder} (also {@code text_encoder}, any case). */
    static final class ComponentConverter implements CommandLine.ITypeConverter<ComponentType> {
        @Override
        public ComponentType convert(String value) {
            for (ComponentType t : ComponentType.values()) {
                if (t.label().equalsIgnoreCase(value.replace('_', '-'))) {
                    return t;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a component: vae, unet or text-encoder");
        }
    }
}
