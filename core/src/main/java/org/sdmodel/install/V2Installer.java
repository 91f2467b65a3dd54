package org.sdmodel.install;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.sdmodel.inspect.KnownModels;
import org.sdmodel.inspect.PredictionType;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdResult;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.prune.Pruner;

/**
 * Installs a Stable Diffusion 2.x v-prediction checkpoint into the AUTOMATIC1111 web UI: the
 * checkpoint into {@code models/Stable-Diffusion}, and beside it a v-prediction config named after
 * it ({@code 768-v-ema.yaml} for {@code 768-v-ema.ckpt}), which is how the web UI finds a model's
 * config. Everything is checked before anything is written; both files go in through temporary
 * files and renames, and a failure leaves the folder as it was.
 */
public final class V2Installer {
    /** Where the official 768-v model is downloaded from. */
    public static final String OFFICIAL_URL =
            "https://huggingface.co/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt";
    /** The official file name. */
    public static final String DEFAULT_NAME = "768-v-ema.ckpt";

    /** How the checkpoint gets into the web UI. */
    public enum Mode {
        COPY, MOVE, LINK
    }

    /**
     * What to install and how.
     *
     * @param name the checkpoint's name in the web UI, or null for the file's own name (a
     *     download's {@code .part} is installed under the name it stands for)
     * @param sha256 the checkpoint's sha256 when the caller already has it (a download computed
     *     it while writing), or null to compute it
     */
    public record Request(Path checkpoint, Path webui, Path config, Mode mode, boolean prune, boolean force,
            boolean dryRun, String name, String sha256) {
        /** A local checkpoint installed under its own name. */
        public Request(Path checkpoint, Path webui, Path config, Mode mode, boolean prune, boolean force, boolean dryRun) {
            this(checkpoint, webui, config, mode, prune, force, dryRun, null, null);
        }
    }

    /** What was (or, in a dry run, would be) done. */
    public record Result(Path checkpointTarget, Path configTarget, String sha256, Optional<KnownModel> known,
            boolean alreadyInstalled, List<String> notes) {
    }

    /** Receives progress of long steps: a label, then bytes done. */
    public interface Progress {
        LongConsumer start(String label, long total);

        Progress NONE = (label, total) -> n -> { };
    }

    private final Function<String, Optional<KnownModel>> known;

    /** An installer that knows the official releases of {@link KnownModels}. */
    public V2Installer() {
        this(KnownModels::bySha256);
    }

    /** @param known looks up an official release by sha256 (lower-case hex); for tests */
    public V2Installer(Function<String, Optional<KnownModel>> known) {
        this.known = known;
    }

    /** The web UI's checkpoint folder, after checking that {@code webui} looks like a web UI install. */
    public static Path checkpointFolder(Path webui) throws InstallException {
        if (!Files.isDirectory(webui)) {
            throw new InstallException(InstallException.Reason.NOT_A_WEBUI, webui + ": no such folder");
        }
        if (!Files.isRegularFile(webui.resolve("launch.py")) && !Files.isRegularFile(webui.resolve("webui.py"))
                && !Files.isDirectory(webui.resolve("models"))) {
            throw new InstallException(InstallException.Reason.NOT_A_WEBUI, webui
                    + ": does not look like a Stable Diffusion web UI folder (expected launch.py, webui.py or a models/ folder); use --webui DIR");
        }
        return webui.resolve("models").resolve("Stable-Diffusion");
    }

