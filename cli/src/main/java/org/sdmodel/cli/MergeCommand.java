package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.PatternSyntaxException;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.component.VaeFile;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.merge.InputHashes;
import org.sdmodel.merge.MergeException;
import org.sdmodel.merge.MergeInput;
import org.sdmodel.merge.MergeMethod;
import org.sdmodel.merge.MergeOptions;
import org.sdmodel.merge.MergePlan;
import org.sdmodel.merge.MergePlanner;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel merge}: the web UI's Checkpoint Merger, bit for bit, in bounded memory. */
final class MergeCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "merge",
            "Merge checkpoints exactly as the AUTOMATIC1111 web UI's Checkpoint Merger tab does (the same "
                + "tensors, bit for bit, and the same metadata and recipe), streaming instead of loading the models "
                + "into memory. A B: weighted sum, A * (1 - M) + B * M; A B C: add difference, A + (B - C) * M; "
                + "A alone with --method no-interpolation (to bake a VAE, save as float16, discard weights). Default "
                + "output: the web UI's name ('0.7(a) + 0.3(b).safetensors') beside A; A's <stem>.yaml config, if "
                + "any, is copied beside the output.");

    private final Arg<List<Path>> models = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("MODEL").arity("1..3").description("A, then B, then C (.ckpt, .pt, .safetensors, .zst)."));

    private final Arg<MergeMethod> method = CommandSpecs.option(spec, MergeMethod.class, OptionSpec.builder("--method")
            .paramLabel("METHOD").converters(new MethodConverter())
            .description("weighted-sum, add-difference or no-interpolation. Default: by the number of models (2, 3, 1)."));

    private final Arg<Double> multiplier = CommandSpecs.option(spec, double.class, OptionSpec.builder("-m", "--multiplier")
            .paramLabel("M").defaultValue("0.3").description("M, from 0 (A) to 1. Default: ${DEFAULT-VALUE}, as the web UI's slider."));

    private final Arg<Boolean> saveAsHalf = CommandSpecs.flag(spec, OptionSpec.builder("--save-as-half")
            .description("Convert float32 results to float16 (the web UI's \"Save as float16\")."));

    private final Arg<String> discard = CommandSpecs.option(spec, String.class, OptionSpec.builder("--discard")
            .paramLabel("REGEX")
            .description("Leave out the tensors whose name this Python regular expression finds (re.search)."));

    private final Arg<Boolean> dryRun = CommandSpecs.flag(spec, OptionSpec.builder("--dry-run")
            .description("Show what would be merged, kept and dropped; write nothing (and hash nothing)."));

    private final Arg<Integer> threads = EngineRun.threadsOption(spec);

    private final WriteOptions write = new WriteOptions(spec);

    private final SurgeryOptions surgery = new SurgeryOptions(spec);

    /** The options the merge was planned with. */
    private MergeOptions resolved;

    @Override
    public Integer call() throws Exception {
        MergeMethod m = method.get() != null ? method.get()
                : models.get().size() == 1 ? MergeMethod.NO_INTERPOLATION : models.get().size() == 2 ? MergeMethod.WEIGHTED_SUM
                : MergeMethod.ADD_DIFFERENCE;
        if (models.get().size() != m.models()) {
            throw new ParameterException(spec.commandLine(), m.label() + " takes " + m.models()
                    + (m.models() == 1 ? " model (A)" : m.models() == 2 ? " models (A B)" : " models (A B C)")
                    + ", not " + models.get().size());
        }
        if (threads.get() != null && threads.get() < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        PruneCommand.checkZstdLevel(spec, write.zstd());
        MergeOptions options;
        try {
            options = new MergeOptions(m, multiplier.get(), saveAsHalf.get(), null, discard.get(), surgery.fixClip(), "");
        } catch (PatternSyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--discard: invalid regular expression: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--multiplier: " + e.getMessage());
        }
        int workers = threads.get() != null ? threads.get() : org.sdmodel.engine.WriteOptions.defaults().threads();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        OutputTarget target = write.out.output();
        if (target != null && !target.isFolder()) {
            OutputPaths.refuseTorchName(target.path());
        }
        List<ModelFile> opened = new ArrayList<>();
        // one output, whatever the number of models: -o DIR/ is made here (and removed if nothing is written)
        try (RunOutputs made = RunOutputs.prepare(spec, List.of(models.get().get(0)), target, dryRun.get(), input -> List.of())) {
            // a compressed input is decompressed where the output goes (the system's temporary folder in a dry run)
            Path folder = made.pendingFolder() != null ? null : OutputPaths.folder(models.get().get(0), target);
            long started = System.nanoTime();
            List<MergeInput> inputs = new ArrayList<>();
            for (Path p : models.get()) {
                ModelFile f = open(p, folder);
                opened.add(f);
                ImportWarnings.print(err, p, f);
                inputs.add(new MergeInput(f, p.getFileName().toString(), "-", "-")); // hashed once the plan holds
            }
            SurgeryOptions.Vae vae = surgery.openVae(err, folder);
            if (vae != null) {
                opened.add(vae.file());
                options = options.withBakeVae(vae.vae());
            }
            options = options.withCustomName(target != null && !target.isFolder() ? OutputPaths.stem(target.path()) : "");
            resolved = options;
            long openedAt = System.nanoTime();
            Trace.mark("opened");
            MergePlan plan = plan(inputs, options);
            Path output = output(plan);
            for (Path p : plan.tensors().inputs()) {
                OutputPaths.check(p, output, write.out.force() || dryRun.get(), made.pendingFolder());
            }
            ObjectNode summary = summary(plan, output);
            if (dryRun.get()) {
                summary.put("output_exists", Files.exists(output));
                if (!write.out.json()) {
                    printDryRun(out, plan, output);
                } else {
                    out.println(Json.write(Json.array().add(summary)));
                }
                return ExitCode.OK;
            }
            long planned = System.nanoTime();
            Trace.mark("planned");
            // The recipe records each model's SHA-256, which takes reading every input once more:
            // that runs beside the merge, and the header is written last, once the hashes are known.
            List<ModelFile> files = new ArrayList<>();
            for (MergeInput in : inputs) {
                files.add(in.file());
            }
            MergeOptions planned0 = options;
            HashWait wait = new HashWait(err, !write.out.quiet() && !write.out.json() && ProgressBar.terminal());
            WriteResult result;
            Map<String, String> metadata;
            long hashNanos;
            long hashBytes;
            try (InputHashes hashes = InputHashes.start(files, workers, wait::advance)) {
                plan = plan(hashes.pending(), options);
                List<Map<String, String>> last = new ArrayList<>();
                TensorPlan tensors = plan.tensors().withLateMetadata(() -> {
                    List<MergeInput> hashed = wait.await(hashes);
                    Trace.mark("hashed");
                    MergeInput c = hashed.size() > 2 ? hashed.get(2) : null;
                    last.add(MergePlanner.plan(hashed.get(0), hashed.size() > 1 ? hashed.get(1) : null, c, planned0)
                            .tensors().metadata());
                    return last.get(0);
                });
                result = EngineRun.write(tensors, output,
                        EngineRun.options(write, output, workers,
                                new EngineProgress(err, output.getFileName().toString(),
                                        !write.out.quiet() && !write.out.json() && ProgressBar.terminal())),
                        labelled());
                metadata = last.get(0);
                hashNanos = hashes.nanos();
                hashBytes = hashes.bytes();
            }
            summary.put("output_bytes", result.fileBytes());
            summary.put("seconds", result.totalNanos() / 1e9);
            Map<String, Long> before = new LinkedHashMap<>();
            before.put("open", openedAt - started);
            before.put("plan", planned - openedAt);
            EngineRun.putPhases(summary, before, result, hashBytes);
            summary.put("hashing_seconds", hashNanos / 1e9);
            ObjectNode md = summary.putObject("metadata");
            metadata.forEach(md::put);
            if (write.out.json()) {
                out.println(Json.write(Json.array().add(summary)));
            } else {
                printSummary(out, err, plan, output, result);
            }
            return ExitCode.OK;
        } finally {
            for (ModelFile f : opened) {
                f.close();
            }
        }
    }

    private MergePlan plan(List<MergeInput> inputs, MergeOptions options) throws CliException {
        try {
            return MergePlanner.plan(inputs.get(0), inputs.size() > 1 ? inputs.get(1) : null,
                    inputs.size() > 2 ? inputs.get(2) : null, options);
        } catch (MergeException e) {
            throw new CliException(ExitCode.INVALID_INPUT, "cannot merge " + labelled() + ": " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw Failures.reading(models.get().get(0), e);
        }
    }

    /** Opens an input; a zstd-compressed one is decompressed into the output's folder. */
    private static ModelFile open(Path p, Path folder) throws CliException {
        try {
            return ModelFile.open(p, ReadOptions.defaults().withTempDirectory(folder));
        } catch (Exception e) {
            throw Failures.reading(p, e);
        }
    }

    /**
     * The hashing's progress: a bar only while the merge waits for it, once its tensors are
     * written (until then the writing's bar shows).
     */
    private static final class HashWait {
        private final PrintWriter err;
        private final boolean bars;
        private final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        private volatile ProgressBar bar;

        HashWait(PrintWriter err, boolean bars) {
            this.err = err;
            this.bars = bars;
        }

        void advance(long bytes) {
            done.addAndGet(bytes);
            ProgressBar b = bar;
            if (b != null) {
                b.advance(bytes);
            }
        }

        List<MergeInput> await(InputHashes hashes) throws java.io.IOException {
            if (!hashes.isDone()) {
                bar = new ProgressBar(err, "hashing the inputs", hashes.bytes(), bars, done.get());
            }
            try {
                return hashes.await();
            } finally {
                ProgressBar b = bar;
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    /** "a.ckpt (A) with b.safetensors (B)". */
    private String labelled() {
        StringBuilder s = new StringBuilder();
        String[] names = {"A", "B", "C"};
        for (int i = 0; i < models.get().size(); i++) {
            s.append(i == 0 ? "" : " with ").append(models.get().get(i)).append(" (").append(names[i]).append(')');
        }
        return s.toString();
    }

    /** -o as a file, else the web UI's default name in -o's folder or beside A. */
    private Path output(MergePlan plan) {
        String name = plan.defaultName() + (write.zstd() != null ? ".safetensors.zst" : ".safetensors");
        return OutputPaths.resolveName(models.get().get(0), write.out.output(), name);
    }

    private ObjectNode summary(MergePlan plan, Path output) {
        ObjectNode s = Json.object();
        ObjectNode in = s.putObject("inputs");
        String[] names = {"A", "B", "C"};
        for (int i = 0; i < models.get().size(); i++) {
            in.put(names[i], models.get().get(i).toString());
        }
        s.put("output", output.toString());
        s.put("dry_run", dryRun.get());
        MergeOptions o = resolved;
        s.put("method", o.method().label());
        s.put("interp_method", o.method().webUiLabel());
        s.put("multiplier", o.multiplier());
        s.put("save_as_half", o.saveAsHalf());
        s.put("tensors", plan.tensors().entries().size());
        s.put("output_tensor_bytes", plan.tensors().outputTensorBytes());
        strings(s.putArray("merged"), plan.merged());
        strings(s.putArray("channel_merged"), plan.channelMerged());
        strings(s.putArray("kept_from_a"), plan.keptFromA());
        strings(s.putArray("only_in_b"), plan.onlyInB());
        strings(s.putArray("missing_in_c"), plan.missingInC());
        strings(s.putArray("halved"), plan.halved());
        s.put("inpainting", plan.inpainting());
        s.put("instruct_pix2pix", plan.instructPix2Pix());
        SurgeryOptions.put(s, surgery.bakeVae(), plan.vae(), plan.clipFixes(), true);
        strings(s.putArray("discarded"), plan.discarded());
        s.put("config", plan.config() == null ? null : plan.config().toString());
        return s;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    private void describe(PrintWriter out, MergePlan plan) {
        MergeOptions o = resolved;
        if (o.method() == MergeMethod.NO_INTERPOLATION) {
            out.printf("  No interpolation: A's %d tensors%n", plan.keptFromA().size());
        } else {
            out.printf(Locale.ROOT, "  %s, M = %s: %d tensors merged%s, %d kept from A%s%s%n", o.method().webUiLabel(),
                    Double.toString(o.multiplier()), plan.merged().size(),
                    plan.channelMerged().isEmpty() ? "" : " (" + plan.channelMerged().size() + " on its first 4 input channels: "
                            + (plan.inpainting() ? "inpainting" : "instruct-pix2pix") + " A)",
                    plan.keptFromA().size(),
                    plan.onlyInB().isEmpty() ? "" : ", " + plan.onlyInB().size() + " only in B dropped",
                    plan.missingInC().isEmpty() ? "" : ", " + plan.missingInC().size() + " not in C (difference zero)");
        }
        if (o.saveAsHalf()) {
            out.printf("  save as float16: %d float32 tensors converted%n", plan.halved().size());
        }
        if (!plan.discarded().isEmpty() || discard.get() != null) {
            out.printf("  discarded: %d tensors matching '%s'%n", plan.discarded().size(), discard.get());
        }
        SurgeryOptions.print(out, surgery.bakeVae(), plan.vae(), plan.clipFixes());
    }

    private void printDryRun(PrintWriter out, MergePlan plan, Path output) {
        out.printf("%s -> %s (dry run: nothing written)%n", labelled(), output);
        describe(out, plan);
        for (TensorPlan.Entry e : plan.tensors().entries()) {
            // sources named like the output tensor show as A, B, C
            String expr = e.expr().toString().replace(":" + e.name(), "");
            out.printf("  %s %s%s = %s%n", e.name(), e.dtype(), java.util.Arrays.toString(e.shape()), expr);
        }
        plan.onlyInB().forEach(k -> out.printf("  drop  %s (only in B)%n", k));
        plan.discarded().forEach(k -> out.printf("  drop  %s (--discard)%n", k));
        if (plan.config() != null) {
            out.printf("  config: %s would be copied%n", plan.config());
        }
    }

    private void printSummary(PrintWriter out, PrintWriter err, MergePlan plan, Path output, WriteResult r) {
        out.printf("%s -> %s%n", labelled(), output);
        describe(out, plan);
        if (plan.config() != null) {
            out.printf("  config copied: %s -> %s%n", plan.config().getFileName(), r.sidecars().get(0).getFileName());
        }
        out.printf(Locale.ROOT, "  %d tensors, %s in %.1f s%n", plan.tensors().entries().size(), Sizes.human(r.fileBytes()),
                r.totalNanos() / 1e9);
        long overflows = r.total().overflows();
        if (overflows > 0) {
            err.printf("sdmodel: warning: %d values overflowed to infinity when converted to float16%n", overflows);
        }
    }

    /** {@code weighted-sum}, {@code add-difference}, {@code no-interpolation} (also with underscores, any case). */
    static final class MethodConverter implements picocli.CommandLine.ITypeConverter<MergeMethod> {
        @Override
        public MergeMethod convert(String value) {
            for (MergeMethod m : MergeMethod.values()) {
                if (m.label().equalsIgnoreCase(value.replace('_', '-'))) {
                    return m;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value
                    + "' is not a method: weighted-sum, add-difference or no-interpolation");
        }
    }
}
