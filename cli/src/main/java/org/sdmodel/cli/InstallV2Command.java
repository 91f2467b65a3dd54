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
import org.sdmodel.cli.CommandSpecs.Arg;
import org.sdmodel.download.DownloadException;
import org.sdmodel.download.DownloadListener;
import org.sdmodel.download.Downloader;
import org.sdmodel.inspect.PredictionType;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.webui.InferenceConfig;
import org.sdmodel.webui.V2Download;
import org.sdmodel.webui.V2Installer;
import org.sdmodel.webui.WebUiException;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code sdmodel install-v2}: an SD 2.x checkpoint and its inference config, into the web UI. */
final class InstallV2Command implements Callable<Integer> {
    final CommandSpec spec = CommandSpecs.command(this, "install-v2",
            "Install a Stable Diffusion 2.x checkpoint (768-v-ema.ckpt) into the AUTOMATIC1111 web UI: the "
                + "checkpoint into the folder the web UI lists (--ckpt-dir from its COMMANDLINE_ARGS, else "
                + "models/Stable-diffusion), and beside it the inference config renamed after it (768-v-ema.yaml), which "
                + "is how the web UI finds it. A checkpoint already in that folder gets only its config. Without the "
                + "right config SD 2.0 768-v renders noise or fails to load. Everything is checked first; a failure "
                + "leaves the folder as it was. Without a checkpoint found (or with --url), it is downloaded into the "
                + "checkpoint folder through <name>.part, resumed by the next run if the connection fails, and checked "
                + "before it becomes the checkpoint.");

    private final Arg<Path> checkpoint = CommandSpecs.parameter(spec, Path.class, PositionalParamSpec.builder()
            .paramLabel("CKPT").arity("0..1")
            .description("The checkpoint (default: 768-v-ema.ckpt in the current folder, else in $HOME/Downloads, "
                    + "else the official release is downloaded)."));

    private final Arg<String> url = CommandSpecs.option(spec, String.class, OptionSpec.builder("--url").paramLabel("URL")
            .description("Download the checkpoint from this address (a mirror, a fine-tune) instead of using a local file; "
                    + "its last part names the file (.ckpt or .safetensors)."));

    private final Arg<String> sha256 = CommandSpecs.option(spec, String.class, OptionSpec.builder("--sha256").paramLabel("HEX")
            .description("The sha256 the download must have (official releases are checked without it)."));

    private final Arg<Path> webui = CommandSpecs.option(spec, Path.class, OptionSpec.builder("--webui").paramLabel("DIR")
            .description("The web UI folder (default: the current folder)."));

    private final Arg<Path> config = CommandSpecs.option(spec, Path.class, OptionSpec.builder("--config").paramLabel("YAML")
            .description("Install this config instead of the one the checkpoint's prediction type calls for (checked, then"
                    + " copied byte for byte). " + InferenceConfig.EPS_NAME + " or " + InferenceConfig.V_NAME
                    + " alone, when no such file exists here, means sdmodel's copy of that Stability AI config."));

    // --move and --link: one or the other (an exclusive group), or neither (copy)
    private final OptionSpec moveOption = CommandSpecs.flagBuilder(OptionSpec.builder("--move"))
            .description("Move the checkpoint instead of copying it.").build();
    private final OptionSpec linkOption = CommandSpecs.flagBuilder(OptionSpec.builder("--link"))
            .description("Hard-link the checkpoint instead of copying it (same file system).").build();

    {
        spec.addArgGroup(ArgGroupSpec.builder().exclusive(true).multiplicity("0..1")
                .addArg(moveOption).addArg(linkOption).build());
    }

    private final Arg<Boolean> move = CommandSpecs.arg(moveOption); // null unless the group was given
    private final Arg<Boolean> link = CommandSpecs.arg(linkOption);

    private final Arg<Boolean> prune = CommandSpecs.flag(spec, OptionSpec.builder("--prune")
            .description("Install the pruned fp16 safetensors (<stem>.safetensors) instead of the checkpoint."));

    private final Arg<EmaPolicy> ema = CommandSpecs.option(spec, EmaPolicy.class, OptionSpec.builder("--ema")
            .paramLabel("POLICY").description("With --prune: use (default) swaps the EMA weights in,"
                    + " drop keeps the training weights, keep keeps both."));