    /** {@code 768-v-ema.ckpt} in the current folder, else in ~/Downloads. */
    public static Path findDefaultCheckpoint(Path currentDir, Path home) throws InstallException {
        for (Path p : List.of(currentDir.resolve(DEFAULT_NAME), home.resolve("Downloads").resolve(DEFAULT_NAME))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new InstallException(InstallException.Reason.NO_CHECKPOINT, "no " + DEFAULT_NAME
                + " in the current folder or in ~/Downloads; download it from " + OFFICIAL_URL
                + " or give its path");
    }

    /** Checks, then installs (or only reports, for a dry run). */
    public Result install(Request req, Progress progress) throws IOException {
        Path folder = checkpointFolder(req.webui());
        List<String> notes = new ArrayList<>();
        Path source = req.checkpoint();

        // 1. The checkpoint must read cleanly (dangerous imports refused) and be SD 2.x.
        try (ModelFile model = ModelFile.open(source)) {
            checkSd2(source, model.stateDict(), req.config() != null);
        }
        // A .zst download installs decompressed: the web UI cannot read zstd. Its identity is the
        // sha256 of what it decompresses to, which is what the official releases publish.
        boolean compressed = ZstdFiles.isZstd(source);
        if (compressed && req.mode() != Mode.COPY && !req.prune()) {
            throw new InstallException(InstallException.Reason.BAD_CONFIG, source
                    + ": is zstd-compressed; it can only be installed by decompressing a copy (drop --move/--link)");
        }
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

        // 2. The config: the bundled v config, or the user's, checked.
        byte[] config;
        if (req.config() != null) {
            config = Files.readAllBytes(req.config());
            InferenceConfig.Check check = InferenceConfig.check(config);
            if (!check.usable()) {
                throw new InstallException(InstallException.Reason.BAD_CONFIG, req.config() + ": " + check.detail());
            }
            if (check.kind() == InferenceConfig.Kind.EPS_PREDICTION && official.map(k -> k.prediction() == PredictionType.V).orElse(false)) {
                throw new InstallException(InstallException.Reason.BAD_CONFIG, req.config() + ": is " + check.detail()
                        + ", but " + source.getFileName() + " is " + official.get().fileName() + ", a v-prediction model: it would render noise");
            }
            if (check.kind() == InferenceConfig.Kind.V_PREDICTION && official.map(k -> k.prediction() == PredictionType.EPS).orElse(false)) {
                throw new InstallException(InstallException.Reason.BAD_CONFIG, req.config() + ": is " + check.detail()
                        + ", but " + source.getFileName() + " is " + official.get().fileName() + ", an eps-prediction model");
            }
        } else {
            if (official.isPresent() && official.get().prediction() == PredictionType.EPS) {
                throw new InstallException(InstallException.Reason.NOT_A_V_MODEL, source + ": is "
                        + official.get().fileName() + ", an eps-prediction model, not a v model: it needs v2-inference.yaml "
                        + "(https://github.com/Stability-AI/stablediffusion/raw/main/configs/stable-diffusion/v2-inference.yaml); "
                        + "pass it with --config");
            }
            config = InferenceConfig.bundledV();
            if (official.isEmpty()) {
                notes.add("not an official release: its prediction type cannot be read from the weights; installing the "
                        + "v-prediction config. If its images are noise, it is an eps model: reinstall with --config v2-inference.yaml");
            }
        }

        // 3. The targets: <name> (or <stem>.safetensors when pruning) and <stem>.yaml.
        String name = req.name() != null ? req.name() : source.getFileName().toString();
        if (compressed && name.endsWith(".zst")) {
            name = name.substring(0, name.length() - 4);
        }
        String stem = stem(name);
        Path target = folder.resolve(req.prune() ? stem + ".safetensors" : name);
        Path configTarget = folder.resolve(stem + ".yaml");
        if (isSameFile(source, target)) {
            throw new InstallException(InstallException.Reason.TARGET_EXISTS, source
                    + ": is already in the web UI's checkpoint folder; only its config needs installing: use --config or copy it elsewhere first");
        }
        boolean checkpointSame = !req.prune() && Files.exists(target) && Files.size(target) == installedSize
                && sha256(target, progress.start("sha256 " + target.getFileName(), Files.size(target))).equals(sha);
        boolean configSame = Files.exists(configTarget) && Arrays.equals(Files.readAllBytes(configTarget), config);
        if (Files.exists(target) && !checkpointSame && !req.force()) {
            throw new InstallException(InstallException.Reason.TARGET_EXISTS, target
                    + ": a different file is already installed under this name (use --force to replace it)");
        }
        if (Files.exists(configTarget) && !configSame && !req.force()) {
            throw new InstallException(InstallException.Reason.TARGET_EXISTS, configTarget
                    + ": a different config is already installed under this name (use --force to replace it)");
        }
        if (checkpointSame && configSame) {
            return new Result(target, configTarget, sha, official, true, notes);
        }
        if (req.dryRun()) {
            return new Result(target, configTarget, sha, official, false, notes);
        }
        Files.createDirectories(folder);
        checkSpace(req, source, folder, installedSize);

        // 4. Both files are written to temporaries first, then renamed; a failure removes both.
        boolean createdCheckpoint = false;
        try (AtomicOutput cfg = AtomicOutput.create(configTarget, true)) {
            cfg.channel().write(ByteBuffer.wrap(config));
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
        if (checkpointSame) {
            notes.add(target.getFileName() + " was already installed (same content)");
        }
        return new Result(target, configTarget, sha, official, false, notes);
    }

    private static void placeCheckpoint(Request req, Path source, Path target, Progress progress) throws IOException {
        if (req.prune()) {
            try (ModelFile model = ModelFile.open(source); AtomicOutput out = AtomicOutput.create(target, true)) {
                PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
                LongConsumer p = progress.start("prune " + source.getFileName(), plan.inputTensorBytes());
                Pruner.write(plan, Pruner.writerFor(plan, Map.of("format", "pt", "sdmodel.source",
                        source.getFileName().toString())), out.channel(), p::accept);
                try (ModelFile written = ModelFile.open(out.tempFile())) {
                    Pruner.verify(plan, written, false);
                }
                out.commit();
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
            throw new InstallException(InstallException.Reason.NO_SPACE, folder + ": needs about "
                    + (need >> 20) + " MiB free, has " + (free >> 20) + " MiB");
        }
    }

    /**
     * Refuses anything but an SD 2.x model, saying what it is instead. Inpainting and depth
     * variants are eps models with configs of their own: accepted only with {@code --config}.
     */
    static void checkSd2(Path file, StateDict sd, boolean configGiven) throws InstallException {
        ArchitectureVerdict v = ArchitectureDetector.detect(sd.tensors());
        Architecture a = v.architecture();
        if (a == Architecture.SD2 || (a.isSd2() && configGiven)) {
            return;
        }
        String why = a.isSd2()
                ? " (" + a.label() + ": an eps model with a config of its own; pass it with --config)"
                : " (" + v.reason() + (v.decidingKeys().isEmpty() ? "" : "; decided by " + v.decidingKeys().get(0)) + ")";
        throw new InstallException(InstallException.Reason.WRONG_MODEL, file + ": is " + a.description()
                + ", not an SD 2.x 768-v model" + why);
    }

    static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static boolean isSameFile(Path a, Path b) throws IOException {
        return Files.exists(b, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(a, b);
    }

    private static String sha256(Path file, LongConsumer progress) throws IOException {
        return ModelHashes.compute(file, progress).sha256();
    }
}
