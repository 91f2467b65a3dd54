package org.sdmodel.webui;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.sdmodel.ModelFile;
import org.sdmodel.StateDict;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.ArchitectureDetector;
import org.sdmodel.inspect.ArchitectureVerdict;
import org.sdmodel.inspect.KnownModel;
import org.sdmodel.inspect.Inspector;
import org.sdmodel.inspect.KnownModels;
import org.sdmodel.inspect.Prediction;
import org.sdmodel.inspect.PredictionType;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdResult;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.engine.WriteOptions;

/**
 * Installs a Stable Diffusion 2.x checkpoint into the AUTOMATIC1111 web UI: the checkpoint into the
 * folder the web UI lists ({@link WebUiLayout#checkpoints()}: {@code --ckpt-dir}, else
 * {@code models/Stable-diffusion}), and beside it the inference config named after it
 * ({@code 768-v-ema.yaml} for {@code 768-v-ema.ckpt}), which is how the web UI finds a model's config
 * ({@code sd_models_config.find_checkpoint_config_near_filename}). A checkpoint already in a folder
 * the web UI lists gets only its config. Everything is checked before anything is written; both
 * files go in through temporary files and renames, and a failure leaves the folder as it was.
 *
 * <p>SD 2.0 768-v copied into a web UI, with its config:
 *
 * <pre>{@code
 * WebUiLayout webui = WebUiLayout.of(Path.of("stable-diffusion-webui"));
 * V2Installer.Request request = new V2Installer.Request(Path.of("768-v-ema.ckpt"), webui, null,
 *         V2Installer.Mode.COPY, false, EmaPolicy.USE, false, false);
 * V2Installer.Result result = new V2Installer().install(request, V2Installer.Progress.NONE);
 * System.out.println(result.checkpointTarget() + " + " + result.configTarget());
 * }</pre>
 */
public final class V2Installer {
    /** Where the official 768-v model is downloaded from. */
    public static final String OFFICIAL_URL =
            "https://huggingface.co/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt";
    /** The official file name. */
    public static final String DEFAULT_NAME = "768-v-ema.ckpt";

    /** How the checkpoint gets into the web UI. */
    public enum Mode {
        /** Copies the file, leaving the original. */
        COPY,
        /** Moves the file into the web UI's folder. */
        MOVE,
        /** Makes a symbolic link to the file in the web UI's folder. */
        LINK
    }

    /**
     * What to install and how.
     *
     * @param checkpoint the checkpoint (a .zst download is installed decompressed)
     * @param layout the web UI's folders
     * @param config the config to install (see {@link InferenceConfig#load}), or null for the one
     *     the checkpoint's prediction type calls for
     * @param ema with {@code prune}: what to do with EMA copies
     * @param name the checkpoint's name in the web UI, or null for the file's own name (a
     *     download's {@code .part} is installed under the name it stands for)
     * @param sha256 the checkpoint's sha256 when the caller already has it (a download computed
     *     it while writing), or null to compute it
     * @param mode copy, move or link
     * @param prune whether to prune it to fp16 safetensors on the way
     * @param force whether an existing checkpoint or config may be replaced
     * @param dryRun whether to only report what would be done
     */
    public record Request(Path checkpoint, WebUiLayout layout, Path config, Mode mode, boolean prune, EmaPolicy ema,
            boolean force, boolean dryRun, String name, String sha256) {
        /**
         * A local checkpoint installed under its own name.
         *
         * @param checkpoint the checkpoint
         * @param layout the web UI's folders
         * @param config the config to install, or null for the one the checkpoint calls for
         * @param mode copy, move or link
         * @param prune whether to prune it to fp16 safetensors on the way
         * @param ema with {@code prune}: what to do with EMA copies
         * @param force whether an existing checkpoint or config may be replaced
         * @param dryRun whether to only report what would be done
         */
        public Request(Path checkpoint, WebUiLayout layout, Path config, Mode mode, boolean prune, EmaPolicy ema, boolean force,
                boolean dryRun) {
            this(checkpoint, layout, config, mode, prune, ema, force, dryRun, null, null);
        }
    }

    /**
     * What was (or, in a dry run, would be) done.
     *
     * @param folder the checkpoint folder, with why the web UI reads it
     * @param configOnly the checkpoint was already in place: only its config was installed
     * @param prediction what the checkpoint predicts, and how that is known
     * @param config what the installed config is ({@code "sdmodel's v-prediction config"}, a path)
     * @param checkpointTarget where the checkpoint is (or would be) in the web UI
     * @param configTarget where its config is (or would be) written
     * @param sha256 the checkpoint's sha256
     * @param known the official release it is, if it is one
     * @param alreadyInstalled the same checkpoint and config were there already: nothing was done
     * @param notes things the user should know, one line each
     */
    public record Result(Path checkpointTarget, Path configTarget, WebUiLayout.Folder folder, boolean configOnly,
            String sha256, Optional<KnownModel> known, Prediction prediction, String config, boolean alreadyInstalled,
            List<String> notes) {
    }

