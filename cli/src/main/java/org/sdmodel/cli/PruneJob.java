package org.sdmodel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.prune.PruneResult;
import org.sdmodel.prune.Pruner;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * One input through {@code prune} or {@code convert}: open, plan, write atomically, self-check,
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

    /** Phase timings on standard error when the system property sdmodel.trace is set (for profiling). */
    private static final boolean TRACE = System.getProperty("sdmodel.trace") != null;
    private final long started = System.nanoTime();

    private void trace(String phase) {
        if (TRACE) {
            err.printf(Locale.ROOT, "trace: %7.1f ms %s%n", (System.nanoTime() - started) / 1e6, phase);
        }
    }

    /** Runs the job on one input; returns a JSON summary. */
    ObjectNode run(Path input, PruneOptions options, Naming naming, ObjectMapper mapper) throws CliException {
        trace("start");
        try (ModelFile model = ModelFile.open(input)) {
            trace("opened");
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
            OutputPaths.check(input, output, force || dryRun);
            Map<String, String> metadata = metadata(model, plan);
            SafetensorsWriter writer;
            try {
                writer = Pruner.writerFor(plan, metadata);
            } catch (IllegalArgumentException e) {
                // a name safetensors cannot hold (empty, "__metadata__", broken unicode)
                throw new CliException(ExitCode.INVALID_INPUT, input + ": cannot be written as safetensors: " + e.getMessage());
            }
            ObjectNode summary = summary(mapper, input, output, model, plan, writer);
            if (dryRun) {
                if (!json) {
                    printDryRun(plan, input, output, writer, model);
                }
                return summary;
            }
            PruneResult result;
            try (AtomicOutput target = AtomicOutput.create(output, force);
                    ProgressBar bar = new ProgressBar(err, output.getFileName().toString(), plan.inputTensorBytes(),
                            !quiet && !json && ProgressBar.terminal())) {
                try {
                    trace("planned");
                    target.flushInBackground();
                    result = Pruner.write(plan, writer, target.channel(), bar::advance);
                    trace("written");
                    try (ModelFile written = ModelFile.open(target.tempFile())) {
                        Pruner.verify(plan, written, verify);
                    }
                    trace("checked");
                    target.commit();
                    trace("committed");
                } catch (org.sdmodel.prune.PruneException e) {
                    throw new CliException(ExitCode.OUTPUT_FAILED, output + ": " + e.getMessage(), e);
                } catch (java.io.IOException e) {
                    if (isReadFailure(e)) {
                        throw Failures.reading(input, e);
                    }
                    throw Failures.writing(output, e);
                }
            } catch (java.io.IOException e) {
                throw Failures.writing(output, e);
            }
            addResult(summary, result, plan);
            if (!json) {
                printSummary(input, output, model, plan, result);
            }
            return summary;
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.reading(input, e);
        }
    }

    /** A tensor read that fails mid-way (a truncated storage) is the input's fault, not the output's. */
    private static boolean isReadFailure(java.io.IOException e) {
        return e instanceof java.io.EOFException || e instanceof org.sdmodel.ModelFormatException;
    }

    private Map<String, String> metadata(ModelFile model, PrunePlan plan) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        // A safetensors source's own metadata (kohya's ss_*, merge recipes) is worth keeping.
        for (Map.Entry<String, String> e : model.metadata().entrySet()) {
            if (!e.getKey().equals("format") && !e.getKey().startsWith("sdmodel.")) {
                m.put(e.getKey(), e.getValue());
            }
        }
        m.put("sdmodel.source", model.path().getFileName().toString());
        if (recordEmaAndPrecision) {
            m.put("sdmodel.ema", plan.options().ema().label());
            m.put("sdmodel.precision", plan.options().precision().name().toLowerCase(Locale.ROOT));
        }
        try {
            for (Map.Entry<Object, Object> e : model.stateDict().otherTopLevelEntries().entrySet()) {
                if (("global_step".equals(e.getKey()) || "epoch".equals(e.getKey())) && e.getValue() instanceof Long) {
                    m.put("sdmodel." + e.getKey(), e.getValue().toString());
                }
            }
        } catch (org.sdmodel.ModelFormatException e) {
            // the plan was made from the same state dict: cannot happen
        }
        return m;
    }

    private ObjectNode summary(ObjectMapper mapper, Path input, Path output, ModelFile model, PrunePlan plan,
            SafetensorsWriter writer) {
        ObjectNode s = mapper.createObjectNode();
        s.put("input", input.toString());
        s.put("output", output.toString());
        s.put("dry_run", dryRun);
        s.put("input_format", model.format().name().toLowerCase(Locale.ROOT));
        s.put("input_bytes", model.size());
        s.put("output_bytes", writer.fileSize());
        s.put("ema", plan.options().ema().label());
        s.put("ema_swapped", plan.emaSwapped());
        s.put("precision", plan.options().precision().name().toLowerCase(Locale.ROOT));
        s.put("tensors_kept", plan.items().size());
        s.put("tensors_converted", plan.convertedCount());
        s.put("tensors_dropped", plan.dropped().size());
        ObjectNode dropped = s.putObject("dropped");
        plan.dropped().forEach(dropped::put);
        ObjectNode unconverted = s.putObject("unconverted");
        plan.unconverted().forEach(unconverted::put);
        ObjectNode top = s.putObject("dropped_top_level");
        plan.droppedTopLevel().forEach(top::put);
        ObjectNode skipped = s.putObject("non_tensor_values");
        plan.skippedValues().forEach(skipped::put);
        return s;
    }

    private void addResult(ObjectNode s, PruneResult r, PrunePlan plan) {
        ConversionStats total = r.total();
        s.put("seconds", r.nanos() / 1e9);
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
        out.printf("%s -> %s (dry run: nothing written)%n", input, output);
        out.printf("  would write %d tensors (%d converted to %s), %s%n", plan.items().size(), plan.convertedCount(),
                plan.options().precision().name().toLowerCase(Locale.ROOT), Sizes.human(writer.fileSize()));
        for (PrunePlan.Item item : plan.items()) {
            String note = item.converts() ? item.source().dtype() + " -> " + item.dtype()
                    : item.dtype() + (plan.unconverted().containsKey(item.name()) ? " (kept: " + plan.unconverted().get(item.name()) + ")" : "");
            String from = item.sourceName().equals(item.name()) ? "" : "  <- " + item.sourceName();
            out.printf("  keep  %s %s%s%n", item.name(), note, from);
        }
        plan.dropped().forEach((n, why) -> out.printf("  drop  %s (%s)%n", n, why));
        plan.droppedTopLevel().forEach((n, d) -> out.printf("  drop  top-level '%s': %s%n", n, d));
    }

    private void printSummary(Path input, Path output, ModelFile model, PrunePlan plan, PruneResult r) {
        double seconds = r.nanos() / 1e9;
        out.printf("%s -> %s%n", input, output);
        out.printf("  %s -> %s in %.1f s%n", Sizes.human(model.size()), Sizes.human(r.outputFileBytes()), seconds);
        out.printf("  tensors: %d kept (%d converted to %s), %d dropped%n", plan.items().size(), plan.convertedCount(),
                plan.options().precision().name().toLowerCase(Locale.ROOT), plan.dropped().size());
        if (plan.options().ema() == EmaPolicy.USE && plan.emaSwapped() > 0) {
            out.printf("  EMA: use (%d weights took their EMA values; EMA copies dropped)%n", plan.emaSwapped());
        } else if (PrunePlanFacts.hasEmaKeys(plan)) {
            out.printf("  EMA: %s%n", plan.options().ema().label());
        }
        if (!plan.unconverted().isEmpty()) {
            out.printf("  kept at full precision: %d tensors (%s)%n", plan.unconverted().size(),
                    String.join(", ", new java.util.TreeSet<>(plan.unconverted().values())));
        }
        if (!plan.droppedTopLevel().isEmpty()) {
            out.printf("  dropped top-level entries: %s%n", String.join(", ", plan.droppedTopLevel().keySet()));
        }
        if (!plan.skippedValues().isEmpty()) {
            out.printf("  non-tensor values not written: %d%n", plan.skippedValues().size());
        }
        ConversionStats total = r.total();
        if ((total.nanInputs() + total.infinityInputs()) > 0) {
            out.printf("  note: the input already held %d NaN or infinite values%n", (total.nanInputs() + total.infinityInputs()));
        }
        if (total.underflows() > 0) {
            out.printf("  note: %d small non-zero values became zero%n", total.underflows());
        }
        if (total.overflows() > 0) {
            List<String> names = new java.util.ArrayList<>();
            r.stats().forEach((n, st) -> {
                if (st.overflows() > 0) {
                    names.add(n);
                }
            });
            err.printf("sdmodel: warning: %d values overflowed to infinity in %d tensors: %s%n", total.overflows(),
                    names.size(), String.join(", ", names.subList(0, Math.min(10, names.size())))
                            + (names.size() > 10 ? ", ..." : ""));
        }
        if (model.format() != ModelFormat.SAFETENSORS && !quiet) {
            out.flush();
        }
    }

    static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Small facts about a plan for the summary. */
    private static final class PrunePlanFacts {
        static boolean hasEmaKeys(PrunePlan plan) {
            return plan.emaSwapped() > 0 || plan.dropped().keySet().stream().anyMatch(n -> n.startsWith("model_ema."))
                    || plan.items().stream().anyMatch(i -> i.name().startsWith("model_ema."));
        }
    }
}
