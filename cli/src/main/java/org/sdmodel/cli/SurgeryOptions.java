package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.sdmodel.ModelFile;
import org.sdmodel.ReadOptions;
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.component.VaeFile;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code --bake-vae} and {@code --fix-clip}, which prune, convert and merge share (added to each by {@link #SurgeryOptions(CommandSpec)}). */
final class SurgeryOptions {
    private final Arg<Path> bakeVae;
    private final Arg<Boolean> fixClip;

    /** Adds the options to {@code command}. */
    SurgeryOptions(CommandSpec command) {
        bakeVae = CommandSpecs.option(command, Path.class, OptionSpec.builder("--bake-vae").paramLabel("FILE")
                .description("Replace the model's VAE (first_stage_model.*) with this VAE file's tensors, as the web UI's"
                        + " merger bakes one in."));
        fixClip = CommandSpecs.flag(command, OptionSpec.builder("--fix-clip").description("Reset CLIP's position_ids to"
                + " int64 arange(77), as transformers saves them (merges leave float values that truncate to the wrong"
                + " position), and say what was there."));
    }

    /** The VAE file to bake in, or null. */
    Path bakeVae() {
        return bakeVae.get();
    }

    boolean fixClip() {
        return fixClip.get();
    }

    /** The open VAE file and its tensors as the web UI loads them; close it after the run. */
    record Vae(ModelFile file, VaeFile vae) implements AutoCloseable {
        @Override
        public void close() throws java.io.IOException {
            file.close();
        }
    }

    /** Opens and checks {@code --bake-vae}'s file; null without it. */
    Vae openVae(PrintWriter err, Path tempFolder) throws CliException {
        Path bakeVae = bakeVae();
        if (bakeVae == null) {
            return null;
        }
        ModelFile file;
        try {
            file = ModelFile.open(bakeVae, ReadOptions.defaults().withTempDirectory(tempFolder));
        } catch (Exception e) {
            throw Failures.reading(bakeVae, e);
        }
        ImportWarnings.print(err, bakeVae, file);
        try {
            return new Vae(file, VaeFile.load(file));
        } catch (java.io.IOException | RuntimeException e) {
            try {
                file.close();
            } catch (java.io.IOException ignored) {
                // the refusal is the news
            }
            throw Failures.reading(bakeVae, e);
        }
    }

    /** One line per VAE bake, for the text summaries. */
    static void print(PrintWriter out, Path vaeFile, ComponentPlanner.VaeBake bake, List<ComponentPlanner.ClipFix> fixes) {
        if (bake != null) {
            out.printf(Locale.ROOT, "  VAE baked in: %s (%s replaced%s)%n", vaeFile, Words.count(bake.replaced().size(), "tensor"),
                    bake.unused().isEmpty() ? "" : "; " + Words.count(bake.unused().size(), "VAE tensor") + " the model lacks ignored");
        }
        for (ComponentPlanner.ClipFix f : fixes) {
            out.printf(Locale.ROOT, "  CLIP %s%n", f);
        }
    }

    /** The JSON of the same. */
    static void put(ObjectNode s, Path vaeFile, ComponentPlanner.VaeBake bake, List<ComponentPlanner.ClipFix> fixes,
            boolean fixClip) {
        if (bake != null) {
            ObjectNode v = s.putObject("bake_vae");
            v.put("file", vaeFile.toString());
            bake.replaced().forEach(v.putArray("replaced")::add);
            bake.unused().forEach(v.putArray("unused")::add);
        }
        if (fixClip) {
            ArrayNode a = s.putArray("clip_fixes");
            for (ComponentPlanner.ClipFix f : fixes) {
                a.addObject().put("key", f.key()).put("before", f.before()).put("changed", f.changed());
            }
        }
    }
}
