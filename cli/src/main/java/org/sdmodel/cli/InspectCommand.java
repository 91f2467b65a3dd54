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
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.convert.Precision;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.Component;
import org.sdmodel.inspect.Inspector;
import org.sdmodel.inspect.ModelInspection;
import org.sdmodel.inspect.PruneEstimate;
import org.sdmodel.inspect.TensorStats;
import org.sdmodel.inspect.TopLevelEntry;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sdmodel inspect}: what a model file is and holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a model file is and holds: its architecture (and the keys that decide it), "
                + "components, training baggage (EMA copies, optimizer state), what prune would write, "
                + "format, tensors, metadata. Reads no tensor data (except CLIP's 77 position ids), so it "
                + "takes seconds on any file.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Model files (.ckpt, .pt, .pth, .bin, .safetensors),"
            + " or a web UI folder: shows where that web UI keeps checkpoints, VAEs, LoRAs, embeddings and its hash"
            + " cache, and why (which flag of COMMANDLINE_ARGS, from which file and line).")
    List<Path> files;

    @Option(names = "--json", description = "Print JSON (one object per file, in an array).")
    boolean json;

    @Option(names = "--tensors", description = "List every tensor (name, dtype, shape).")
    boolean listTensors;

    @Option(names = "--hash", description = "Also hash the whole file (slow on big files): names official releases"
            + " and their prediction type.")
    boolean hash;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar (with --hash).")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ArrayNode all = Json.array();
        int worst = ExitCode.OK;
        for (Path file : files) {
            if (Files.isDirectory(file)) {
                try {
                    WebUiLayout layout = WebUiReport.layout(spec, file);
                    if (json) {
                        all.add(WebUiReport.json(layout));
                    } else {
                        WebUiReport.print(out, layout);
                    }
                } catch (CliException e) {
                    spec.commandLine().getErr().println("sdmodel: " + file + ": is a folder, and not a web UI folder"
                            + " (inspect reads model files, or shows a web UI's folders)");
                    worst = Math.max(worst, ExitCode.INVALID_INPUT);
                }
                continue;
            }
            try (ModelFile model = ModelFile.open(file)) {
                ImportWarnings.print(spec.commandLine().getErr(), file, model);
                String mismatch = OutputPaths.extensionMismatch(file, model.format());
                if (mismatch != null) {
                    spec.commandLine().getErr().println("sdmodel: warning: " + mismatch);
                }
                ModelHashes hashes = hash ? hash(file) : null;
                ModelInspection inspection = Inspector.inspect(model, hashes == null ? null : hashes.sha256());
                ObjectNode report = report(model, inspection, hashes);
                if (json) {
                    all.add(report);
                } else {
                    printText(out, model, inspection, report);
                }
            } catch (Exception e) {
                CliException f = Failures.reading(file, e);
                spec.commandLine().getErr().println("sdmodel: " + f.getMessage());
                worst = Math.max(worst, f.exitCode());
            }
        }
        if (json) {
            out.println(Json.write(files.size() == 1 && all.size() == 1 ? all.get(0) : all));
        }
        out.flush();
        return worst;
    }

    private ModelHashes hash(Path file) throws java.io.IOException {
        PrintWriter err = spec.commandLine().getErr();
        try (ProgressBar bar = new ProgressBar(err, "hashing " + file.getFileName(), Files.size(file),
                !quiet && !json && ProgressBar.terminal())) {
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
        i.metadata().json().forEach(metaJson::set);
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
        if (listTensors) {
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
        return p.name().toLowerCase(Locale.ROOT);
    }

    private void printText(PrintWriter out, ModelFile model, ModelInspection i, ObjectNode r) throws Exception {
        out.println(model.path());
        out.printf("  format:      %s, %s%n", formatName(model), Sizes.human(model.size()));
        StateDict sd = model.stateDict();
        out.printf("  state dict:  %s: %d tensors, %,d parameters, %s%n",
                sd.location().isEmpty() ? "the root" : "'" + sd.location() + "'", i.stateDict().tensors(),
                i.stateDict().parameters(), Sizes.human(i.stateDict().bytes()));
        if (!i.stateDict().dtypes().isEmpty()) {
            out.printf("  dtypes:      %s%n", dtypes(i.stateDict()));
        }
        out.printf("  architecture: %s (%s)%n", i.architecture().architecture().label(),
                i.architecture().architecture().description());
        out.printf("                %s%n", i.architecture().reason());
        if (!i.architecture().decidingKeys().isEmpty()) {
            out.printf("                decided by: %s%n", String.join(", ", i.architecture().decidingKeys()));
        }
        out.printf("  prediction:   %s (%s)%n", i.prediction().type().label(), i.prediction().basis());
        if (r.has("hashes")) {
            JsonNode h = r.get("hashes");
            out.printf("  sha256:       %s (autov1 %s, autov2 %s%s)%n", h.get("sha256").asText(), h.get("autov1").asText(),
                    h.get("autov2").asText(), h.get("autov3").isNull() ? "" : ", autov3 " + h.get("autov3").asText());
            out.printf("  known file:   %s%n", i.knownModel() == null ? "no (not an official release sdmodel knows)"
                    : HashCommand.describe(i.knownModel()));
        }
        if (!i.components().isEmpty()) {
            out.println("  components:");
            for (Component c : i.components().values()) {
                out.printf("    %-15s %-34s %5d tensors, %,15d parameters, %9s, %s%n", c.name(), c.description(),
                        c.stats().tensors(), c.stats().parameters(), Sizes.human(c.stats().bytes()), dtypes(c.stats()));
            }
            if (i.otherTensors().tensors() > 0) {
                out.printf("    %-15s %-34s %5d tensors, %,15d parameters, %9s, %s%n", "(other)", "in no component",
                        i.otherTensors().tensors(), i.otherTensors().parameters(), Sizes.human(i.otherTensors().bytes()),
                        dtypes(i.otherTensors()));
            }
        }
        if (!i.missingComponents().isEmpty()) {
            out.printf("  missing:      %s%n", String.join(", ", i.missingComponents()));
        }
        if (!i.problems().isEmpty()) {
            out.println("  problems:");
            for (String p : i.problems()) {
                out.printf("    %s%n", p);
            }
        }
        if (i.ema().present()) {
            out.printf("  EMA:          %d copies, %s; %s%n", i.ema().copies(), Sizes.human(i.ema().bytes()),
                    i.ema().coversUnet() ? "they cover the UNet (" + i.ema().unetCovered() + " of " + i.ema().unetWeights() + ")"
                            : "they cover " + i.ema().unetCovered() + " of " + i.ema().unetWeights() + " UNet weights");
        } else {
            out.println("  EMA:          none");
        }
        out.printf("  optimizer:    %s%n", i.hasOptimizer() ? "yes (training state)" : "none");
        if (!i.topLevelEntries().isEmpty()) {
            out.println("  other top-level entries (not weights):");
            for (TopLevelEntry e : i.topLevelEntries()) {
                out.printf("    %-28s %s%s%n", e.name(), e.description(),
                        e.tensorBytes() > 0 ? ", tensors " + Sizes.human(e.tensorBytes()) : "");
            }
        }
        if (!sd.skipped().isEmpty()) {
            out.printf("  non-tensor entries in the state dict: %d (not written by convert/prune)%n", sd.skipped().size());
        }
        PruneEstimate p = i.prune();
        if (p != null) {
            StringBuilder sizes = new StringBuilder();
            for (Precision precision : List.of(Precision.FP16, Precision.BF16, Precision.FP32, Precision.KEEP)) {
                sizes.append(sizes.length() == 0 ? "" : ", ").append(label(precision)).append(' ')
                        .append(Sizes.human(p.outputBytes().get(precision)));
            }
            out.printf("  prune writes: %s (EMA %s)%n", sizes, p.ema().label());
            long saved = p.savedBytes(Precision.FP16);
            out.printf("                %s at fp16%s%n", saved >= 0 ? "saves " + Sizes.human(saved) : "grows by " + Sizes.human(-saved),
                    p.droppedTensors() + p.topLevelTensorBytes() > 0
                            ? "; drops " + p.droppedTensors() + " model_ema.* tensors (" + Sizes.human(p.droppedTensorBytes())
                                    + ") and " + Sizes.human(p.topLevelTensorBytes()) + " of tensors outside the state dict"
                            : "");
        } else if (i.pruneUnavailable() != null) {
            out.printf("  prune:        cannot write this file: %s%n", i.pruneUnavailable());
        }
        if (!model.metadata().isEmpty()) {
            out.println("  metadata:");
            for (Map.Entry<String, String> e : model.metadata().entrySet()) {
                String v = e.getValue();
                out.printf("    %s: %s%n", e.getKey(), v.length() > 100 ? v.substring(0, 100) + "... (" + v.length() + " chars)" : v);
            }
        }
        if (!i.metadata().training().isEmpty()) {
            out.println("  training (kohya):");
            i.metadata().training().forEach((k, v) -> out.printf("    %-18s %s%n", k.replace('_', ' ') + ":",
                    v.length() > 160 ? v.substring(0, 160) + "..." : v));
        }
        if (i.metadata().merge() != null) {
            out.println("  merge recipe:");
            i.metadata().merge().models().forEach(m -> out.printf("    %s%n", m));
            i.metadata().merge().settings().forEach((k, v) -> out.printf("    %s: %s%n", k, v));
        }
        List<PickleImport> imports = model.imports();
        if (!imports.isEmpty()) {
            out.printf("  pickle imports: %d allowed, %d not allowed, %d dangerous%n",
                    r.get("imports").get("allowed").asLong(), r.get("imports").get("not-allowed").asLong(),
                    r.get("imports").get("dangerous").asLong());
        }
        if (listTensors) {
            out.println("  tensors:");
            for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
                out.printf("    %s %s%n", e.getKey(), Tensor.describe(e.getValue()));
            }
        }
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
