package org.sdmodel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFile;
import org.sdmodel.ObjectTrees;
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sdmodel inspect}: what a model file holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a model file holds: format, tensors, top-level entries, metadata.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Model files (.ckpt, .pt, .pth, .bin, .safetensors).")
    List<Path> files;

    @Option(names = "--json", description = "Print JSON (one object per file, in an array).")
    boolean json;

    @Option(names = "--tensors", description = "List every tensor (name, dtype, shape).")
    boolean listTensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode all = mapper.createArrayNode();
        int worst = ExitCode.OK;
        for (Path file : files) {
            try (ModelFile model = ModelFile.open(file)) {
                ObjectNode report = report(mapper, model);
                if (json) {
                    all.add(report);
                } else {
                    printText(out, model, report);
                }
            } catch (Exception e) {
                CliException f = Failures.reading(file, e);
                spec.commandLine().getErr().println("sdmodel: " + f.getMessage());
                worst = Math.max(worst, f.exitCode());
            }
        }
        if (json) {
            out.println(mapper.writeValueAsString(files.size() == 1 && all.size() == 1 ? all.get(0) : all));
        }
        out.flush();
        return worst;
    }

    private ObjectNode report(ObjectMapper mapper, ModelFile model) throws Exception {
        ObjectNode r = mapper.createObjectNode();
        r.put("file", model.path().toString());
        r.put("format", model.format().name().toLowerCase(java.util.Locale.ROOT));
        r.put("size", model.size());
        StateDict sd = model.stateDict();
        r.put("state_dict_location", sd.location());
        r.put("tensors", sd.tensors().size());
        long params = 0;
        Map<String, Integer> dtypes = new TreeMap<>();
        for (Tensor t : sd.tensors().values()) {
            params += t.numel();
            dtypes.merge(t.dtype().name(), 1, Integer::sum);
        }
        r.put("parameters", params);
        r.put("bytes", sd.totalBytes());
        ObjectNode dt = r.putObject("dtypes");
        dtypes.forEach(dt::put);
        ObjectNode others = r.putObject("other_entries");
        for (Map.Entry<Object, Object> e : sd.otherTopLevelEntries().entrySet()) {
            ObjectNode o = others.putObject(String.valueOf(e.getKey()));
            o.put("holds", StateDict.describe(e.getValue()));
            o.put("tensor_bytes", ObjectTrees.tensorBytes(e.getValue()));
        }
        if (!sd.skipped().isEmpty()) {
            ObjectNode sk = r.putObject("non_tensor_entries");
            sd.skipped().forEach(sk::put);
        }
        ObjectNode meta = r.putObject("metadata");
        model.metadata().forEach(meta::put);
        ObjectNode imports = r.putObject("imports");
        for (ImportSafety s : ImportSafety.values()) {
            imports.put(s.label(), model.imports().stream().filter(i -> i.safety() == s).count());
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

    private void printText(PrintWriter out, ModelFile model, ObjectNode r) {
        out.println(model.path());
        out.printf("  format:      %s, %s%n", formatName(model), Sizes.human(model.size()));
        StateDict sd;
        try {
            sd = model.stateDict();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        out.printf("  state dict:  %s: %d tensors, %,d parameters, %s%n",
                sd.location().isEmpty() ? "the root" : "'" + sd.location() + "'", sd.tensors().size(),
                r.get("parameters").asLong(), Sizes.human(sd.totalBytes()));
        StringBuilder dts = new StringBuilder();
        r.get("dtypes").fields().forEachRemaining(e -> dts.append(dts.length() == 0 ? "" : ", ")
                .append(e.getKey()).append(' ').append(e.getValue().asInt()));
        if (dts.length() > 0) {
            out.printf("  dtypes:      %s%n", dts);
        }
        if (!sd.otherTopLevelEntries().isEmpty()) {
            out.println("  other top-level entries (not weights):");
            r.get("other_entries").fields().forEachRemaining(e -> out.printf("    %-28s %s%s%n", e.getKey(),
                    e.getValue().get("holds").asText(),
                    e.getValue().get("tensor_bytes").asLong() > 0
                            ? ", tensors " + Sizes.human(e.getValue().get("tensor_bytes").asLong()) : ""));
        }
        if (!sd.skipped().isEmpty()) {
            out.printf("  non-tensor entries in the state dict: %d (not written by convert/prune)%n", sd.skipped().size());
        }
        if (!model.metadata().isEmpty()) {
            out.println("  metadata:");
            for (Map.Entry<String, String> e : model.metadata().entrySet()) {
                String v = e.getValue();
                out.printf("    %s: %s%n", e.getKey(), v.length() > 100 ? v.substring(0, 100) + "... (" + v.length() + " chars)" : v);
            }
        }
        List<PickleImport> imports = model.imports();
        if (!imports.isEmpty()) {
            out.printf("  pickle imports: %d safe, %d unknown, %d dangerous%n",
                    r.get("imports").get("safe").asLong(), r.get("imports").get("unknown").asLong(),
                    r.get("imports").get("dangerous").asLong());
        }
        if (listTensors) {
            out.println("  tensors:");
            for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
                out.printf("    %s %s%n", e.getKey(), Tensor.describe(e.getValue()));
            }
        }
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
