package org.sdmodel.webui;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sdmodel.ModelFile;

/**
 * Where an AUTOMATIC1111 web UI install keeps its models, decided as the web UI decides it, with
 * the reason for each folder.
 *
 * <p>The web UI takes its arguments from {@code COMMANDLINE_ARGS} ({@code modules/paths_internal.py}
 * appends {@code shlex.split(COMMANDLINE_ARGS)} to its command line), which its launcher sets:
 * {@code webui.sh} sources {@code webui-user.sh} (after {@code webui-macos-env.sh} on macOS), so an
 * active {@code export COMMANDLINE_ARGS=...} there replaces the variable inherited from the
 * environment, and the environment's value is used when the file leaves it alone (the stock file
 * has it commented out); {@code webui-user.bat} does the same on Windows with
 * {@code set COMMANDLINE_ARGS=...}. Relative paths are relative to the web UI folder, where its
 * launcher runs it. Then:
 *
 * <ul>
 *   <li>data folder: {@code --data-dir}, else the web UI folder;
 *   <li>models folder: {@code --models-dir} (web UI 1.10 and later), else {@code <data>/models};
 *   <li>checkpoints: {@code <models>/Stable-diffusion} ({@code model_dir} in {@code sd_models.py},
 *       lower-case d), always listed, and {@code --ckpt-dir} listed before it when given, which is
 *       where sdmodel installs then;
 *   <li>VAE: {@code --vae-dir}, else {@code <models>/VAE} ({@code sd_vae.py}; both are listed);
 *   <li>LoRA: {@code --lora-dir}, else {@code <models>/Lora}, and {@code --lyco-dir-backcompat}
 *       ({@code <models>/LyCORIS}) (the Lora extension's {@code preload.py});
 *   <li>embeddings: {@code --embeddings-dir}, else {@code <data>/embeddings};
 *   <li>hypernetworks: {@code --hypernetwork-dir}, else {@code <models>/hypernetworks};
 *   <li>hash cache: {@code SD_WEBUI_CACHE_FILE}, else {@code <data>/cache.json}, and the
 *       {@code cache/} folder of newer versions ({@code SD_WEBUI_CACHE_DIR}, else {@code <data>/cache}).
 * </ul>
 *
 * <p>Lines of the launch files sdmodel cannot evaluate are {@linkplain #problems() reported} with
 * their file and line; a folder whose flag such a line shows is unknown, and {@link #check(Folder)}
 * refuses it rather than guessing. A folder that differs from the web UI's only in the case of its
 * name ({@code models/Stable-Diffusion}, made by hand) is named in {@link #notes()}: on a
 * case-sensitive file system the web UI does not look there.
 *
 * <p>Where a web UI install keeps its checkpoints, and why:
 *
 * <pre>{@code
 * WebUiLayout webui = WebUiLayout.of(Path.of("stable-diffusion-webui"));
 * webui.checkIsWebUi();                                  // WebUiException if it is none
 * System.out.println(webui.checkpoints().path() + ": " + webui.checkpoints().why());
 * for (Path file : webui.modelFiles()) {
 *     System.out.println(file);
 * }
 * }</pre>
 */
public final class WebUiLayout {
    /** The operating system the web UI runs on: it decides which launcher file counts. */
    public enum Platform {
        /** Linux: {@code webui-user.sh} and {@code webui.sh}. */
        LINUX,
        /** macOS: {@code webui-macos-env.sh}, then {@code webui-user.sh}. */
        MACOS,
        /** Windows: {@code webui-user.bat}. */
        WINDOWS;

