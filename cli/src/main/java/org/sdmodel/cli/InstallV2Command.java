package org.sdmodel.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sdmodel.install.InstallException;
import org.sdmodel.install.V2Installer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sdmodel install-v2}: an SD 2.x 768-v checkpoint and its v-prediction config, into the web UI. */
@Command(name = "install-v2", mixinStandardHelpOptions = true,
        description = "Install a Stable Diffusion 2.x v-prediction checkpoint (768-v-ema.ckpt) into the "
                + "AUTOMATIC1111 web UI: the checkpoint into models/Stable-Diffusion, and beside it the "
                + "v-prediction config renamed after it (768-v-ema.yaml), which is how the web UI finds it. "
                + "Without that config SD 2.0 768-v renders noise or fails to load. Everything is checked "
                + "first; a failure leaves the folder as it was.")
final class InstallV2Command implements Callable<Integer> {

    @Parameters(paramLabel = "CKPT", arity = "0..1",
            description = "The checkpoint (default: 768-v-ema.ckpt in the current folder, else in ~/Downloads).")
    Path checkpoint;

    @Option(names = "--webui", paramLabel = "DIR", description = "The web UI folder (default: the current folder).")
    Path webui;

    @Option(names = "--config", paramLabel = "YAML",
            description = "Install this config instead of the bundled v-prediction one (checked, then copied byte for byte).")
    Path config;

    @ArgGroup(exclusive = true)
    Placement placement;

    static final class Placement {
        @Option(names = "--move", description = "Move the checkpoint instead of copying it.")
        boolean move;

        @Option(names = "--link", description = "Hard-link the checkpoint instead of copying it (same file system).")
        boolean link;
    }

    @Option(names = "--prune", description = "Install the pruned fp16 safetensors (<stem>.safetensors) instead of the checkpoint.")
    boolean prune;

    @Option(names = "--force", description = "Replace different files already installed under the same names.")
    boolean force;

    @Option(names = "--dry-run", description = "Check everything and say what would be installed; change nothing.")
    boolean dryRun;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path cwd = Path.of("").toAbsolutePath();
        Path dir = webui != null ? webui : cwd;
        V2Installer.Mode mode = placement == null ? V2Installer.Mode.COPY
                : placement.move ? V2Installer.Mode.MOVE : V2Installer.Mode.LINK;
        if (prune && placement != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--prune writes a new file; it cannot be combined with --move or --link");
        }
        V2Installer.Result r;
        try {
            Path ckpt = checkpoint != null ? checkpoint
                    : V2Installer.findDefaultCheckpoint(cwd, Path.of(System.getProperty("user.home")));
            if (!Files.exists(ckpt)) {
                throw new CliException(ExitCode.INVALID_INPUT, ckpt + ": no such file (the official file: "
                        + V2Installer.OFFICIAL_URL + ")");
            }
            if (config != null && !Files.isRegularFile(config)) {
                throw new CliException(ExitCode.INVALID_INPUT, config + ": no such file");
            }
            boolean bars = !quiet && ProgressBar.terminal();
            r = new V2Installer().install(
                    new V2Installer.Request(ckpt, dir, config, mode, prune, force, dryRun),
                    (label, total) -> {
                        ProgressBar bar = new ProgressBar(err, label, total, bars);
                        return n -> {
                            bar.advance(n);
                        };
                    });
        } catch (InstallException e) {
            throw new CliException(exitCode(e.reason()), e.getMessage(), e);
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.reading(checkpoint != null ? checkpoint : Path.of(V2Installer.DEFAULT_NAME), e);
        }
        if (r.known().isPresent()) {
            out.printf("checkpoint: official release %s, %s (sha256 %s)%n", r.known().get().fileName(),
                    r.known().get().release(), r.sha256());
        } else {
            out.printf("checkpoint: SD 2.x, not an official release (sha256 %s)%n", r.sha256());
        }
        for (String note : r.notes()) {
            out.println("note: " + note);
        }
        if (r.alreadyInstalled()) {
            out.printf("already installed: %s and %s hold the same content; nothing to do%n", r.checkpointTarget(), r.configTarget());
        } else if (dryRun) {
            out.printf("would install %s%nwould install %s%n(dry run: nothing changed)%n", r.checkpointTarget(), r.configTarget());
        } else {
            out.printf("installed %s%ninstalled %s%n", r.checkpointTarget(), r.configTarget());
        }
        if (!dryRun) {
            out.printf("In the web UI, choose '%s' in the Stable Diffusion checkpoint list (reload it with the refresh button),%n"
                    + "and generate at 768x768: the 768-v model makes poor images at 512.%n", r.checkpointTarget().getFileName());
        }
        out.flush();
        return ExitCode.OK;
    }

    static int exitCode(InstallException.Reason reason) {
        switch (reason) {
            case NOT_A_WEBUI:
            case TARGET_EXISTS:
                return ExitCode.USAGE;
            case NO_SPACE:
                return ExitCode.OUTPUT_FAILED;
            default:
                return ExitCode.INVALID_INPUT;
        }
    }
}
