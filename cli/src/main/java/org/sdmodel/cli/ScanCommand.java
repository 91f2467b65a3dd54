package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.sdmodel.ReadOptions;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.pickle.ImportPolicy;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.scan.ModelScanner;
import org.sdmodel.scan.ScanReport;
import org.sdmodel.scan.ScanReport.Mode;
import org.sdmodel.scan.ScanReport.Verdict;
import org.sdmodel.webui.WebUiException;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel scan}: every import a file's pickles make, against the allow list; exit 3 unless all are allowed. */
final class ScanCommand implements java.util.concurrent.Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "scan",
            "List every import (GLOBAL, STACK_GLOBAL, INST) the pickles of a file make, wherever Python would "
                + "unpickle something: torch checkpoints (zip and legacy), plain pickles of any protocol, any zip "
                + "archive (every entry that is a pickle), numpy .npy/.npz with object arrays. Nothing is run.",
            "Each import is allowed (on sdmodel's allow list: torch's rebuild functions and storage types, "
                + "OrderedDict, numpy scalars, Lightning callbacks and hyper-parameters...), dangerous (code "
                + "execution or system access) or not allowed (anything else: sdmodel never runs it, torch.load would).",
            "Exit 0 only if every import is allowed; 3 if any is not (\"unsafe to load with torch.load\"), or a pickle "
                + "is written in a way sdmodel does not follow exactly as Python would; 1 if a file cannot be read "
                + "(7z, tar, encrypted zip entries, a corrupt pickle).");

    private final Arg<List<Path>> files = CommandSpecs.parameters(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("FILE").arity("0..*")
            .description("Files to scan (.ckpt, .pt, .pth, .bin, .pkl, .npy, .npz, .zip, .safetensors, ...)."));

    private final Arg<Path> webui = CommandSpecs.option(spec, Path.class, OptionSpec.builder("--webui").paramLabel("DIR")
            .description("Also scan every model file (.ckpt, .safetensors, .pt, .pth, .bin, .pkl, .npy, .npz) in the web UI's "
                + "model folders (checkpoints, VAE, LoRA, LyCORIS, embeddings, hypernetworks, found from its launch flags as "
                + "it finds them), and end with a one-line summary."));

    private final Arg<Boolean> json = CommandSpecs.flag(spec, OptionSpec.builder("--json")
            .description("Print JSON: an array with one object per file (also for one file)."));

    private final Arg<List<String>> allow = CommandSpecs.repeated(spec, String.class, OptionSpec.builder("--allow")
            .paramLabel("MODULE.NAME").description("Also allow this import for this run (repeatable; MODULE:NAME for a dotted"
                + " name). A dangerous import cannot be allowed."));

    private final Arg<Boolean> denyListOnly = CommandSpecs.flag(spec, OptionSpec.builder("--deny-list-only")
            .description("The old lenient verdict: only known-dangerous imports fail the scan; imports outside the "
                + "allow list are listed but exit 0. Not a safety check: a deny list misses what it does not know."));

    private final Arg<Boolean> strict = CommandSpecs.flag(spec, OptionSpec.builder("--strict")
            .description("Accepted for compatibility: imports outside the allow list fail the scan by default now."));

    private final Arg<Boolean> quiet = CommandSpecs.flag(spec, OptionSpec.builder("-q", "--quiet")
            .description("Print only one verdict line per file (and errors)."));

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (strict.get() && denyListOnly.get()) {
            throw new ParameterException(spec.commandLine(), "--strict and --deny-list-only contradict each other");
        }
        ImportPolicy policy;
        try {
            policy = ImportPolicy.defaults().allowing(allow.get());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--allow " + e.getMessage());
        }
        ReadOptions options = ReadOptions.defaults().withImportPolicy(policy);
        Mode mode = denyListOnly.get() ? Mode.DENY_LIST : Mode.ALLOW_LIST;
        List<Path> targets = new ArrayList<>(files.get());
        int worst = ExitCode.OK;
        WebUiLayout layout = null;
        if (webui.get() != null) {
            layout = WebUiReport.layout(spec, webui.get());
            for (WebUiLayout.Folder folder : layout.modelFolders()) {
                try {
                    layout.check(folder);
                } catch (WebUiException e) {
                    // a folder sdmodel cannot place is not vouched for: said, and the exit says so
                    CliException f = WebUiReport.failure(e);
                    err.println("sdmodel: " + f.getMessage());
                    worst = Math.max(worst, ExitCode.INVALID_INPUT);
                }
            }
            try {
                targets.addAll(layout.modelFiles());
            } catch (IOException e) {
                throw Failures.reading(webui.get(), e);
            }
        } else if (files.get().isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give the files to scan, or --webui DIR");
        }
        ArrayNode all = Json.array();
        int[] tally = new int[Verdict.values().length];
        for (Path file : targets) {
            Verdict verdict = scanOne(file, options, mode, all, out, err);
            tally[verdict.ordinal()]++;
            worst = Math.max(worst, exitCode(verdict));
        }
        if (layout != null && !json.get()) {
            out.println(summary(layout, targets.size(), tally));
        }
        if (json.get()) {
            out.println(Json.write(all));
        }
        out.flush();
        return worst;
    }

    /** Scans one file and prints (or adds to {@code all}) its report; returns its verdict. */
    private Verdict scanOne(Path file, ReadOptions options, Mode mode, ArrayNode all, PrintWriter out, PrintWriter err) {
        ScanReport report;
        try {
            report = ModelScanner.scan(file, options);
        } catch (IOException | RuntimeException e) {
            CliException f = Failures.reading(file, e);
            Failures.report(spec, f);
            if (json.get()) {
                ObjectNode r = all.addObject();
                r.put("file", file.toString());
                r.put("verdict", Verdict.UNREADABLE.label());
                r.putArray("problems").add(Failures.describe(e));
            }
            return f.exitCode() == ExitCode.UNSAFE ? Verdict.UNSAFE : Verdict.UNREADABLE;
        }
        Verdict verdict = report.verdict(mode);
        if (!report.problems().isEmpty()) {
            err.println("sdmodel: " + file + ": " + report.problems().get(0)
                    + (report.problems().size() > 1 ? " (and " + (report.problems().size() - 1) + " more problems)" : ""));
        }
        if (json.get()) {
            all.add(toJson(report, verdict, mode));
        } else if (quiet.get()) {
            out.println(report.file() + ": " + verdictLine(report, verdict));
        } else {
            printText(out, report, verdict);
        }
        return verdict;
    }

    /** {@code "web UI /x: 12 model files scanned: 11 clean, 1 UNSAFE, 0 unreadable"}. */
    private static String summary(WebUiLayout layout, int scanned, int[] tally) {
        int clean = 0;
        for (Verdict v : Verdict.values()) {
            if (v != Verdict.UNSAFE && v != Verdict.UNREADABLE) {
                clean += tally[v.ordinal()];
            }
        }
        return "web UI " + layout.webui() + ": " + scanned + (scanned == 1 ? " model file" : " model files") + " scanned: "
                + clean + " clean, " + tally[Verdict.UNSAFE.ordinal()] + " UNSAFE, "
                + tally[Verdict.UNREADABLE.ordinal()] + " unreadable";
    }

    static int exitCode(Verdict verdict) {
        switch (verdict) {
            case UNSAFE:
                return ExitCode.UNSAFE;
            case UNREADABLE:
                return ExitCode.INVALID_INPUT;
            default:
                return ExitCode.OK;
        }
    }

    /** Dangerous first, then not allowed, then allowed; in order of appearance within each. */
    private static final Comparator<PickleImport> WORST_FIRST =
            Comparator.comparing(i -> -i.safety().ordinal());

    private void printText(PrintWriter out, ScanReport r, Verdict verdict) {
        out.println(r.file() + ": " + r.container());
        for (String record : r.records()) {
            out.println("  " + record);
            List<PickleImport> imports = r.imports().stream().filter(i -> i.record().equals(record))
                    .sorted(WORST_FIRST).toList();
            if (imports.isEmpty()) {
                out.println("    (no imports)");
            }
            for (PickleImport i : imports) {
                out.printf("    %-12s %s%n", i.safety().label(), i.displayName());
            }
        }
        if (r.container().startsWith("safetensors")) {
            out.println("  no pickles: safetensors files hold no code");
        }
        for (String n : r.notes()) {
            out.println("  note: " + n);
        }
        for (ScanReport.Problem p : r.problems()) {
            out.println("  problem: " + p.message());
        }
        out.println("  verdict: " + verdictLine(r, verdict));
    }

    private static String verdictLine(ScanReport r, Verdict verdict) {
        switch (verdict) {
            case UNSAFE:
                return "UNSAFE to load with torch.load: " + counts(r)
                        + (r.problems().stream().anyMatch(ScanReport.Problem::unfollowed)
                                ? "; a pickle is written in a way sdmodel does not follow" : "");
            case UNREADABLE:
                return "unreadable" + (r.records().isEmpty() ? "" : ": " + counts(r));
            default:
                if (r.imports().isEmpty()) {
                    return "clean: no imports";
                }
                int n = r.imports().size();
                int outside = r.imports(ImportSafety.NOT_ALLOWED).size();
                return outside == 0
                        ? "clean: " + (n == 1 ? "its import is" : "all " + n + " imports are") + " on the allow list"
                        : "no dangerous import, but " + outside + " not allowed (--deny-list-only: not a safety verdict)";
        }
    }

    private static String counts(ScanReport r) {
        return r.imports(ImportSafety.DANGEROUS).size() + " dangerous, " + r.imports(ImportSafety.NOT_ALLOWED).size()
                + " not allowed, " + r.imports(ImportSafety.ALLOWED).size() + " allowed imports";
    }

    private ObjectNode toJson(ScanReport r, Verdict verdict, Mode mode) {
        ObjectNode o = Json.object();
        o.put("file", r.file().toString());
        o.put("format", r.format() == null ? null : r.format().name().toLowerCase(Locale.ROOT));
        o.put("container", r.container());
        o.put("verdict", verdict.label());
        o.put("mode", mode == Mode.ALLOW_LIST ? "allow-list" : "deny-list");
        ObjectNode counts = o.putObject("counts");
        for (ImportSafety s : ImportSafety.values()) {
            counts.put(s.label(), r.imports(s).size());
        }
        ArrayNode records = o.putArray("records");
        r.records().forEach(records::add);
        ArrayNode imports = o.putArray("imports");
        for (PickleImport i : r.imports()) {
            ObjectNode n = imports.addObject();
            n.put("record", i.record());
            n.put("module", i.module());
            n.put("name", i.name());
            n.put("imported_as", i.resolvedName());
            n.put("safety", i.safety().label());
        }
        ArrayNode problems = o.putArray("problems");
        r.problems().forEach(p -> problems.add(p.message()));
        o.put("unfollowed", r.problems().stream().anyMatch(ScanReport.Problem::unfollowed));
        ArrayNode notes = o.putArray("notes");
        r.notes().forEach(notes::add);
        return o;
    }
}