    /** Receives progress of long steps: a label, then bytes done. */
    public interface Progress {
        /**
         * A step starts.
         *
         * @param label what the step does, for people
         * @param total the bytes it will process
         * @return told the bytes done so far, as they grow
         */
        LongConsumer start(String label, long total);

        /** Ignores the progress. */
        Progress NONE = (label, total) -> n -> { };
    }

    private final Function<String, Optional<KnownModel>> known;

    /** An installer that knows the official releases of {@link KnownModels}. */
    public V2Installer() {
        this(KnownModels::bySha256);
    }

    /**
     * An installer that knows the official releases {@code known} finds.
     *
     * @param known looks up an official release by sha256 (lower-case hex); for tests
     */
    public V2Installer(Function<String, Optional<KnownModel>> known) {
        this.known = known;
    }

    /**
     * {@code 768-v-ema.ckpt} in the current folder, else in {@code <home>/Downloads}, where
     * {@code home} is {@link WebUiLayout.Environment#home()} ({@code $HOME}).
     *
     * @param currentDir the current folder
     * @param home the user's home folder
     * @return the checkpoint found
     * @throws WebUiException when it is in neither place
     */
    public static Path findDefaultCheckpoint(Path currentDir, Path home) throws WebUiException {
        Path downloads = home.resolve("Downloads");
        for (Path p : List.of(currentDir.resolve(DEFAULT_NAME), downloads.resolve(DEFAULT_NAME))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new WebUiException(WebUiException.Reason.NO_CHECKPOINT, "no " + DEFAULT_NAME + " in the current folder ("
                + currentDir + ") or in " + downloads + "; download it from " + OFFICIAL_URL + " or give its path");
    }

    /**
     * Checks, then installs (or only reports, for a dry run).
     *
     * @param req what to install and how
     * @param progress told of the copy, prune and hashing
     * @return what was done, or would be for a dry run
     * @throws IOException if a file cannot be read or written; nothing is left half-installed
     */
    public Result install(Request req, Progress progress) throws IOException {
        WebUiLayout layout = req.layout();
        layout.checkIsWebUi();
        Path source = req.checkpoint();
        List<String> notes = new ArrayList<>();

        // 0. Where: a checkpoint already in a folder the web UI lists keeps its place (not a
        // download's .part, which is installed under the name it stands for).
        WebUiLayout.Folder folder = null;
        for (WebUiLayout.Folder f : req.name() != null ? List.<WebUiLayout.Folder>of() : layout.checkpointFolders()) {
            if (Files.isDirectory(f.path()) && (source.toAbsolutePath().normalize().getParent().startsWith(f.path())
                    || source.toRealPath().getParent().startsWith(f.path().toRealPath()))) {
                folder = f;
                break;
            }
        }
        boolean configOnly = folder != null;
        if (folder == null) {
            folder = layout.checkpoints();
        }
        layout.check(folder);
        for (String note : layout.notes()) {
            if (note.contains(folder.path().toString())) {
                notes.add(note);
            }
        }
        if (configOnly && (req.prune() || req.mode() != Mode.COPY)) {
            throw new WebUiException(WebUiException.Reason.USAGE, source + ": is already in the web UI's checkpoint folder "
                    + folder.path() + "; only its config is installed, so --prune, --move and --link do not apply");
        }

        // 1. The checkpoint must read cleanly (dangerous imports refused), be SD 2.x, and have a
        // name the web UI lists.
        boolean compressed = ZstdFiles.isZstd(source);
        String name = req.name() != null ? req.name() : source.getFileName().toString();
        if (compressed && name.endsWith(".zst")) {
            name = name.substring(0, name.length() - 4);
        }
        String stem = WebUiLayout.stem(name);
        String extension = name.substring(stem.length()).toLowerCase(Locale.ROOT);
        if (!req.prune() && !extension.equals(".ckpt") && !extension.equals(".safetensors")) {
            throw new WebUiException(WebUiException.Reason.WRONG_MODEL, source + ": the web UI lists only .ckpt and"
                    + " .safetensors files as checkpoints; rename it to " + stem + ".ckpt, or install it with --prune");
        }
        Prediction fromFile;
        try (ModelFile model = ModelFile.open(source)) {
            checkSd2(source, model.stateDict(), req.config() != null);
            fromFile = Inspector.prediction(model, null);
            if (req.prune()) {
                PrunePlan.of(model, PruneOptions.defaults().withEma(req.ema())); // refuses now, before anything is written
            }
        }
        if (compressed && req.mode() != Mode.COPY && !req.prune()) {
            throw new WebUiException(WebUiException.Reason.USAGE, source
                    + ": is zstd-compressed; it can only be installed by decompressing a copy (drop --move/--link)");
        }
        // A .zst download installs decompressed: the web UI cannot read zstd. Its identity is the
        // sha256 of what it decompresses to, which is what the official releases publish.
        long installedSize;
        String sha;
        if (compressed) {
            ZstdResult z = ZstdFiles.decompress(source, null, progress.start("sha256 " + source.getFileName(), Files.size(source)));
            sha = z.uncompressedSha256();
            installedSize = z.uncompressedBytes();
        } else {
            sha = req.sha256() != null ? req.sha256()
                    : sha256(source, progress.start("sha256 " + source.getFileName(), Files.size(source)));
            installedSize = Files.size(source);
        }
        Optional<KnownModel> official = known.apply(sha);
        Prediction prediction = official.map(k -> new Prediction(k.prediction(), "the official release " + k.fileName()))
                .orElse(fromFile);

        // 2. The config: the one the prediction calls for, or the user's, checked against it.
        InferenceConfig.Source config;
        if (req.config() != null) {
            try {
                config = InferenceConfig.load(req.config());
            } catch (NoSuchFileException e) {
                throw new WebUiException(WebUiException.Reason.BAD_CONFIG, e.getFile() + ": " + e.getReason());
            }
            InferenceConfig.Check check = InferenceConfig.check(config.content());
            if (!check.usable()) {
                throw new WebUiException(WebUiException.Reason.BAD_CONFIG, config.label() + ": " + check.detail());
            }
            if (check.kind() == InferenceConfig.Kind.EPS_PREDICTION && prediction.type() == PredictionType.V
                    || check.kind() == InferenceConfig.Kind.V_PREDICTION && prediction.type() == PredictionType.EPS) {
                String wanted = prediction.type() == PredictionType.V ? "a v-prediction model: it would render noise"
                        : "an eps-prediction model";
                throw new WebUiException(WebUiException.Reason.BAD_CONFIG, config.label() + ": is " + check.detail() + ", but "
                        + source.getFileName() + " is " + wanted + " (" + prediction.basis() + ")");
            }
        } else if (prediction.type() == PredictionType.EPS) {
            throw new WebUiException(WebUiException.Reason.NOT_A_V_MODEL, source + ": is "
                    + official.map(k -> k.fileName() + ", ").orElse("") + "an eps-prediction model (" + prediction.basis()
                    + "), not a v model: install it with --config " + InferenceConfig.EPS_NAME + " (sdmodel ships that config)");
        } else {
            config = new InferenceConfig.Source("sdmodel's v-prediction config (Stability AI's " + InferenceConfig.V_NAME + ")",
                    InferenceConfig.bundledV());
            if (prediction.type() != PredictionType.V) {
                notes.add("its prediction type is not in the file (" + prediction.basis() + "); installing the v-prediction"
                        + " config. If its images are noise, it is an eps model: run install-v2 again with --config "
                        + InferenceConfig.EPS_NAME + " --force");
            }
        }

        // 3. The targets: <name> (or <stem>.safetensors when pruning) and <stem>.yaml.
        Path target = configOnly ? source : folder.path().resolve(req.prune() ? stem + ".safetensors" : name);
        Path configTarget = (configOnly ? source.toAbsolutePath().getParent() : folder.path()).resolve(stem + ".yaml");
        boolean checkpointSame = configOnly || !req.prune() && Files.exists(target) && (isSameFile(source, target)
                || Files.size(target) == installedSize
                && sha256(target, progress.start("sha256 " + target.getFileName(), Files.size(target))).equals(sha));
        byte[] configBytes = config.content();
        boolean configSame = Files.exists(configTarget) && Arrays.equals(Files.readAllBytes(configTarget), configBytes);
        if (Files.exists(target) && !checkpointSame && !req.force()) {
            throw new WebUiException(WebUiException.Reason.TARGET_EXISTS, target
                    + ": a different file is already installed under this name (use --force to replace it)");
        }
        if (Files.exists(configTarget) && !configSame && !req.force()) {
            throw new WebUiException(WebUiException.Reason.TARGET_EXISTS, configTarget
                    + ": a different config is already installed under this name (use --force to replace it)");
        }
        if (checkpointSame && configSame) {
            return new Result(target, configTarget, folder, configOnly, sha, official, prediction, config.label(), true, notes);
        }
        if (req.dryRun()) {
            return new Result(target, configTarget, folder, configOnly, sha, official, prediction, config.label(), false, notes);
        }
        Files.createDirectories(folder.path());
        if (!checkpointSame) {
            checkSpace(req, source, folder.path(), installedSize);
        }

        // 4. Both files are written to temporaries first, then renamed; a failure removes both.
        boolean createdCheckpoint = false;
        try (AtomicOutput cfg = AtomicOutput.create(configTarget, true)) {
            cfg.channel().write(ByteBuffer.wrap(configBytes));
            if (!checkpointSame) {
                createdCheckpoint = !Files.exists(target);
                placeCheckpoint(req, source, target, progress);
            }
            cfg.commit();
        } catch (IOException | RuntimeException e) {
            if (createdCheckpoint && Files.exists(target)) {
                if (req.mode() == Mode.MOVE && !req.prune() && !Files.exists(source)) {
                    Files.move(target, source); // put the user's file back where it was
                } else {
                    Files.deleteIfExists(target);
                }
            }
            throw e;
        }
        if (checkpointSame && !configOnly) {
            notes.add(target.getFileName() + " was already installed (same content)");
        }
        return new Result(target, configTarget, folder, configOnly, sha, official, prediction, config.label(), false, notes);
    }

    private static void placeCheckpoint(Request req, Path source, Path target, Progress progress) throws IOException {
        if (req.prune()) {
            try (ModelFile model = ModelFile.open(source)) {
                PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults().withEma(req.ema()));
                TensorPlan tensors = plan.tensors(Map.of("format", "pt", "sdmodel.source", source.getFileName().toString()));
                LongConsumer p = progress.start("prune " + source.getFileName(), tensors.layout().fileSize());
                ModelWriter.write(tensors, target, WriteOptions.defaults().withOverwrite(true).withProgress(p::accept));
            }
            return;
        }
        switch (req.mode()) {
            case LINK: {
                // A hard link made under a temporary name, then renamed: the target appears whole or not at all.
                Path tmp = target.resolveSibling("." + target.getFileName() + ".link" + AtomicOutput.TEMP_SUFFIX);
                Files.deleteIfExists(tmp);
                Files.createLink(tmp, source);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
            case MOVE:
                if (Files.getFileStore(source).equals(Files.getFileStore(target.getParent()))) {
                    Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    return;
                }
                copy(source, target, progress);
                Files.delete(source);
                return;
            default:
                if (ZstdFiles.isZstd(source)) {
                    try (AtomicOutput out = AtomicOutput.create(target, true)) {
                        ZstdFiles.decompress(source, out.channel(), progress.start("decompress " + source.getFileName(),
                                Files.size(source)));
                        out.commit();
                    }
                    return;
                }
                copy(source, target, progress);
        }
    }

    private static void copy(Path source, Path target, Progress progress) throws IOException {
        long size = Files.size(source);
        LongConsumer p = progress.start("copy " + source.getFileName(), size);
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                AtomicOutput out = AtomicOutput.create(target, true)) {
            long pos = 0;
            while (pos < size) {
                long n = in.transferTo(pos, Math.min(64L << 20, size - pos), out.channel());
                if (n <= 0) {
                    throw new java.io.EOFException(source + " shrank while being copied");
                }
                pos += n;
                p.accept(n);
            }
            out.commit();
        }
    }

