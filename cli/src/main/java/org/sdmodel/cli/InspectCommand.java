package org.sdmodel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.convert.Precision;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.Component;
import org.sdmodel.inspect.Inspector;
import org.sdmodel.inspect.ModelInspection;
import org.sdmodel.inspect.PruneEstimate;
import org.sdmodel.inspect.TensorStats;
import org.sdmodel.inspect.TopLevelEntry;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code sdmodel inspect}: what a model file is and holds. */
final class InspectCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "inspect",
            "Show what a model file is and holds: its architecture (and the keys that decide it), "
                + "components, training baggage (EMA copies, optimizer state), what prune would write, "
                + "format, tensors, metadata. Reads no tensor data (except CLIP's 77 position ids), so it "
                + "takes seconds on any file.");

    private final Arg<List<Path>> files = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("1..*").description("Model files (.ckpt, .pt, .pth, .bin, .safetensors),"
                    + " or a web UI folder: shows where that web UI keeps checkpoints, VAEs, LoRAs, embeddings and its hash"
                    + " cache, and why (which flag of COMMANDLINE_ARGS, from which file and line)."));

    private final Arg<Boolean> json = CommandSpecs.flag(spec, OptionSpec.builder("--json")
            .description("Print JSON: an array with one object per file (also for one file)."));

    private final Arg<Boolean> listTensors = CommandSpecs.flag(spec, OptionSpec.builder("--tensors")
            .description("List every tensor (name, dtype, shape)."));

    private final Arg<Boolean> hash = CommandSpecs.flag(spec, OptionSpec.builder("--hash")
            .description("Also hash the whole file (slow on big files): names official releases and their prediction type."));

    private final Arg<Boolean> quiet = CommandSpecs.flag(spec, OptionSpec.builder("-q", "--quiet")
            .description("No progress bar (with --hash, or for a .zst input)."));

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        return EachInput.run(spec, files.get(), json.get(), file -> {
            if (Files.isDirectory(file)) {
                WebUiLayout layout;
                try {
                    layout = WebUiReport.layout(spec, file);
                } catch (CliException e) {
                    throw new CliException(ExitCode.INVALID_INPUT, file + ": is a folder, and not a web UI folder"
                            + " (inspect reads model files, or shows a web UI's folders)", e);
                }
                if (!json.get()) {
                    WebUiReport.print(out, layout);
                }
                return WebUiReport.json(layout);
            }
            try (ModelFile model = Inputs.open(file, ReadOptions.defaults(), spec.commandLine().getErr(), !quiet.get() && !json.get())) {
                ImportWarnings.print(spec.commandLine().getErr(), file, model);
                String mismatch = OutputPaths.extensionMismatch(file, model.format());
                if (mismatch != null) {
                    spec.commandLine().getErr().println("sdmodel: warning: " + mismatch);
                }
                ModelHashes hashes = hash.get() ? hash(file) : null;
                ModelInspection inspection = Inspector.inspect(model, hashes == null ? null : hashes.sha256());
                ObjectNode report = report(model, inspection, hashes);
                if (!json.get()) {
                    printText(out, model, inspection, report);
                }
                return report;
            } catch (Exception e) {
                throw Failures.reading(file, e);
            }
        });
    }

    private ModelHashes hash(Path file) throws java.io.IOException {
        PrintWriter err = spec.commandLine().getErr();
        try (ProgressBar bar = new ProgressBar(err, "hashing " + file.getFileName(), Files.size(file),
                !quiet.get() && !json.get() && ProgressBar.terminal())) {
            return ModelHashes.compute(file, bar::advance);
        }
    }

    private ObjectNode report(ModelFile model, ModelInspection i, ModelHashes hashes) throws Exception {
        ObjectNode r = Json.object();
        r.put("file", model.path().toString());
        r.put("format", model.format().name().toLowerCase(Locale.ROOT));
        r.put("size", model.size());
        StateDict sd = model.stateDict();
        r.put("state_dict_location", sd.location());
        r.put("tensors", i.stateDict().tensors());
        r.put("parameters", i.stateDict().parameters());
        r.put("bytes", i.stateDict().bytes());
        ObjectNode dt = r.putObject("dtypes");
        i.stateDict().dtypes().forEach(dt::put);

        r.put("architecture", i.architecture().architecture().label());
        r.put("architecture_description", i.architecture().architecture().description());
        ArrayNode decided = r.putArray("decided_by");
        i.architecture().decidingKeys().forEach(decided::add);
        r.put("architecture_reason", i.architecture().reason());
        r.put("prediction", i.prediction().type().label());
        r.put("prediction_basis", i.prediction().basis());
        if (hashes != null) {
            r.set("hashes", HashCommand.hashesJson(hashes));
            r.set("known_model", HashCommand.knownJson(i.knownModel()));
        }
        ObjectNode components = r.putObject("components");
        for (Component c : i.components().values()) {
            ObjectNode o = components.putObject(c.name());
            o.put("description", c.description());
            o.put("key_prefix", c.keyPrefix());
            stats(o, c.stats());
        }
        stats(r.putObject("other_tensors"), i.otherTensors());
        ArrayNode missing = r.putArray("missing_components");
        i.missingComponents().forEach(missing::add);
        ArrayNode problems = r.putArray("problems");
        i.problems().forEach(problems::add);
        r.put("has_ema", i.ema().present());
        ObjectNode ema = r.putObject("ema");
        ema.put("copies", i.ema().copies());
        ema.put("bytes", i.ema().bytes());
        ema.put("unet_weights", i.ema().unetWeights());
        ema.put("unet_covered", i.ema().unetCovered());
        ema.put("covers_unet", i.ema().coversUnet());
        r.put("has_optimizer", i.hasOptimizer());
        ObjectNode others = r.putObject("other_entries");
        for (TopLevelEntry e : i.topLevelEntries()) {
            ObjectNode o = others.putObject(e.name());
            o.put("holds", e.description());
            o.put("tensor_bytes", e.tensorBytes());
        }
        if (!sd.skipped().isEmpty()) {
            ObjectNode sk = r.putObject("non_tensor_entries");
            sd.skipped().forEach(sk::put);
        }
        PruneEstimate p = i.prune();
        if (p == null) {
            r.putNull("prune");
            r.put("prune_unavailable", i.pruneUnavailable());
        } else {
            ObjectNode po = r.putObject("prune");
            po.put("ema", p.ema().label());
            po.put("dropped_tensors", p.droppedTensors());
            po.put("dropped_tensor_bytes", p.droppedTensorBytes());
            po.put("top_level_tensor_bytes", p.topLevelTensorBytes());
            ObjectNode outBytes = po.putObject("output_bytes");
            ObjectNode saved = po.putObject("saved_bytes");
            for (Precision precision : Precision.values()) {
                outBytes.put(label(precision), p.outputBytes().get(precision));
                saved.put(label(precision), p.savedBytes(precision));
            }
        }
        ObjectNode meta = r.putObject("metadata");
        model.metadata().forEach(meta::put);
        ObjectNode metaJson = r.putObject("metadata_json");
        i.metadata().json().forEach((key, value) -> metaJson.set(key, Json.of(value)));
        if (!i.metadata().training().isEmpty()) {
            ObjectNode training = r.putObject("training");
            i.metadata().training().forEach(training::put);
        }
        if (i.metadata().merge() != null) {
            ObjectNode merge = r.putObject("merge_recipe");
            ObjectNode settings = merge.putObject("settings");
            i.metadata().merge().settings().forEach(settings::put);
            ArrayNode models = merge.putArray("models");
            i.metadata().merge().models().forEach(models::add);
        }
        ObjectNode imports = r.putObject("imports");
        for (ImportSafety s : ImportSafety.values()) {
            imports.put(s.label(), model.imports().stream().filter(x -> x.safety() == s).count());
        }
        if (listTensors.get()) {
            ArrayNode list = r.putArray("tensor_list");
            for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
                ObjectNode t = list.addObject();
                t.put("name", e.getKey());
                t.put("dtype", e.getValue().dtype().name());
                ArrayNode shape = t.putArray("shape");
                for (long d : e.getValue().shape()) {
                    shape.add(d);
                }
            }
        }
        return r;
    }

    private static void stats(ObjectNode o, TensorStats s) {
        o.put("tensors", s.tensors());
        o.put("parameters", s.parameters());
        o.put("bytes", s.bytes());
        ObjectNode dt = o.putObject("dtypes");
        s.dtypes().forEach(dt::put);
    }

    private static String label(Precision p) {
        return p.label();
    }

    private void printText(PrintWriter out, ModelFile model, ModelInspection i, ObjectNode r) throws Exception {
        out.println(model.path());
        out.printf(Locale.ROOT, "  format:      %s, %s%n", formatName(model), Sizes.human(model.size()));
        StateDict sd = model.stateDict();
        out.printf(Locale.ROOT, "  state dict:  %s: %s, %s, %s%n",
                sd.location().isEmpty() ? "the root" : "'" + sd.location() + "'", Words.count(i.stateDict().tensors(), "tensor"),
                Words.count(i.stateDict().parameters(), "parameter"), Sizes.human(i.stateDict().bytes()));
        if (!i.stateDict().dtypes().isEmpty()) {
            out.printf(Locale.ROOT, "  dtypes:      %s%n", dtypes(i.stateDict()));
        }
        Architecture arch = i.architecture().architecture();
        // "unknown (unknown)" says nothing twice: the reason below says what was looked for
        out.printf(Locale.ROOT, "  architecture: %s%n", arch == Architecture.UNKNOWN ? arch.label()
                : arch.label() + " (" + arch.description() + ")");
        out.printf(Locale.ROOT, "                %s%n", i.architecture().reason());
        if (!i.architecture().decidingKeys().isEmpty()) {
            out.printf(Locale.ROOT, "                decided by: %s%n", String.join(", ", i.architecture().decidingKeys()));
        }
        out.printf(Locale.ROOT, "  prediction:   %s (%s)%n", i.prediction().type().label(), i.prediction().basis());
        if (r.has("hashes")) {
            JsonNode h = r.get("hashes");
            out.printf(Locale.ROOT, "  sha256:       %s (autov1 %s, autov2 %s%s)%n", h.get("sha256").asText(), h.get("autov1").asText(),
                    h.get("autov2").asText(), h.get("autov3").isNull() ? "" : ", autov3 " + h.get("autov3").asText());
            out.printf(Locale.ROOT, "  known file:   %s%n", i.knownModel() == null ? "no (not an official release sdmodel knows)"
                    : HashCommand.describe(i.knownModel()));
        }
        if (!i.components().isEmpty()) {
            out.println("  components:");
            for (Component c : i.components().values()) {
                componentLine(out, c.name(), c.description(), c.stats());
            }
            if (i.otherTensors().tensors() > 0) {
                componentLine(out, "(other)", "in no component", i.otherTensors());
            }
        }
        if (!i.missingComponents().isEmpty()) {
            out.printf(Locale.ROOT, "  missing:      %s%n", String.join(", ", i.missingComponents()));
        }
        if (!i.problems().isEmpty()) {
            out.println("  problems:");
            for (String p : i.problems()) {
                out.printf(Locale.ROOT, "    %s%n", p);
            }
        }
        if (i.ema().present()) {
            out.printf(Locale.ROOT, "  EMA:          %s, %s; %s%n", Words.count(i.ema().copies(), "copy", "copies"), Sizes.human(i.ema().bytes()),
                    i.ema().coversUnet() ? "they cover the UNet (" + i.ema().unetCovered() + " of " + i.ema().unetWeights() + ")"
                            : "they cover " + i.ema().unetCovered() + " of " + i.ema().unetWeights() + " UNet weights");
        } else {
            out.println("  EMA:          none");
        }
        out.printf(Locale.ROOT, "  optimizer:    %s%n", i.hasOptimizer() ? "yes (training state)" : "none");
        if (!i.topLevelEntries().isEmpty()) {
            out.println("  other top-level entries (not weights):");
            for (TopLevelEntry e : i.topLevelEntries()) {
                out.printf(Locale.ROOT, "    %-28s %s%s%n", e.name(), e.description(),
                        e.tensorBytes() > 0 ? ", tensors " + Sizes.human(e.tensorBytes()) : "");
            }
        }
        if (!sd.skipped().isEmpty()) {
            out.printf(Locale.ROOT, "  non-tensor entries in the state dict: %d (not written by convert/prune)%n", sd.skipped().size());
        }
        PruneEstimate p = i.prune();
        if (p != null) {
            StringBuilder sizes = new StringBuilder();
            for (Precision precision : List.of(Precision.FP16, Precision.BF16, Precision.FP32, Precision.KEEP,
                    Precision.FP8_E4M3FN)) {
                // both float8 formats take a byte: one figure, named "fp8"
                sizes.append(sizes.length() == 0 ? "" : ", ").append(precision.isFloat8() ? "fp8" : label(precision))
                        .append(' ').append(Sizes.human(p.outputBytes().get(precision)));
            }
            out.printf(Locale.ROOT, "  prune writes: %s (EMA %s)%n", sizes, p.ema().label());
            long saved = p.savedBytes(Precision.FP16);
            List<String> drops = new java.util.ArrayList<>();
            if (p.droppedTensors() > 0) {
                drops.add(Words.count(p.droppedTensors(), "model_ema.* tensor") + " (" + Sizes.human(p.droppedTensorBytes()) + ")");
            }
            if (p.topLevelTensorBytes() > 0) {
                drops.add(Sizes.human(p.topLevelTensorBytes()) + " of tensors outside the state dict");
            }
            out.printf(Locale.ROOT, "                %s at fp16%s%n", saved >= 0 ? "saves " + Sizes.human(saved) : "grows by " + Sizes.human(-saved),
                    drops.isEmpty() ? "" : "; drops " + String.join(" and ", drops));
        } else if (i.pruneUnavailable() != null) {
            out.printf(Locale.ROOT, "  prune:        refuses this file with its defaults: %s%n", i.pruneUnavailable());
        }
        if (!model.metadata().isEmpty()) {
            out.println("  metadata:");
            for (Map.Entry<String, String> e : model.metadata().entrySet()) {
                String v = e.getValue();
                out.printf(Locale.ROOT, "    %s: %s%n", e.getKey(), v.length() > 100 ? v.substring(0, 100) + "... (" + v.length() + " chars)" : v);
            }
        }
        if (!i.metadata().training().isEmpty()) {
            out.println("  training (kohya):");
            i.metadata().training().forEach((k, v) -> out.printf(Locale.ROOT, "    %-18s %s%n", k.replace('_', ' ') + ":",
                    v.length() > 160 ? v.substring(0, 160) + "..." : v));
        }
        if (i.metadata().merge() != null) {
            out.println("  merge recipe:");
            i.metadata().merge().models().forEach(m -> out.printf(Locale.ROOT, "    %s%n", m));
            i.metadata().merge().settings().forEach((k, v) -> out.printf(Locale.ROOT, "    %s: %s%n", k, v));
        }
        List<PickleImport> imports = model.imports();
        if (!imports.isEmpty()) {
            out.printf(Locale.ROOT, "  pickle imports: %d allowed, %d not allowed, %d dangerous%n",
                    r.get("imports").get("allowed").asLong(), r.get("imports").get("not-allowed").asLong(),
                    r.get("imports").get("dangerous").asLong());
        }
        if (listTensors.get()) {
            out.println("  tensors:");
            for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
                out.printf(Locale.ROOT, "    %s %s%n", e.getKey(), Tensor.describe(e.getValue()));
            }
        }
    }

    /** One row of the components table: the counts stay aligned whether their nouns are singular or plural. */
    private static void componentLine(PrintWriter out, String name, String description, TensorStats s) {
        out.printf(Locale.ROOT, "    %-15s %-34s %5d %-8s %,15d %-11s %9s, %s%n", name, description,
                s.tensors(), Words.noun(s.tensors(), "tensor,", "tensors,"), s.parameters(),
                Words.noun(s.parameters(), "parameter,", "parameters,"), Sizes.human(s.bytes()), dtypes(s));
    }

    private static String dtypes(TensorStats s) {
        StringBuilder b = new StringBuilder();
        s.dtypes().forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        return b.toString();
    }

    private static String formatName(ModelFile model) {
        switch (model.format()) {
            case TORCH_ZIP: return "PyTorch checkpoint (zip)";
            case TORCH_LEGACY: return "PyTorch checkpoint (legacy, pre-1.6)";
            case SAFETENSORS: return "safetensors";
            default: return model.format().name();
        }
    }
}
