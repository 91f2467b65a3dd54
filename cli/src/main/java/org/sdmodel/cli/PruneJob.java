package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ReadOptions;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.Precision;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.safetensors.SafetensorsWriter;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdModelFile;
import org.sdmodel.zstd.ZstdResult;
import org.sdmodel.zstd.ZstdSettings;

/**
 * One input through {@code prune} or {@code convert}: open, plan ({@link PrunePlan}), hand the plan
 * to the engine ({@link ModelWriter}: written atomically, self-checked, verified, compressed), and
 * report. Both commands are this job with different options and output names.
 */
final class PruneJob {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final boolean quiet;
    private final boolean dryRun;
    private final boolean verify;
    private final boolean force;
    private final boolean recordEmaAndPrecision;
    private Function<Path, Path> tempFolder = input -> null;
    private Path pendingFolder;
    private Integer zstdLevel;
    private int zstdWorkers = ZstdSettings.defaults().workers();
    private boolean sync = true;

    /**
     * @param recordEmaAndPrecision true for prune: the EMA mode and precision go into the metadata,
     *     and an empty result is refused (convert writes an empty state dict faithfully)
     */
    PruneJob(PrintWriter out, PrintWriter err, boolean json, boolean quiet, boolean dryRun, boolean verify,
            boolean force, boolean recordEmaAndPrecision) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.quiet = quiet;
        this.dryRun = dryRun;
        this.verify = verify;
        this.force = force;
        this.recordEmaAndPrecision = recordEmaAndPrecision;
    }

    /** Output name suffix decider: gets the plan (whether EMA weights were swapped in). */
    interface Naming {
        Path output(Path input, PrunePlan plan);
    }

    /**
     * Where a zstd-compressed input is decompressed for reading (the CLI's choice: the output's
     * folder, where the user expects space to be used); null for the system's temporary folder.
     */
    PruneJob tempFolder(Function<Path, Path> folderForInput) {
        this.tempFolder = folderForInput;
        return this;
    }

    /** In a dry run, the output folder a real run would create (it does not exist yet); null if none. */
    PruneJob pendingFolder(Path folder) {
        this.pendingFolder = folder;
        return this;
    }

    /**
     * Compresses every output with zstd at {@code level}; null (the default) compresses only
     * outputs whose name ends in {@code .zst}, at {@link ZstdSettings#DEFAULT_LEVEL}.
     */
    PruneJob zstd(Integer level, int workers) {
        this.zstdLevel = level;
        this.zstdWorkers = workers;
        return this;
    }

    /** Whether outputs are made durable before they are renamed into place (not with {@code --no-sync}). */
    PruneJob sync(boolean durable) {
        this.sync = durable;
        return this;
    }

    /** The zstd settings for {@code output}, or null to write it uncompressed. */
    private ZstdSettings compression(Path output) {
        if (zstdLevel == null && !output.getFileName().toString().endsWith(".zst")) {
            return null;
        }
        return ZstdSettings.defaults().withWorkers(zstdWorkers)
                .withLevel(zstdLevel == null ? ZstdSettings.DEFAULT_LEVEL : zstdLevel);
    }

    /** Runs the job on one input; returns a JSON summary. */
    ObjectNode run(Path input, PruneOptions options, Naming naming) throws CliException {
        long jobStart = System.nanoTime();
        try (ModelFile model = open(input)) {
            ImportWarnings.print(err, input, model);
            Trace.mark("opened");
            // a compressed input's decompression counts in the time reported
            long openNanos = System.nanoTime() - jobStart;
            warnIfMisnamed(input, model);
            PrunePlan plan;
            try {
                plan = PrunePlan.of(model, options);
            } catch (Exception e) {
                throw Failures.reading(input, e);
            }
            if (plan.items().isEmpty() && recordEmaAndPrecision) {
                throw new CliException(ExitCode.INVALID_INPUT, input + ": nothing to write: the state dict holds no tensors"
                        + (plan.dropped().isEmpty() ? "" : " after dropping " + plan.dropped().size()));
            }
            Path output = naming.output(input, plan);
            OutputPaths.check(input, output, force || dryRun, pendingFolder);
            TensorPlan tensors = plan.tensors(plan.metadata(model, recordEmaAndPrecision));
            SafetensorsWriter writer;
            try {
                writer = tensors.layout();
            } catch (IllegalArgumentException e) {
                // a name safetensors cannot hold (empty, "__metadata__", broken unicode)
                throw new CliException(ExitCode.INVALID_INPUT, input + ": cannot be written as safetensors: " + e.getMessage());
            }
            ZstdSettings zstd = compression(output);
            // the summary lists every tensor kept and dropped: built only when --json prints it
            ObjectNode summary = json ? summary(input, output, model, plan, writer) : Json.object();
            if (zstd != null) {
                summary.put("zstd_level", zstd.level());
            }
            if (dryRun) {
                summary.put("output_exists", Files.exists(output));
                if (!json) {
                    printDryRun(plan, input, output, writer, model);
                }
                return summary;
            }
            Trace.mark("planned");
            long planNanos = System.nanoTime() - jobStart - openNanos;
            WriteResult result = EngineRun.write(tensors, output, new org.sdmodel.engine.WriteOptions(force,
                    plan.options().threads(), verify, zstd, new EngineProgress(err, output.getFileName().toString(),
                            !quiet && !json && ProgressBar.terminal()), sync), input.toString());
            ZstdResult compressed = result.compressed();
            long jobNanos = System.nanoTime() - jobStart;
            addResult(summary, result, plan, jobNanos);
            Map<String, Long> before = new LinkedHashMap<>();
            before.put("open", openNanos);
            before.put("plan", planNanos);
            EngineRun.putPhases(summary, before, result, 0);
            if (model instanceof ZstdModelFile) {
                summary.put("decompression_seconds", openNanos / 1e9);
            }
            if (compressed != null) {
                summary.put("output_bytes", compressed.compressedBytes());
                summary.put("uncompressed_bytes", compressed.uncompressedBytes());
                summary.put("uncompressed_sha256", compressed.uncompressedSha256());
                summary.put("compressed_bytes", compressed.compressedBytes());
            }
            if (!json) {
                printSummary(input, output, model, plan, result, jobNanos, model instanceof ZstdModelFile ? openNanos : 0);
                if (compressed != null) {
                    printCompression(zstd, compressed);
                }
            }
            return summary;
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.reading(input, e);
        }
    }

    /** The web UI picks the loader by the extension: a file named for another format fails there. */
    private void warnIfMisnamed(Path input, ModelFile model) {
        String mismatch = OutputPaths.extensionMismatch(input, model.format());
        if (mismatch != null) {
            err.println("sdmodel: warning: " + mismatch);
        }
    }

    /** Opens an input; a zstd-compressed one is decompressed into the temporary folder chosen for it. */
    private ModelFile open(Path input) throws java.io.IOException, CliException {
        Path folder = tempFolder.apply(input);
        if (folder != null && Files.isRegularFile(input) && ZstdFiles.isZstd(input)) {
            // said before decompressing gigabytes, not after
            if (!Files.isDirectory(folder)) {
                throw new CliException(ExitCode.USAGE, input + ": the output folder " + folder + " does not exist");
            }
            if (!Files.isWritable(folder)) {
                throw new CliException(ExitCode.OUTPUT_FAILED, input + ": cannot write the decompressed copy in "
                        + folder + ": permission denied");
            }
        }
        try {
            return Inputs.open(input, ReadOptions.defaults().withTempDirectory(folder), err, !quiet && !json);
        } catch (InsufficientSpaceException e) {
            throw new CliException(ExitCode.OUTPUT_FAILED, input + ": " + e.getReason(), e);
        }
    }

    private ObjectNode summary(Path input, Path output, ModelFile model, PrunePlan plan,
            SafetensorsWriter writer) {
        ObjectNode s = Json.object();
        s.put("input", input.toString());
        s.put("output", output.toString());
        s.put("dry_run", dryRun);
        s.put("input_format", model.format().name().toLowerCase(Locale.ROOT));
        s.put("input_bytes", model.size());
        s.put("output_bytes", writer.fileSize());
        s.put("ema", plan.options().ema().label());
        s.put("ema_swapped", plan.emaSwapped());
        s.put("precision", plan.options().precision().label());
        s.put("tensors_kept", plan.items().size());
        s.put("tensors_converted", plan.convertedCount());
        ObjectNode byDtype = s.putObject("tensors_converted_to");
        convertedByDtype(plan).forEach((dtype, n) -> byDtype.put(dtype.name(), n));
        s.put("tensors_dropped", plan.dropped().size());
        ObjectNode dropped = s.putObject("dropped");
        plan.dropped().forEach(dropped::put);
        ObjectNode unconverted = s.putObject("unconverted");
        plan.unconverted().forEach(unconverted::put);
        ObjectNode top = s.putObject("dropped_top_level");
        plan.droppedTopLevel().forEach(top::put);
        ObjectNode skipped = s.putObject("non_tensor_values");
        plan.skippedValues().forEach(skipped::put);
        SurgeryOptions.put(s, plan.options().bakeVae() == null ? null : plan.options().bakeVae().path(), plan.vae(),
                plan.clipFixes(), plan.options().fixClip());
        return s;
    }

    private void addResult(ObjectNode s, WriteResult r, PrunePlan plan, long jobNanos) {
        ConversionStats total = r.total();
        s.put("seconds", jobNanos / 1e9);
        s.put("verified", verify);
        ObjectNode loss = s.putObject("conversion");
        loss.put("overflow_to_inf", total.overflows());
        loss.put("underflow_to_zero", total.underflows());
        loss.put("nan_or_inf_in_input", (total.nanInputs() + total.infinityInputs()));
        ArrayNode overflowed = loss.putArray("overflowed_tensors");
        r.stats().forEach((name, st) -> {
            if (st.overflows() > 0) {
                overflowed.add(name);
            }
        });
    }

    private void printDryRun(PrunePlan plan, Path input, Path output, SafetensorsWriter writer, ModelFile model) {
        String exists = !Files.exists(output) ? ""
                : force ? "; the output exists: the real run replaces it" : "; the output exists: the real run needs --force";
        out.printf(Locale.ROOT, "%s -> %s (dry run: nothing written%s)%n", input, output, exists);
        Path folder = output.toAbsolutePath().getParent();
        if (pendingFolder != null && folder.normalize().equals(pendingFolder.toAbsolutePath().normalize())) {
            out.printf(Locale.ROOT, "  the folder %s would be created%n", pendingFolder);
        }
        out.printf(Locale.ROOT, "  would write %s%s, %s%n", Words.count(plan.items().size(), "tensor"), conversion(plan),
                Sizes.human(writer.fileSize()));
        for (PrunePlan.Item item : plan.items()) {
            String note = item.converts() ? item.source().dtype() + " -> " + item.dtype()
                    : item.dtype() + (plan.unconverted().containsKey(item.name()) ? " (kept: " + plan.unconverted().get(item.name()) + ")" : "");
            String from = item.sourceName().equals(item.name()) ? "" : "  <- " + item.sourceName();
            out.printf(Locale.ROOT, "  keep  %s %s%s%n", item.name(), note, from);
        }
        plan.dropped().forEach((n, why) -> out.printf(Locale.ROOT, "  drop  %s (%s)%n", n, why));
        plan.droppedTopLevel().forEach((n, d) -> out.printf(Locale.ROOT, "  drop  top-level '%s': %s%n", n, d));
        SurgeryOptions.print(out, plan.options().bakeVae() == null ? null : plan.options().bakeVae().path(), plan.vae(),
                plan.clipFixes());
    }

    private void printSummary(Path input, Path output, ModelFile model, PrunePlan plan, WriteResult r, long jobNanos,
            long decompressionNanos) {
        out.printf(Locale.ROOT, "%s -> %s%n", input, output);
        out.printf(Locale.ROOT, "  %s -> %s in %.1f s%s%n", Sizes.human(model.size()), Sizes.human(r.fileBytes()), jobNanos / 1e9,
                decompressionNanos > 0 ? String.format(Locale.ROOT, " (%.1f s of it decompressing the input)", decompressionNanos / 1e9) : "");
        out.printf(Locale.ROOT, "  tensors: %d kept%s, %d dropped%n", plan.items().size(), conversion(plan), plan.dropped().size());
        if (plan.options().ema() == EmaPolicy.USE && plan.emaSwapped() > 0) {
            out.printf(Locale.ROOT, "  EMA: use (%s took their EMA values; EMA copies dropped)%n",
                    Words.count(plan.emaSwapped(), "weight"));
        } else if (PrunePlanFacts.hasEmaKeys(plan)) {
            out.printf(Locale.ROOT, "  EMA: %s%n", plan.options().ema().label());
        }
        if (!plan.unconverted().isEmpty()) {
            out.printf(Locale.ROOT, "  kept at full precision: %s (%s)%n", Words.count(plan.unconverted().size(), "tensor"),
                    String.join(", ", new java.util.TreeSet<>(plan.unconverted().values())));
        }
        if (!plan.droppedTopLevel().isEmpty()) {
            out.printf(Locale.ROOT, "  dropped top-level entries: %s%n", String.join(", ", plan.droppedTopLevel().keySet()));
        }
        if (!plan.skippedValues().isEmpty()) {
            out.printf(Locale.ROOT, "  non-tensor values not written: %d%n", plan.skippedValues().size());
        }
        SurgeryOptions.print(out, plan.options().bakeVae() == null ? null : plan.options().bakeVae().path(), plan.vae(),
                plan.clipFixes());
        ConversionStats total = r.total();
        if ((total.nanInputs() + total.infinityInputs()) > 0) {
            out.printf(Locale.ROOT, "  note: the input already held %s%n",
                    Words.count(total.nanInputs() + total.infinityInputs(), "NaN or infinite value"));
        }
        if (total.underflows() > 0) {
            out.printf(Locale.ROOT, "  note: %s became zero%n", Words.count(total.underflows(), "small non-zero value"));
        }
        if (total.overflows() > 0) {
            List<String> names = new java.util.ArrayList<>();
            r.stats().forEach((n, st) -> {
                if (st.overflows() > 0) {
                    names.add(n);
                }
            });
            String to = plan.options().precision() == Precision.FP8_E4M3FN
                    ? "(to infinity, or to NaN in float8 e4m3fn, which has no infinity)" : "to infinity";
            err.printf(Locale.ROOT, "sdmodel: warning: %s overflowed %s in %s: %s%n", Words.count(total.overflows(), "value"),
                    to, Words.count(names.size(), "tensor"), String.join(", ", names.subList(0, Math.min(10, names.size())))
                            + (names.size() > 10 ? ", ..." : ""));
        }
        out.println(checked(plan));
        if (model.format() != ModelFormat.SAFETENSORS && !quiet) {
            out.flush();
        }
    }

    /**
     * " (35 converted to fp16)"; for the float8 precisions by output dtype, " (35 converted: 24 to
     * F16, 11 to F8_E4M3)"; " (dtypes unchanged)" when nothing converts ({@code --precision keep}, convert).
     */
    private static String conversion(PrunePlan plan) {
        long converted = plan.convertedCount();
        if (converted == 0) {
            return " (dtypes unchanged)";
        }
        if (!plan.options().precision().isFloat8()) {
            return " (" + converted + " converted to " + plan.options().precision().label() + ")";
        }
        StringBuilder b = new StringBuilder(" (").append(converted).append(" converted: ");
        convertedByDtype(plan).forEach((dtype, n) -> b.append(n).append(" to ").append(dtype.name()).append(", "));
        return b.substring(0, b.length() - 2) + ")";
    }

    /** The converted tensors by output dtype, in the order the dtypes first come. */
    private static Map<org.sdmodel.DType, Long> convertedByDtype(PrunePlan plan) {
        Map<org.sdmodel.DType, Long> by = new LinkedHashMap<>();
        for (PrunePlan.Item item : plan.items()) {
            if (item.converts()) {
                by.merge(item.dtype(), 1L, Long::sum);
            }
        }
        return by;
    }

    /** What the self-check after writing compared (with --verify, everything). */
    private String checked(PrunePlan plan) {
        if (!verify) {
            return "  checked: the header read back as written, and the file size (--verify also compares every value)";
        }
        return "  verified: re-read the output: " + Words.count(plan.items().size(), "tensor")
                + " with the planned names, dtypes and shapes, every value equal to the source's"
                + (plan.convertedCount() > 0 ? " (after conversion)" : "");
    }

    private void printCompression(ZstdSettings zstd, ZstdResult z) {
        out.printf(Locale.ROOT, "  zstd level %d: %s uncompressed -> %s (%.1f%%), uncompressed sha256 %s%n", zstd.level(),
                Sizes.human(z.uncompressedBytes()), Sizes.human(z.compressedBytes()), 100 * z.ratio(),
                z.uncompressedSha256());
    }


    /** Small facts about a plan for the summary. */
    private static final class PrunePlanFacts {
        static boolean hasEmaKeys(PrunePlan plan) {
            return plan.emaSwapped() > 0 || plan.dropped().keySet().stream().anyMatch(n -> n.startsWith("model_ema."))
                    || plan.items().stream().anyMatch(i -> i.name().startsWith("model_ema."));
        }
    }
}