    private static void checkSpace(Request req, Path source, Path folder, long installedSize) throws IOException {
        if (req.mode() == Mode.LINK && !req.prune()) {
            return;
        }
        if (req.mode() == Mode.MOVE && Files.getFileStore(source).equals(Files.getFileStore(folder))) {
            return;
        }
        long need = installedSize / (req.prune() ? 3 : 1) + (1 << 20);
        long free = Files.getFileStore(folder).getUsableSpace();
        if (free < need) {
            throw new WebUiException(WebUiException.Reason.NO_SPACE, folder + ": needs about "
                    + (need >> 20) + " MiB free, has " + (free >> 20) + " MiB");
        }
    }

    /**
     * Refuses anything but an SD 2.x model, saying what it is instead. Inpainting and depth
     * variants are eps models with configs of their own: accepted only with {@code --config}.
     */
    static void checkSd2(Path file, StateDict sd, boolean configGiven) throws WebUiException {
        ArchitectureVerdict v = ArchitectureDetector.detect(sd.tensors());
        Architecture a = v.architecture();
        if (a == Architecture.SD2 || (a.isSd2() && configGiven)) {
            return;
        }
        String why = a.isSd2()
                ? " (" + a.label() + ": an eps model with a config of its own; pass it with --config)"
                : " (" + v.reason() + (v.decidingKeys().isEmpty() ? "" : "; decided by " + v.decidingKeys().get(0)) + ")";
        throw new WebUiException(WebUiException.Reason.WRONG_MODEL, file + ": is " + a.description()
                + ", not an SD 2.x 768-v model" + why);
    }

    private static boolean isSameFile(Path a, Path b) throws IOException {
        return Files.exists(b, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(a, b);
    }

    private static String sha256(Path file, LongConsumer progress) throws IOException {
        return ModelHashes.compute(file, progress).sha256();
    }
}