        /** {@return the platform this JVM runs on} */
        public static Platform current() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            return os.startsWith("windows") ? WINDOWS : os.startsWith("mac") ? MACOS : LINUX;
        }
    }

    /**
     * The environment the web UI's launcher starts from, and its platform.
     *
     * @param variables environment variables ({@code COMMANDLINE_ARGS}, {@code HOME}...)
     * @param platform which launcher files apply
     */
    public record Environment(Map<String, String> variables, Platform platform) {
        /**
         * Copies the variables.
         *
         * @param variables environment variables
         * @param platform which launcher files apply
         */
        public Environment {
            variables = Map.copyOf(variables);
            Objects.requireNonNull(platform, "platform");
        }

        /** {@return this process's environment and platform} */
        public static Environment current() {
            return new Environment(System.getenv(), Platform.current());
        }

        /** {@return the user's home: {@code $HOME} ({@code %USERPROFILE%} on Windows), else Java's {@code user.home}} */
        public Path home() {
            String home = variables.get(platform == Platform.WINDOWS ? "USERPROFILE" : "HOME");
            return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"));
        }
    }

    /** A folder the web UI uses, and why it is that one. */
    public static final class Folder {
        private final String label;
        private final Path path;
        private final String flag;
        private final String why;
        private final Path flagFolder;
        private final Set<String> dependsOn;

        Folder(String label, Path path, String flag, String why, Path flagFolder, Set<String> dependsOn) {
            this.label = label;
            this.path = path;
            this.flag = flag;
            this.why = why;
            this.flagFolder = flagFolder;
            this.dependsOn = Collections.unmodifiableSet(dependsOn);
        }

        /** {@return what the web UI keeps there ({@code "checkpoints"}, {@code "LoRA"}...)} */
        public String label() {
            return label;
        }

        /** {@return the folder, absolute and normalised} */
        public Path path() {
            return path;
        }

        /** {@return the flag that set it ({@code --ckpt-dir}), or null when it is the default} */
        public String flag() {
            return flag;
        }

        /** {@return why it is this folder, one line: {@code "--ckpt-dir in COMMANDLINE_ARGS (webui-user.sh line 13)"}} */
        public String why() {
            return why;
        }

        @Override
        public String toString() {
            return label + ": " + path + " (" + why + ")";
        }
    }

    /**
     * Under which key the web UI caches a file's hash, or why it caches none.
     *
     * @param section the cache.json section ({@code "hashes"} or {@code "hashes-addnet"}); null when
     *     the web UI records no hash for the file
     * @param title the key in the section ({@code "checkpoint/sub/model.safetensors"}), or null
     * @param kind what the web UI takes the file for ({@code "checkpoint"}, {@code "LoRA"}...)
     * @param folder the web UI folder the file is in
     * @param skipped why nothing is recorded, when {@code section} is null
     * @param note something the user should know about how the web UI uses the entry, or null
     */
    public record CacheKey(String section, String title, String kind, Folder folder, String skipped, String note) {
        CacheKey(String section, String title, String kind, Folder folder, String skipped) {
            this(section, title, kind, folder, skipped, null);
        }

        /** {@return whether the web UI caches a hash for the file} */
        public boolean recorded() {
            return section != null;
        }

        /** {@return whether the hash is kohya's addnet hash (of the tensor data) rather than the whole file's} */
        public boolean addnet() {
            return WebUiHashCache.HASHES_ADDNET.equals(section);
        }
    }

    private final Path webui;
    private final LaunchConfig launch;
    private final Folder data;
    private final Folder models;
    private final Folder checkpoints;
    private final Folder defaultCheckpoints;
    private final Folder vae;
    private final Folder defaultVae;
    private final Folder lora;
    private final Folder lycoris;
    private final Folder embeddings;
    private final Folder hypernetworks;
    private final Folder cacheFile;
    private final Folder cacheFolder;
    private final List<String> notes = new ArrayList<>();

    private WebUiLayout(Path webui, LaunchConfig launch) {
        this.webui = webui;
        this.launch = launch;
        String from = launch.args == null ? "" : " in COMMANDLINE_ARGS (" + from(launch.args) + ")";
        data = flagged("data", LaunchFlags.DATA_DIR, from, null, Set.of(), webui, "the web UI folder: no --data-dir");
        models = flagged("models", LaunchFlags.MODELS_DIR, from, null, Set.of(LaunchFlags.DATA_DIR),
                data.path.resolve("models"), "<data>/models: no --models-dir");
        Set<String> m = deps(models, LaunchFlags.MODELS_DIR);
        defaultCheckpoints = new Folder("checkpoints", models.path.resolve("Stable-diffusion"), null,
                "<models>/Stable-diffusion, listed whatever --ckpt-dir says (model_dir in sd_models.py)",
                models.flagFolder, union(m, LaunchFlags.CKPT_DIR));
        checkpoints = flagged("checkpoints", LaunchFlags.CKPT_DIR, from, defaultCheckpoints, m, null, null);
        defaultVae = new Folder("VAE", models.path.resolve("VAE"), null, "<models>/VAE, listed whatever --vae-dir says (vae_path in sd_vae.py)",
                models.flagFolder, union(m, LaunchFlags.VAE_DIR));
        vae = flagged("VAE", LaunchFlags.VAE_DIR, from, defaultVae, m, null, null);
        lora = flagged("LoRA", LaunchFlags.LORA_DIR, from, null, m, models.path.resolve("Lora"),
                "<models>/Lora: no --lora-dir (the Lora extension's preload.py)");
        lycoris = flagged("LyCORIS", LaunchFlags.LYCO_DIR, from, null, m, models.path.resolve("LyCORIS"),
                "<models>/LyCORIS: no --lyco-dir-backcompat (the Lora extension's preload.py)");
        Set<String> d = deps(data, LaunchFlags.DATA_DIR);
        embeddings = flagged("embeddings", LaunchFlags.EMBEDDINGS_DIR, from, null, d, data.path.resolve("embeddings"),
                "<data>/embeddings: no --embeddings-dir");
        hypernetworks = flagged("hypernetworks", LaunchFlags.HYPERNETWORK_DIR, from, null, m,
                models.path.resolve("hypernetworks"), "<models>/hypernetworks: no --hypernetwork-dir");
        cacheFile = fromVariable("cache.json", launch.cacheFile, LaunchConfig.CACHE_FILE, data.path.resolve("cache.json"),
                "<data>/cache.json: no SD_WEBUI_CACHE_FILE (modules/cache.py)", data);
        cacheFolder = fromVariable("cache folder", launch.cacheDir, LaunchConfig.CACHE_DIR, data.path.resolve("cache"),
                "<data>/cache, web UI 1.8 and later: no SD_WEBUI_CACHE_DIR", data);

        notes.addAll(launch.notes);
        for (LaunchProblem p : launch.problems) {
            if (p.flags().isEmpty()) {
                notes.add(p + " (it shows no folder flag, so the folders are as listed)");
            }
        }
        for (Folder f : List.of(models, defaultCheckpoints, defaultVae, lora, embeddings, hypernetworks)) {
            if (f.flag == null) {
                wrongCase(f.path).ifPresent(notes::add);
            }
        }
    }

    /**
     * {@return the layout of the web UI in {@code webui}, for this process's environment}
     *
     * @param webui the web UI's install folder (where {@code launch.py} is)
     */
    public static WebUiLayout of(Path webui) {
        return of(webui, Environment.current());
    }

    /**
     * {@return the layout of the web UI in {@code webui}, for the given environment (tests, embedders)}
     *
     * @param webui the web UI's install folder (where {@code launch.py} is)
     * @param env the environment and platform the web UI would start with
     */
    public static WebUiLayout of(Path webui, Environment env) {
        Path dir = webui.toAbsolutePath().normalize();
        return new WebUiLayout(dir, LaunchConfig.read(dir, env));
    }

    /** {@return the web UI folder} */
    public Path webui() {
        return webui;
    }

    /**
     * Refuses a folder that is no web UI install: it must hold {@code launch.py}, {@code webui.py}
     * or a {@code models/} folder.
     *
     * @throws WebUiException NOT_A_WEBUI when none of them is there
     */
    public void checkIsWebUi() throws WebUiException {
        if (!Files.isDirectory(webui)) {
            throw new WebUiException(WebUiException.Reason.NOT_A_WEBUI, webui + ": no such folder");
        }
        if (!Files.isRegularFile(webui.resolve("launch.py")) && !Files.isRegularFile(webui.resolve("webui.py"))
                && !Files.isDirectory(webui.resolve("models"))) {
            throw new WebUiException(WebUiException.Reason.NOT_A_WEBUI, webui
                    + ": does not look like a Stable Diffusion web UI folder (expected launch.py, webui.py or a models/ folder); use --webui DIR");
        }
    }

    /**
     * Checks that sdmodel knows {@code folder} and may write there: no unreadable launch line shows
     * a flag that decides it, and a folder set by a flag exists (the web UI would not create it
     * where the user meant). Throws with one line naming the file and line, or the flag.
     *
     * @param folder one of this layout's folders
     * @throws WebUiException naming the launch file and line, or the flag, when sdmodel cannot tell or
     *     the flag's folder does not exist
     */
    public void check(Folder folder) throws WebUiException {
        for (LaunchProblem p : launch.problems) {
            Set<String> hit = new LinkedHashSet<>(p.flags());
            hit.retainAll(folder.dependsOn);
            if (!hit.isEmpty()) {
                throw new WebUiException(WebUiException.Reason.LAUNCH_CONFIG, p + "; as it shows " + String.join(", ", hit)
                        + ", sdmodel cannot tell where the web UI keeps its " + folder.label);
            }
        }
        if (folder.flagFolder != null && !Files.isDirectory(folder.flagFolder)) {
            String flag = folder.flag != null ? folder.flag : models.flag != null ? models.flag : data.flag;
            throw new WebUiException(WebUiException.Reason.MISSING_FOLDER, flag + (launch.args == null ? ""
                    : " in COMMANDLINE_ARGS (" + from(launch.args) + ")") + " points to " + folder.flagFolder
                    + ", which is not a folder");
        }
    }

    /** {@return the web UI's data folder: {@code --data-dir} when given, else the install folder} */
    public Folder dataFolder() {
        return data;
    }

    /** {@return the models folder: {@code --models-dir} when given, else {@code <data>/models}} */
    public Folder modelsFolder() {
        return models;
    }

    /** {@return where checkpoints go: {@code --ckpt-dir} when given, else {@code models/Stable-diffusion}} */
    public Folder checkpoints() {
        return checkpoints;
    }

    /** {@return {@code <models>/Stable-diffusion}, which the web UI lists whether or not {@code --ckpt-dir} is given} */
    public Folder defaultCheckpoints() {
        return defaultCheckpoints;
    }

    /** {@return the checkpoint folders the web UI lists, in its order ({@code --ckpt-dir} first)} */
    public List<Folder> checkpointFolders() {
        return checkpoints == defaultCheckpoints ? List.of(checkpoints) : List.of(checkpoints, defaultCheckpoints);
    }

    /** {@return the VAE folder: {@code --vae-dir} when given, else {@code <models>/VAE}} */
    public Folder vae() {
        return vae;
    }

    /** {@return the LoRA folder: {@code --lora-dir} when given, else {@code <models>/Lora}} */
    public Folder lora() {
        return lora;
    }

    /** {@return the LyCORIS folder: {@code --lyco-dir-backcompat} when given, else {@code <models>/LyCORIS}} */
    public Folder lycoris() {
        return lycoris;
    }

    /** {@return the embeddings folder: {@code --embeddings-dir} when given, else {@code <data>/embeddings}} */
    public Folder embeddings() {
        return embeddings;
    }

    /** {@return the hypernetworks folder: {@code --hypernetwork-dir} when given, else {@code <models>/hypernetworks}} */
    public Folder hypernetworks() {
        return hypernetworks;
    }

    /** {@return the web UI's hash cache file} */
    public Folder cacheFile() {
        return cacheFile;
    }

    /**
     * The {@code cache/} folder of web UI 1.8 and later (diskcache): while it exists, the web UI
     * does not read {@link #cacheFile()} ({@code modules/cache.py} converts cache.json only when
     * the folder is missing).
     *
     * @return the {@code cache/} folder, whether or not it exists
     */
    public Folder cacheFolder() {
        return cacheFolder;
    }

    /**
     * The folders the web UI loads model files from, each once, in the order a report lists them:
     * the checkpoint folders, both VAE folders, LoRA, LyCORIS, embeddings and hypernetworks.
     *
     * @return the folders, without duplicates
     */
    public List<Folder> modelFolders() {
        List<Folder> all = new ArrayList<>(checkpointFolders());
        all.add(vae);
        if (vae != defaultVae) {
            all.add(defaultVae);
        }
        all.addAll(List.of(lora, lycoris, embeddings, hypernetworks));
        return all;
    }

    /**
     * Names of the files in the model folders that hold weights or pickles: what the web UI or its
     * extensions load ({@code .ckpt}, {@code .safetensors}, {@code .pt}, {@code .pth}, {@code .bin})
     * and other pickle containers a folder may hold ({@code .pkl}, {@code .pickle}, {@code .npy},
     * {@code .npz}), zstd-compressed or not. Case is ignored, as on the web UI's Windows installs.
     *
     * @param name a file name
     * @return whether the web UI (or an extension) may load a file of that name from a model folder
     */
    public static boolean isModelFileName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".zst")) {
            lower = lower.substring(0, lower.length() - 4);
        }
        return MODEL_EXTENSIONS.contains(extension(lower));
    }

    private static final Set<String> MODEL_EXTENSIONS = Set.of(
            ".ckpt", ".safetensors", ".pt", ".pth", ".bin", ".pkl", ".pickle", ".npy", ".npz");

    /**
     * Every model file ({@link #isModelFileName}) under the {@linkplain #modelFolders() model
     * folders}, recursively and through symbolic links as the web UI walks them
     * ({@code os.walk(..., followlinks=True)} in {@code modules/util.py}), each real file once, in
     * folder order and then by path. Folders that do not exist are skipped; a link loop is not
     * followed twice.
     *
     * @return the files, each once
     * @throws IOException if a folder cannot be listed
     */
    public List<Path> modelFiles() throws IOException {
        Set<Path> seen = new LinkedHashSet<>();
        List<Path> files = new ArrayList<>();
        for (Folder f : modelFolders()) {
            if (!Files.isDirectory(f.path)) {
                continue;
            }
            List<Path> here = new ArrayList<>();
            java.nio.file.Files.walkFileTree(f.path, Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
                            if (a.isRegularFile() && isModelFileName(file.getFileName().toString())) {
                                here.add(file);
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                            // a link loop or an unreadable entry: the web UI skips it too
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                    });
            Collections.sort(here);
            for (Path p : here) {
                if (seen.add(p.toRealPath())) {
                    files.add(p);
                }
            }
        }
        return files;
    }

    /** {@return every folder, in the order a report lists them} */
    public List<Folder> folders() {
        List<Folder> all = new ArrayList<>(List.of(data, models, checkpoints));
        if (checkpoints != defaultCheckpoints) {
            all.add(defaultCheckpoints);
        }
        all.addAll(List.of(vae, lora, lycoris, embeddings, hypernetworks, cacheFile, cacheFolder));
        return all;
    }

    /**
     * Where COMMANDLINE_ARGS came from ({@code "webui-user.sh line 13"}, {@code "the environment"}),
     * or null when the web UI gets none.
     *
     * @return a description of where the arguments were found, or null
     */
    public String argumentsSource() {
        return launch.args == null ? null : launch.args.source();
    }

    /** {@return the web UI's arguments from COMMANDLINE_ARGS, split as it splits them} */
    public List<String> arguments() {
        return List.copyOf(launch.argv);
    }

    /** {@return the launch files read, in order} */
    public List<Path> launchFiles() {
        return List.copyOf(launch.filesRead);
    }

    /** {@return lines of the launch files sdmodel could not read as the launcher does} */
    public List<LaunchProblem> problems() {
        return List.copyOf(launch.problems);
    }

    /**
     * Things a user should know that change nothing sdmodel decides: folders that differ from the
     * web UI's only in case, launch lines that show no folder flag, the other platform's launcher.
     *
     * @return the notes, one line each (empty when there are none)
     */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The note about a folder beside {@code path} whose name differs only in case, if there is one. */
    private static java.util.Optional<String> wrongCase(Path path) {
        Path parent = path.getParent();
        String name = path.getFileName().toString();
        if (parent == null || !Files.isDirectory(parent)) {
            return java.util.Optional.empty();
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (!n.equals(name) && n.equalsIgnoreCase(name) && Files.isDirectory(p)
                        && !(Files.exists(path) && Files.isSameFile(p, path))) {
                    return java.util.Optional.of(p + " is not a folder the web UI reads: it looks in " + path
                            + " (the case of a name matters here)");
                }
            }
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.empty();
    }

    /**
     * Under which key the web UI caches {@code file}'s hash ({@code modules/hashes.py}, called by
     * {@code sd_models.CheckpointInfo}, the Lora extension's {@code NetworkOnDisk}, and
     * {@code textual_inversion.EmbeddingDatabase}), or why it caches none.
     *
     * @param file a file in one of the model folders
     * @return the key and the section of {@code cache.json}, or why the web UI caches no hash for it
     * @throws WebUiException NOT_IN_A_WEBUI_FOLDER when the file is in none of the web UI's model
     *     folders, or in one under a name the web UI does not list there
     */
    public CacheKey cacheKey(Path file) throws IOException {
        Path real = file.toRealPath();
        String name = real.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        for (Folder f : checkpointFolders()) {
            Path rel = relative(real, f);
            if (rel == null) {
                continue;
            }
            if (lower.endsWith(".vae.ckpt") || lower.endsWith(".vae.pt") || lower.endsWith(".vae.safetensors")) {
                return vaeKey(f);
            }
            if (!lower.endsWith(".ckpt") && !lower.endsWith(".safetensors")) {
                throw notListed(file, f, ".ckpt and .safetensors");
            }
            return new CacheKey(WebUiHashCache.HASHES, "checkpoint/" + checkpointName(f, rel), "checkpoint", f, null);
        }
        for (Folder f : List.of(vae, defaultVae)) {
            if (relative(real, f) != null) {
                if (!lower.endsWith(".ckpt") && !lower.endsWith(".pt") && !lower.endsWith(".safetensors")) {
                    throw notListed(file, f, ".ckpt, .pt and .safetensors");
                }
                return vaeKey(f);
            }
        }
        for (Folder f : List.of(lora, lycoris)) {
            if (relative(real, f) != null) {
                if (!lower.endsWith(".pt") && !lower.endsWith(".ckpt") && !lower.endsWith(".safetensors")) {
                    throw notListed(file, f, ".pt, .ckpt and .safetensors");
                }
                // NetworkOnDisk: name = file name without extension; addnet hash for .safetensors
                boolean st = lower.endsWith(".safetensors");
                String note = null;
                if (st && sshsModelHash(real) != null) {
                    note = "its metadata has sshs_model_hash, which the web UI's Lora extension takes instead of the cache";
                }
                return new CacheKey(st ? WebUiHashCache.HASHES_ADDNET : WebUiHashCache.HASHES, "lora/" + stem(name), "LoRA", f,
                        null, note);
            }
        }
        if (relative(real, embeddings) != null) {
            String ext = extension(lower);
            if (List.of(".png", ".webp", ".jxl", ".avif").contains(ext)) {
                return new CacheKey(null, null, "embedding", embeddings, "an embedding in an image takes its name from the"
                        + " image's data, which sdmodel does not read; the web UI hashes it when it loads it");
            }
            if (!List.of(".pt", ".bin", ".safetensors").contains(ext)) {
                throw notListed(file, embeddings, ".pt, .bin and .safetensors (and images)");
            }
            if (Files.size(real) == 0) {
                return new CacheKey(null, null, "embedding", embeddings, "the web UI skips empty files");
            }
            return new CacheKey(WebUiHashCache.HASHES, "textual_inversion/" + stem(name), "embedding", embeddings, null);
        }
        if (relative(real, hypernetworks) != null) {
            return new CacheKey(null, null, "hypernetwork", hypernetworks, "the web UI records a hypernetwork's hash under"
                    + " the name stored inside the file (hypernet/<name>), which sdmodel does not read");
        }
        throw new WebUiException(WebUiException.Reason.NOT_IN_A_WEBUI_FOLDER, file + ": is in none of the web UI's model"
                + " folders (checkpoints: " + String.join(", ", checkpointFolders().stream().map(f -> f.path.toString()).toList())
                + "; LoRA: " + lora.path + "; embeddings: " + embeddings.path + "), so the web UI never hashes it");
    }

    /** The {@code sshs_model_hash} of a safetensors file's metadata, or null (also when unreadable). */
    private static String sshsModelHash(Path file) {
        try (ModelFile m = ModelFile.open(file)) {
            return m.metadata().get("sshs_model_hash");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static CacheKey vaeKey(Folder f) {
        return new CacheKey(null, null, "VAE", f, "the web UI caches the hash of whichever VAE is loaded under the one"
                + " title 'vae' (sd_vae.get_loaded_vae_hash), so a recorded one would not last");
    }

    private static WebUiException notListed(Path file, Folder f, String what) {
        return new WebUiException(WebUiException.Reason.NOT_IN_A_WEBUI_FOLDER, file + ": is in the web UI's " + f.label
                + " folder, but the web UI lists only " + what + " files there");
    }

    /** {@code file}'s path inside {@code folder} (both as real paths), or null when it is not inside. */
    private static Path relative(Path realFile, Folder folder) throws IOException {
        if (!Files.isDirectory(folder.path)) {
            return null;
        }
        Path realFolder = folder.path.toRealPath();
        return realFile.startsWith(realFolder) && !realFile.equals(realFolder) ? realFolder.relativize(realFile) : null;
    }

    /**
     * {@code CheckpointInfo.name}: the path the web UI finds the file under (the folder it walks,
     * absolute, then the path inside it) with the {@code --ckpt-dir} text replaced if it starts
     * with it, else the {@code models/Stable-diffusion} text, else the bare file name; then one
     * leading separator dropped. Python's {@code str.replace} replaces every occurrence and its
     * {@code startswith} compares text, and so does this.
     */
    private String checkpointName(Folder walked, Path rel) {
        String sep = webui.getFileSystem().getSeparator();
        String abspath = walked.path + sep + rel;
        String ckptDir = checkpoints != defaultCheckpoints ? checkpoints.path.toString() : null;
        String modelPath = defaultCheckpoints.path.toString();
        String name;
        if (ckptDir != null && abspath.startsWith(ckptDir)) {
            name = abspath.replace(ckptDir, "");
        } else if (abspath.startsWith(modelPath)) {
            name = abspath.replace(modelPath, "");
        } else {
            name = rel.getFileName().toString();
        }
        if (name.startsWith("/") || name.startsWith("\\")) {
            name = name.substring(1);
        }
        return name;
    }

    /** Python's {@code os.path.splitext(name)[0]}: a dot starts the extension unless only dots precede it. */
    static String stem(String name) {
        int dot = name.lastIndexOf('.');
        for (int i = 0; i < dot; i++) {
            if (name.charAt(i) != '.') {
                return name.substring(0, dot);
            }
        }
        return name;
    }

    private static String extension(String name) {
        String stem = stem(name);
        return name.substring(stem.length());
    }

    // --- construction -----------------------------------------------------------------------------

    private Folder flagged(String label, String flag, String from, Folder fallback, Set<String> baseDeps, Path defaultPath,
            String defaultWhy) {
        LaunchFlags.Setting s = launch.flags.settings.get(flag);
        if (s != null) {
            Path p = resolve(s.value(), flag);
            String written = s.written().equals(flag) ? flag : s.written() + " (" + flag + ")";
            String why = written + from;
            return new Folder(label, p, flag, why, p, Set.of(flag));
        }
        if (fallback != null) {
            return fallback;
        }
        Folder base = baseDeps.contains(LaunchFlags.MODELS_DIR) ? models : data;
        return new Folder(label, defaultPath.normalize(), null, defaultWhy, baseDeps.isEmpty() ? null : base == null ? null
                : base.flagFolder, union(baseDeps, flag));
    }

    private Folder fromVariable(String label, LaunchConfig.Value value, String variable, Path defaultPath, String defaultWhy,
            Folder base) {
        if (value != null) {
            Path p = resolve(value.text(), variable);
            return new Folder(label, p, null, variable + " (" + from(value) + ")", null, Set.of(variable));
        }
        return new Folder(label, defaultPath.normalize(), null, defaultWhy, base.flagFolder,
                union(deps(base, LaunchFlags.DATA_DIR), variable));
    }

    /** {@code webui-user.sh line 13}, or {@code from the environment}. */
    private static String from(LaunchConfig.Value value) {
        return value.source().equals("the environment") ? "from the environment" : value.source();
    }

    private Path resolve(String value, String flag) {
        try {
            return webui.resolve(value).normalize();
        } catch (InvalidPathException e) {
            launch.problems.add(new LaunchProblem(null, 0, flag + " " + value + " is not a path here (" + e.getReason() + ")",
                    Set.of(flag)));
            return webui.resolve("?invalid").normalize();
        }
    }

    private static Set<String> deps(Folder f, String own) {
        return f.flag != null ? Set.of(own) : f.dependsOn;
    }

    private static Set<String> union(Set<String> a, String b) {
        Set<String> u = new LinkedHashSet<>(a);
        u.add(b);
        return u;
    }
}