    private final Arg<Boolean> force = CommandSpecs.flag(spec, OptionSpec.builder("--force")
            .description("Replace different files already installed under the same names."));

    private final Arg<Boolean> dryRun = CommandSpecs.flag(spec, OptionSpec.builder("--dry-run")
            .description("Check everything, show the web UI's folders and why, say what would be installed; change nothing."));

    private final Arg<Boolean> quiet = CommandSpecs.flag(spec, OptionSpec.builder("-q", "--quiet").description("No progress bars."));

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
        Path dir = webui.get() != null ? webui.get() : cwd;
        boolean moved = Boolean.TRUE.equals(move.get());
        boolean placed = moved || Boolean.TRUE.equals(link.get());
        V2Installer.Mode mode = !placed ? V2Installer.Mode.COPY : moved ? V2Installer.Mode.MOVE : V2Installer.Mode.LINK;
        if (prune.get() && placed) {
            throw new ParameterException(spec.commandLine(), "--prune writes a new file; it cannot be combined with --move or --link");
        }
        if (ema.get() != null && !prune.get()) {
            throw new ParameterException(spec.commandLine(), "--ema applies only with --prune (the checkpoint is otherwise"
                    + " installed as it is)");
        }
        URI download = url.get() == null ? null : parseUrl(url.get());
        if (download != null && checkpoint.get() != null) {
            throw new ParameterException(spec.commandLine(), "give a checkpoint or --url, not both");
        }
        if (sha256.get() != null && !sha256.get().matches("[0-9a-fA-F]{64}")) {
            throw new ParameterException(spec.commandLine(), "--sha256: not a sha256 (64 hex digits): " + sha256.get());
        }
        if (sha256.get() != null && checkpoint.get() != null) {
            throw new ParameterException(spec.commandLine(),
                    "--sha256 checks a download; a local checkpoint is identified by its own sha256");
        }
        WebUiLayout layout = WebUiReport.layout(spec, dir);
        boolean bars = !quiet.get() && ProgressBar.terminal();
        V2Installer.Progress progress = (label, total) -> {
            ProgressBar bar = new ProgressBar(err, label, total, bars);
            return bar::advance;
        };
        EmaPolicy emaPolicy = ema.get() == null ? EmaPolicy.USE : ema.get();
        V2Installer.Result r;
        try {
            Path ckpt = checkpoint.get();
            if (ckpt == null && download == null) {
                try {
                    ckpt = V2Installer.findDefaultCheckpoint(cwd, Main.environment(spec).home());
                } catch (WebUiException e) {
                    if (e.reason() != WebUiException.Reason.NO_CHECKPOINT) {
                        throw e;
                    }
                    download = officialUrl;
                    out.printf("no %s in the current folder or in %s: downloading the official release%n",
                            V2Installer.DEFAULT_NAME, Main.environment(spec).home().resolve("Downloads"));
                }
            }
            if (download != null) {
                if (placed) {
                    throw new ParameterException(spec.commandLine(),
                            "--move and --link place a local checkpoint; a download is always moved into place");
                }
                return downloadAndInstall(download, layout, emaPolicy, out, err, bars, progress);
            }
            if (!Files.exists(ckpt)) {
                throw new CliException(ExitCode.INVALID_INPUT, ckpt + ": no such file (the official file: "
                        + V2Installer.OFFICIAL_URL + ")");
            }
            r = new V2Installer().install(
                    new V2Installer.Request(ckpt, layout, config.get(), mode, prune.get(), emaPolicy, force.get(), dryRun.get()), progress);
        } catch (WebUiException e) {
            throw WebUiReport.failure(e);
        } catch (CliException | ParameterException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.reading(checkpoint.get() != null ? checkpoint.get() : Path.of(V2Installer.DEFAULT_NAME), e);
        }
        report(r, layout, out);
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
        throw new ParameterException(spec.commandLine(), "--url: not an http:// or https:// address: " + text);
    }

    /** Downloads into the checkpoint folder's .part, then installs it (see {@link V2Download}). */
    private int downloadAndInstall(URI download, WebUiLayout layout, EmaPolicy emaPolicy, PrintWriter out, PrintWriter err,
            boolean bars, V2Installer.Progress progress) throws Exception {
        V2Download.Plan plan = V2Download.plan(download, layout, sha256.get(), force.get());
        if (Downloader.proxyCredentialsIn(environment)
                && System.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null) {
            // Java refuses Basic credentials for a proxy's https tunnel unless told otherwise; a
            // user who put them in HTTPS_PROXY means them to be used, as curl uses them.
            System.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
        }
        Downloader downloader = downloaderSettings.get().environment(environment).build();
        String route = downloader.route(download);
        out.printf("%s %s%n  into %s%s%n", dryRun.get() ? "would download" : "downloading", download, plan.part(),
                route.startsWith("through") ? "\n  " + route : "");
        plan.release().ifPresent(k -> out.printf("  checked against the sha256 of the official %s%n", k.fileName()));
        if (sha256.get() != null) {
            out.printf("  checked against the sha256 %s%n", sha256.get().toLowerCase(Locale.ROOT));
        }
        out.flush();
        if (dryRun.get()) {
            printFolders(layout, out);
            out.printf("would install %s%nwould install %s%n(dry run: nothing downloaded, nothing changed)%n", plan.target(),
                    plan.target().resolveSibling(stem(plan.target().getFileName().toString()) + ".yaml"));
            return ExitCode.OK;
        }
        V2Download.Outcome outcome;
        try (DownloadBar bar = new DownloadBar(err, plan.target().getFileName().toString(), bars)) {
            outcome = V2Download.run(plan, new V2Installer.Request(null, layout, config.get(), V2Installer.Mode.MOVE, prune.get(), emaPolicy,
                    force.get(), false), downloader, bar, new V2Installer(), progress);
        } catch (WebUiException e) {
            throw WebUiReport.failure(e);
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
        report(outcome.install(), layout, out);
        return ExitCode.OK;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** The web UI's checkpoint folders and why, with the launch configuration's problems and notes. */
    private static void printFolders(WebUiLayout layout, PrintWriter out) {
        out.printf("web UI:     %s%n", layout.webui());
        out.printf("arguments:  %s%n", WebUiReport.arguments(layout));
        for (WebUiLayout.Folder f : layout.checkpointFolders()) {
            WebUiReport.printFolder(out, f);
        }
        WebUiReport.printProblemsAndNotes(out, layout);
    }

    private void report(V2Installer.Result r, WebUiLayout layout, PrintWriter out) {
        if (r.known().isPresent()) {
            out.printf("checkpoint: official release %s, %s (sha256 %s)%n", r.known().get().fileName(),
                    r.known().get().release(), r.sha256());
        } else {
            out.printf("checkpoint: SD 2.x, not an official release (sha256 %s)%n", r.sha256());
        }
        out.printf("prediction: %s (%s)%n", r.prediction().type().label(), r.prediction().basis());
        if (dryRun.get()) {
            printFolders(layout, out);
        } else {
            out.printf("folder:     %s (%s)%n", r.folder().path(), r.folder().why());
        }
        for (String note : r.notes()) {
            out.println("note: " + note);
        }
        if (r.configOnly()) {
            out.printf("%s is already in the web UI's checkpoint folder: only its config %s%n", r.checkpointTarget().getFileName(),
                    r.alreadyInstalled() ? "is needed" : "is installed");
        }
        if (r.alreadyInstalled()) {
            out.printf("already installed: %s and %s hold the same content; nothing to do%n", r.checkpointTarget(), r.configTarget());
        } else if (dryRun.get()) {
            if (!r.configOnly()) {
                out.printf("would install %s%n", r.checkpointTarget());
            }
            out.printf("would install %s (%s)%n(dry run: nothing changed)%n", r.configTarget(), r.config());
        } else {
            if (!r.configOnly()) {
                out.printf("installed %s%n", r.checkpointTarget());
            }
            out.printf("installed %s (%s)%n", r.configTarget(), r.config());
        }
        if (!dryRun.get()) {
            boolean v = r.prediction().type() != PredictionType.EPS;
            int size = r.known().map(k -> k.resolution()).orElse(v ? 768 : 512);
            out.printf("In the web UI, choose '%s' in the Stable Diffusion checkpoint list (reload it with the refresh button),%n"
                    + "and generate at %dx%d%s.%n", r.checkpointTarget().getFileName(), size, size,
                    size == 768 ? ": the 768-v model makes poor images at 512" : "");
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
}

