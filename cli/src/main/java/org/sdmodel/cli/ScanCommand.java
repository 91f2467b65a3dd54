package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFormat;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.scan.ModelScanner;
import org.sdmodel.scan.ScanReport;
import org.sdmodel.scan.ScanReport.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel scan}: every import a file's pickles make, classified; exit 3 if one is dangerous. */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {
            "List every import (GLOBAL, STACK_GLOBAL, INST) the pickles of a model file make, each classified as "
                + "safe (what checkpoints use: torch's rebuild functions and storage types, OrderedDict, numpy scalars, "
                + "Lightning callbacks), dangerous (code execution or system access: eval, exec, os, subprocess, ...) "
                + "or unknown (anything else). Nothing is run. Safetensors files hold no code and are only validated.",
            "Exit 0 if nothing dangerous was found, 3 if something was (with --strict, also anything unknown), "
                + "1 if a file cannot be read."})
final class ScanCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Model files (.ckpt, .pt, .pth, .bin, .pkl, .safetensors).")
    List<Path> files;

    @Option(names = "--json", description = "Print JSON (one object per file; an array for several files).")
    boolean json;

    @Option(names = "--strict", description = "Count unknown imports as dangerous.")
    boolean strict;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ArrayNode all = Json.array();
        int worst = ExitCode.OK;
        for (Path file : files) {
            ScanReport report;
            try {
                report = ModelScanner.scan(file);
            } catch (IOException | RuntimeException e) {
                CliException f = Failures.reading(file, e);
                err.println("sdmodel: " + f.getMessage());
                worst = Math.max(worst, f.exitCode());
                if (json) {
                    ObjectNode r = all.addObject();
                    r.put("file", file.toString());
                    r.put("verdict", Verdict.UNREADABLE.label());
                    r.putArray("problems").add(Failures.describe(e));
                }
                continue;
            }
            Verdict verdict = report.verdict(strict);
            worst = Math.max(worst, exitCode(verdict));
            if (!report.problems().isEmpty()) {
                err.println("sdmodel: " + file + ": " + report.problems().get(0)
                        + (report.problems().size() > 1 ? " (and " + (report.problems().size() - 1) + " more problems)" : ""));
            }
            if (json) {
                all.add(toJson(report, verdict));
            } else {
                printText(out, report, verdict);
            }
        }
        if (json) {
            out.println(Json.write(files.size() == 1 ? all.get(0) : all));
        }
        out.flush();
        return worst;
    }

    static int exitCode(Verdict verdict) {
        switch (verdict) {
            case DANGEROUS:
                return ExitCode.UNSAFE;
            case UNREADABLE:
                return ExitCode.INVALID_INPUT;
            default:
                return ExitCode.OK;
        }
    }

    /** Dangerous first, then unknown, then safe; in order of appearance within each. */
    private static final Comparator<PickleImport> WORST_FIRST =
            Comparator.comparing(i -> -i.safety().ordinal());

    private void printText(PrintWriter out, ScanReport r, Verdict verdict) {
        out.println(r.file() + ": " + formatName(r.format()));
        for (String record : r.records()) {
            out.println("  " + record);
            List<PickleImport> imports = r.imports().stream().filter(i -> i.record().equals(record))
                    .sorted(WORST_FIRST).toList();
            if (imports.isEmpty()) {
                out.println("    (no imports)");
            }
            for (PickleImport i : imports) {
                out.printf("    %-10s %s%n", i.safety().label(), i.qualifiedName());
            }
        }
        if (r.format() == ModelFormat.SAFETENSORS) {
            out.println("  no pickles: safetensors files hold no code");
        }
        for (String p : r.problems()) {
            out.println("  problem: " + p);
        }
        out.printf("  verdict: %s%s%n", verdict == Verdict.DANGEROUS ? "DANGEROUS" : verdict.label(),
                r.records().isEmpty() ? "" : ": " + counts(r));
    }

    private static String counts(ScanReport r) {
        return r.imports(ImportSafety.DANGEROUS).size() + " dangerous, " + r.imports(ImportSafety.UNKNOWN).size()
                + " unknown, " + r.imports(ImportSafety.SAFE).size() + " safe imports";
    }

    private ObjectNode toJson(ScanReport r, Verdict verdict) {
        ObjectNode o = Json.object();
        o.put("file", r.file().toString());
        o.put("format", r.format() == null ? null : r.format().name().toLowerCase(Locale.ROOT));
        o.put("verdict", verdict.label());
        o.put("strict", strict);
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
            n.put("safety", i.safety().label());
        }
        ArrayNode problems = o.putArray("problems");
        r.problems().forEach(problems::add);
        return o;
    }

    private static String formatName(ModelFormat format) {
        if (format == null) {
            return "not a model file";
        }
        switch (format) {
            case TORCH_ZIP: return "PyTorch checkpoint (zip)";
            case TORCH_LEGACY: return "PyTorch checkpoint (legacy) or pickle";
            default: return "safetensors";
        }
    }
}
