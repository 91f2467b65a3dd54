package org.sdmodel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.KnownModel;
import org.sdmodel.inspect.KnownModels;
import org.sdmodel.webui.WebUiException;
import org.sdmodel.webui.WebUiHashCache;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel hash}: the hashes the web UI and model sites name a file by. */
final class HashCommand implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "hash",
            "Hash files the way the Stable Diffusion web UI and model sites do: the full sha256, autov1 "
                + "(the web UI's old model hash), autov2 (the short hash shown beside a checkpoint), autov3 "
                + "(safetensors only: the hash of everything after the header, which survives metadata "
                + "edits). Names official releases by their sha256. With --webui, records each hash in the "
                + "web UI's cache.json under the key the web UI itself uses (checkpoints, LoRAs, embeddings), so "
                + "that it does not hash the file again (run it while the web UI is stopped).");

    private final Arg<List<Path>> files = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("1..*").description("Files to hash (any file; autov3 needs safetensors)."));

    private final Arg<Boolean> json = CommandSpecs.flag(spec, OptionSpec.builder("--json")
            .description("Print JSON: an array with one object per file (also for one file)."));

    private final Arg<Path> webui = CommandSpecs.option(spec, Path.class, OptionSpec.builder("--webui").paramLabel("DIR")
            .description("The web UI's folder: record each hash in its cache.json (in its data folder), as the web UI"
                    + " records it: checkpoint/<path in the checkpoint folder>, lora/<name> (addnet hash for"
                    + " .safetensors), textual_inversion/<name>. Files in none of its model folders are refused."));

    private final Arg<Boolean> quiet = CommandSpecs.flag(spec, OptionSpec.builder("-q", "--quiet").description("No progress bar."));

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        WebUiLayout layout = null;
        if (webui.get() != null) {
            if (!Files.isDirectory(webui.get())) {
                throw new ParameterException(spec.commandLine(), "--webui: " + webui.get() + " is not a folder");
            }
            layout = WebUiReport.layout(spec, webui.get());
            try {
                layout.check(layout.cacheFile());
            } catch (WebUiException e) {
                throw WebUiReport.failure(e);
            }
            if (Files.isDirectory(layout.cacheFolder().path())) {
                err.println("sdmodel: note: " + layout.cacheFolder().path() + " exists: web UI versions that keep their cache"
                        + " there (1.8 and later) read cache.json only while that folder does not exist");
            }
        }
        ArrayNode all = Json.array();
        int worst = ExitCode.OK;
        for (Path file : files.get()) {
            try {
                ObjectNode r = hashOne(file, layout, err);
                if (json.get()) {
                    all.add(r);
                } else {
                    printText(out, r);
                }
            } catch (CliException e) {
                Failures.report(spec, e);
                worst = Math.max(worst, e.exitCode());
            }
        }
        if (json.get()) {
            out.println(Json.write(all));
        }
        out.flush();
        return worst;
    }

    private ObjectNode hashOne(Path file, WebUiLayout layout, PrintWriter err) throws CliException {
        if (Files.isDirectory(file)) {
            throw new CliException(ExitCode.INVALID_INPUT, file + ": is a directory, not a model file");
        }
        WebUiLayout.CacheKey key = null;
        if (layout != null) {
            try {
                key = layout.cacheKey(file); // before hashing: a file the web UI never hashes costs nothing
                layout.check(key.folder());
            } catch (WebUiException e) {
                throw WebUiReport.failure(e);
            } catch (IOException e) {
                throw Failures.reading(file, e);
            }
        }
        ModelHashes hashes;
        double mtime;
        try {
            mtime = WebUiHashCache.mtime(file);
            try (ProgressBar bar = new ProgressBar(err, file.getFileName().toString(), Files.size(file),
                    !quiet.get() && !json.get() && ProgressBar.terminal())) {
                hashes = ModelHashes.compute(file, bar::advance);
            }
            if (WebUiHashCache.mtime(file) != mtime) {
                throw new CliException(ExitCode.INVALID_INPUT, file + ": the file changed while it was being hashed");
            }
        } catch (IOException e) {
            throw Failures.reading(file, e);
        }
        ObjectNode r = Json.object();
        r.put("file", file.toString());
        r.setAll(hashesJson(hashes));
        r.set("known_model", knownJson(KnownModels.bySha256(hashes.sha256()).orElse(null)));
        if (key != null) {
            r.set("webui", record(file, layout, key, mtime, hashes));
        }
        return r;
    }

    /** Writes the hash into the web UI's cache.json as the web UI would; returns what was done. */
    private static ObjectNode record(Path file, WebUiLayout layout, WebUiLayout.CacheKey key, double mtime, ModelHashes hashes)
            throws CliException {
        Path cache = layout.cacheFile().path();
        ObjectNode w = Json.object();
        w.put("cache", cache.toString());
        w.put("kind", key.kind());
        w.put("section", key.section());
        w.put("title", key.title());
        w.put("mtime", mtime);
        if (key.note() != null) {
            w.put("note", key.note());
        }
        if (!key.recorded()) {
            w.put("status", "skipped");
            w.put("reason", key.skipped());
            return w;
        }
        String sha = key.addnet() ? hashes.addnetSha256() : hashes.sha256();
        if (sha == null) {
            throw new CliException(ExitCode.INVALID_INPUT, file + ": is named .safetensors but is not a safetensors file;"
                    + " the web UI's LoRA loader cannot read it, so no hash was recorded");
        }
        String status;
        try {
            WebUiHashCache.Entry previous = WebUiHashCache.lookup(cache, key.section(), key.title());
            if (previous != null && previous.sha256().equals(sha) && previous.mtime() == mtime) {
                status = "unchanged";
            } else {
                WebUiHashCache.record(cache, key.section(), key.title(), mtime, sha);
                status = previous == null ? "added" : "updated";
            }
        } catch (WebUiHashCache.CacheFormatException e) {
            throw new CliException(ExitCode.INVALID_INPUT, cache + ": " + e.getMessage() + " (left as it was)", e);
        } catch (IOException e) {
            throw Failures.writing(cache, e);
        }
        w.put("sha256", sha);
        w.put("status", status);
        return w;
    }

    /** {@code sha256}, {@code autov1}, {@code autov2}, {@code autov3} and {@code size}. */
    static ObjectNode hashesJson(ModelHashes h) {
        ObjectNode o = Json.object();
        o.put("size", h.size());
        o.put("sha256", h.sha256());
        o.put("autov1", h.autov1());
        o.put("autov2", h.autov2());
        o.put("autov3", h.autov3());
        return o;
    }

    /** A known release as JSON, or JSON null. */
    static JsonNode knownJson(KnownModel k) {
        if (k == null) {
            return NullNode.getInstance();
        }
        ObjectNode o = Json.object();
        o.put("file_name", k.fileName());
        o.put("release", k.release());
        o.put("architecture", k.architecture().label());
        o.put("prediction", k.prediction().label());
        o.put("resolution", k.resolution());
        return o;
    }

    /** "v1-5-pruned-emaonly.ckpt: Stable Diffusion 1.5 (EMA only); sd1, eps, 512 px". */
    static String describe(KnownModel k) {
        return k.fileName() + ": " + k.release() + "; " + k.architecture().label() + ", " + k.prediction().label()
                + ", " + k.resolution() + " px";
    }

    private static void printText(PrintWriter out, ObjectNode r) {
        out.println(r.get("file").asText());
        out.printf("  sha256:  %s%n", r.get("sha256").asText());
        out.printf("  autov1:  %s (the web UI's old model hash)%n", r.get("autov1").asText());
        out.printf("  autov2:  %s (shown by the web UI beside a checkpoint)%n", r.get("autov2").asText());
        out.printf("  autov3:  %s%n", r.get("autov3").isNull() ? "- (not a safetensors file)"
                : r.get("autov3").asText() + " (tensor data after the safetensors header)");
        JsonNode k = r.get("known_model");
        if (!k.isNull()) {
            out.printf("  known:   %s: %s; %s, %s, %d px%n", k.get("file_name").asText(), k.get("release").asText(),
                    k.get("architecture").asText(), k.get("prediction").asText(), k.get("resolution").asInt());
        }
        JsonNode w = r.get("webui");
        if (w != null) {
            String status = w.get("status").asText();
            if (status.equals("skipped")) {
                out.printf("  web UI:  not recorded (a %s: %s)%n", w.get("kind").asText(), w.get("reason").asText());
            } else {
                out.printf("  web UI:  %s %s %s in %s%s%n", status.equals("unchanged") ? "already had" : status,
                        w.get("section").asText(), w.get("title").asText(), w.get("cache").asText(),
                        w.get("section").asText().equals(WebUiHashCache.HASHES_ADDNET) ? " (addnet hash " + w.get("sha256").asText()
                                .substring(0, 12) + ")" : "");
            }
            if (w.has("note")) {
                out.printf("           note: %s%n", w.get("note").asText());
            }
        }
    }
}
