package org.sdmodel.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sdmodel.ModelFormatException;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.download.DownloadException;
import org.sdmodel.download.DownloadListener;
import org.sdmodel.download.Downloader;
import org.sdmodel.install.InstallException;
import org.sdmodel.install.V2Download;
import org.sdmodel.install.V2Installer;
import org.sdmodel.io.InsufficientSpaceException;
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
                + "first; a failure leaves the folder as it was. Without a checkpoint found (or with --url), it is "
                + "downloaded into the checkpoint folder through <name>.part, resumed by the next run if the "
                + "connection fails, and checked before it becomes the checkpoint.")
final class InstallV2Command implements Callable<Integer> {

    @Parameters(paramLabel = "CKPT", arity = "0..1",
            description = "The checkpoint (default: 768-v-ema.ckpt in the current folder, else in ~/Downloads, "
                    + "else the official release is downloaded).")
    Path checkpoint;

    @Option(names = "--url", paramLabel = "URL",
            description = "Download the checkpoint from this address (a mirror, a fine-tune) instead of using a local file; "
                    + "its last part names the file (.ckpt or .safetensors).")
    String url;

    @Option(names = "--sha256", paramLabel = "HEX",
            description = "The sha256 the download must have (official releases are checked without it).")
    String sha256;

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

    /** The official release's address; tests point it at a local server. */
    static URI officialUrl = URI.create(V2Installer.OFFICIAL_URL);
    /** Where proxy variables are read; tests give their own. */
    static Map<String, String> environment = System.getenv();
    /** Download settings; tests shorten the waits. */
    static java.util.function.Supplier<Downloader.Builder> downloaderSettings = Downloader::builder;

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
        URI download = url == null ? null : parseUrl(url);
        if (download != null && checkpoint != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "give a checkpoint or --url, not both");
        }
        if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--sha256: not a sha256 (64 hex digits): " + sha256);
        }
        if (sha256 != null && checkpoint != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--sha256 checks a download; a local checkpoint is identified by its own sha256");
        }
        boolean bars = !quiet && ProgressBar.terminal();
        V2Installer.Progress progress = (label, total) -> {
            ProgressBar bar = new ProgressBar(err, label, total, bars);
            return n -> {
                bar.advance(n);
            };
        };
        V2Installer.Result r;
        try {
            Path ckpt = checkpoint;
            if (ckpt == null && download == null) {
                try {
                    ckpt = V2Installer.findDefaultCheckpoint(cwd, Path.of(System.getProperty("user.home")));
                } catch (InstallException e) {
                    if (e.reason() != InstallException.Reason.NO_CHECKPOINT) {
                        throw e;
                    }
                    download = officialUrl;
                    out.printf("no %s in the current folder or in ~/Downloads: downloading the official release%n",
                            V2Installer.DEFAULT_NAME);
                }
            }
            if (download != null) {
                if (placement != null) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--move and --link place a local checkpoint; a download is always moved into place");
                }
                return downloadAndInstall(download, dir, out, err, bars, progress);
            }
            if (!Files.exists(ckpt)) {
                throw new CliException(ExitCode.INVALID_INPUT, ckpt + ": no such file (the official file: "
                        + V2Installer.OFFICIAL_URL + ")");
            }
            if (config != null && !Files.isRegularFile(config)) {
                throw new CliException(ExitCode.INVALID_INPUT, config + ": no such file");
            }
            r = new V2Installer().install(new V2Installer.Request(ckpt, dir, config, mode, prune, force, dryRun), progress);
        } catch (InstallException e) {
            throw new CliException(exitCode(e.reason()), e.getMessage(), e);
        } catch (CliException | picocli.CommandLine.ParameterException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.reading(checkpoint != null ? checkpoint : Path.of(V2Installer.DEFAULT_NAME), e);
        }
        report(r, out);
        return ExitCode.OK;
    }

    private URI parseUrl(String text) {
        try {
            URI u = new URI(text);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // refused below
        }
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--url: not an http:// or https:// address: " + text);
    }

    /** Downloads into the checkpoint folder's .part, then installs it (see {@link V2Download}). */
    private int downloadAndInstall(URI download, Path dir, PrintWriter out, PrintWriter err, boolean bars,
            V2Installer.Progress progress) throws Exception {
        if (config != null && !Files.isRegularFile(config)) {
            throw new CliException(ExitCode.INVALID_INPUT, config + ": no such file");
        }
        V2Download.Plan plan = V2Download.plan(download, dir, sha256, force);
        if (Downloader.proxyCredentialsIn(environment)
                && System.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null) {
            // Java refuses Basic credentials for a proxy's https tunnel unless told otherwise; a
            // user who put them in HTTPS_PROXY means them to be used, as curl uses them.
            System.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
        }
        Downloader downloader = downloaderSettings.get().environment(environment).build();
        String route = downloader.route(download);
        out.printf("%s %s%n  into %s%s%n", dryRun ? "would download" : "downloading", download, plan.part(),
                route.startsWith("through") ? "\n  " + route : "");
        plan.release().ifPresent(k -> out.printf("  checked against the sha256 of the official %s%n", k.fileName()));
        if (sha256 != null) {
            out.printf("  checked against the sha256 %s%n", sha256.toLowerCase(Locale.ROOT));
        }
        out.flush();
        if (dryRun) {
            out.printf("would install %s%nwould install %s%n(dry run: nothing downloaded, nothing changed)%n", plan.target(),
                    plan.target().resolveSibling(stem(plan.target().getFileName().toString()) + ".yaml"));
            return ExitCode.OK;
        }
        V2Download.Outcome outcome;
        try (DownloadBar bar = new DownloadBar(err, plan.target().getFileName().toString(), bars)) {
            outcome = V2Download.run(plan, new V2Installer.Request(null, dir, config, V2Installer.Mode.MOVE, prune, force, false),
                    downloader, bar, new V2Installer(), progress);
        } catch (InstallException e) {
            throw new CliException(exitCode(e.reason()), e.getMessage(), e);
        } catch (InsufficientSpaceException e) {
            throw new CliException(ExitCode.OUTPUT_FAILED, e.getMessage(), e);
        } catch (DownloadException e) {
            throw new CliException(ExitCode.INVALID_INPUT, e.getMessage(), e);
        } catch (UnsafeModelException e) {
            throw new CliException(ExitCode.UNSAFE, download + ": " + e.getMessage() + " (the download was deleted)", e);
        } catch (ModelFormatException e) {
            throw new CliException(ExitCode.INVALID_INPUT, download + ": " + e.getMessage() + " (the download was deleted)", e);
        } catch (java.io.IOException e) {
            throw Failures.writing(plan.part(), e);
        }
        out.printf("downloaded %s (%s%s), sha256 %s%n", plan.target().getFileName(), Sizes.human(outcome.download().size()),
                outcome.download().resumedFrom() > 0 ? ", resumed from " + Sizes.human(outcome.download().resumedFrom()) : "",
                outcome.download().sha256());
        report(outcome.install(), out);
        return ExitCode.OK;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private void report(V2Installer.Result r, PrintWriter out) {
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
    }

    /** The download's progress bar, and its notices as "note:" lines on standard error. */
    private static final class DownloadBar implements DownloadListener, AutoCloseable {
        private final PrintWriter err;
        private final String name;
        private final boolean enabled;
        private ProgressBar bar;

        DownloadBar(PrintWriter err, String name, boolean enabled) {
            this.err = err;
            this.name = name;
            this.enabled = enabled;
        }

        @Override
        public void started(long offset, long total) {
            close();
            bar = new ProgressBar(err, "download " + name, total, enabled, offset);
        }

        @Override
        public void progress(long bytes) {
            if (bar != null) {
                bar.advance(bytes);
            }
        }

        @Override
        public void notice(String message) {
            close();
            err.println("note: " + message);
            err.flush();
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    static int exitCode(InstallException.Reason reason) {
        switch (reason) {
            case NOT_A_WEBUI:
            case TARGET_EXISTS:
            case BAD_URL:
                return ExitCode.USAGE;
            case NO_SPACE:
                return ExitCode.OUTPUT_FAILED;
            default:
                return ExitCode.INVALID_INPUT;
        }
    }
}
