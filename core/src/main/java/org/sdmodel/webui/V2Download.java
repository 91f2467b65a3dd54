package org.sdmodel.webui;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.sdmodel.ModelFormatException;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.download.DownloadListener;
import org.sdmodel.download.DownloadResult;
import org.sdmodel.download.Downloader;
import org.sdmodel.inspect.KnownModel;
import org.sdmodel.inspect.KnownModels;

/**
 * {@code install-v2} without a local checkpoint: downloads one into the web UI's checkpoint folder
 * through {@code <name>.part} (resumed by the next run if the connection fails), then installs it
 * as {@link V2Installer} installs a local file. The {@code .part} becomes the checkpoint only
 * after every check: the download's (a model file's first bytes, the announced length, the
 * sha256) and the installer's (SD 2.x, the config).
 *
 * <p>What is left after a refusal. The web UI lists only {@code .ckpt} and {@code .safetensors}
 * files ({@code modules/sd_models.py}, {@code list_models}), so a {@code .part} never shows up in
 * it. A download refused for its content (not a model, wrong sha256, truncated) is deleted, and
 * so is one the installer can never take (SD 1.x, SDXL, an unsafe or unreadable file). One that
 * stopped on a connection failure is kept to be resumed; so is a complete one refused for a reason
 * a second run can fix ({@code --config}, {@code --force}, free space), so that the rerun does not
 * download it again.
 */
public final class V2Download {
    private V2Download() {
    }

    /**
     * What would be downloaded, and where.
     *
     * @param url the address
     * @param target the checkpoint's final path in the web UI's checkpoint folder
     * @param part the {@code .part} it is downloaded through
     * @param expectedSha256 the sha256 the download must have, or null
     * @param release the official release whose sha256 is expected, when none was given
     */
    public record Plan(URI url, Path target, Path part, String expectedSha256, Optional<KnownModel> release) {
    }

    /**
     * A finished download and its install.
     *
     * @param download the download
     * @param install the installation
     */
    public record Outcome(DownloadResult download, V2Installer.Result install) {
    }

    /**
     * Checks the web UI folder and the address (its last path segment must name a {@code .ckpt} or
     * {@code .safetensors} file) without writing or sending anything. A file released under that
     * name by {@link KnownModels} is expected to have its official sha256 unless {@code sha256} is given.
     *
     * @param url the address to download from
     * @param layout the web UI's folders
     * @param sha256 the file's expected sha256, or null for the official one of a known file (or none)
     * @param force whether an existing checkpoint may be replaced
     * @return the plan: where the download goes, its {@code .part}, the expected sha256
     * @throws WebUiException if the folder is no web UI, its checkpoint folder is unknown (see
     *     {@link WebUiLayout#check}), the address names no checkpoint file, or the checkpoint is
     *     already there (and not {@code force})
     */
    public static Plan plan(URI url, WebUiLayout layout, String sha256, boolean force) throws WebUiException {
        layout.checkIsWebUi();
        layout.check(layout.checkpoints());
        Path folder = layout.checkpoints().path();
        String name = fileName(url);
        Path target = folder.resolve(name);
        if (Files.exists(target) && !force) {
            throw new WebUiException(WebUiException.Reason.TARGET_EXISTS, target
                    + ": already exists; not downloading over it (use --force to download and replace it)");
        }
        Optional<KnownModel> release = sha256 == null ? KnownModels.byFileName(name) : Optional.empty();
        String expected = sha256 != null ? sha256.toLowerCase(Locale.ROOT) : release.map(KnownModel::sha256).orElse(null);
        return new Plan(url, target, Downloader.partFile(target), expected, release);
    }

    /** The checkpoint file an address names, from its last path segment. */
    static String fileName(URI url) throws WebUiException {
        String path = url.getPath();
        String name = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.isEmpty() || name.startsWith(".") || name.contains("\\") || name.indexOf('\0') >= 0
                || !(lower.endsWith(".ckpt") || lower.endsWith(".safetensors"))) {
            throw new WebUiException(WebUiException.Reason.BAD_URL, url + ": "
                    + (name.isEmpty() ? "names no file" : "'" + name + "' is not the name of a .ckpt or .safetensors file")
                    + "; give the file's own download address (on the Hugging Face hub: .../resolve/main/<file>)");
        }
        return name;
    }

    /**
     * Downloads (resuming the {@code .part} an earlier run left), then installs with {@code
     * options}' config, prune and force settings (its checkpoint, mode and dry-run are the
     * download's own). The {@code .part} is gone after a successful install: renamed into place,
     * or, when pruning, deleted once the pruned copy is in.
     *
     * @param plan what {@link #plan} decided
     * @param options the installation settings (config, prune, force)
     * @param downloader the downloader to use
     * @param listener told of the download's progress
     * @param installer the installer
     * @param progress told of the installation's steps
     * @return what was downloaded and installed
     * @throws IOException if the download or the installation fails (a {@link
     *     org.sdmodel.download.DownloadException} or {@link WebUiException} says why)
     */
    public static Outcome run(Plan plan, V2Installer.Request options, Downloader downloader, DownloadListener listener,
            V2Installer installer, V2Installer.Progress progress) throws IOException {
        Path folder = plan.part().getParent();
        boolean created = !Files.isDirectory(folder);
        Files.createDirectories(folder);
        DownloadResult d;
        try {
            d = downloader.download(plan.url(), plan.part(), plan.expectedSha256(), listener);
        } catch (IOException | RuntimeException e) {
            if (created) {
                deleteIfEmpty(folder);
            }
            throw e;
        }
        V2Installer.Request req = new V2Installer.Request(d.file(), options.layout(), options.config(), V2Installer.Mode.MOVE,
                options.prune(), options.ema(), options.force(), false, plan.target().getFileName().toString(), d.sha256());
        V2Installer.Result r;
        try {
            r = installer.install(req, progress);
        } catch (WebUiException e) {
            boolean fixable = e.reason() == WebUiException.Reason.NOT_A_V_MODEL || e.reason() == WebUiException.Reason.BAD_CONFIG
                    || e.reason() == WebUiException.Reason.TARGET_EXISTS || e.reason() == WebUiException.Reason.NO_SPACE;
            if (!fixable) {
                Files.deleteIfExists(d.file());
                if (created) {
                    deleteIfEmpty(folder);
                }
            }
            throw new WebUiException(e.reason(), e.getMessage() + (fixable
                    ? "; the download is kept as " + d.file() + " (the web UI does not list it): the same command with that fixed installs it without downloading again"
                    : "; the download was deleted"));
        } catch (ModelFormatException | UnsafeModelException e) {
            Files.deleteIfExists(d.file());
            if (created) {
                deleteIfEmpty(folder);
            }
            throw e;
        }
        Files.deleteIfExists(d.file()); // pruned, or the same content was already installed
        return new Outcome(d, r);
    }

    /** Removes a folder this download created, when nothing is in it (a refusal leaves the web UI as it was). */
    private static void deleteIfEmpty(Path folder) {
        try (java.util.stream.Stream<Path> s = Files.list(folder)) {
            if (s.findAny().isEmpty()) {
                Files.delete(folder);
            }
        } catch (IOException e) {
            // best effort: an empty folder is harmless
        }
    }
}
