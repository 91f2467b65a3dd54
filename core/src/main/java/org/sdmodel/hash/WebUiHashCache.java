package org.sdmodel.hash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sdmodel.io.AtomicOutput;

/**
 * The hash cache of the AUTOMATIC1111 Stable Diffusion web UI: {@code cache.json} in the web UI's
 * folder. Its {@code "hashes"} section maps a title such as {@code checkpoint/v1-5-pruned.ckpt} to
 * {@code {"mtime": <float>, "sha256": "<hex>"}}; at start-up the web UI trusts a cached sha256 as long
 * as the file's modification time is not later than the cached one ({@code modules/hashes.py},
 * {@code sha256_from_cache}), and otherwise spends minutes hashing every multi-GB checkpoint again.
 * Recording a hash here saves that.
 *
 * <p>The file is read and rewritten as Python's {@code json.dump(..., indent=4)} writes it, so
 * every other section and entry keeps its exact text; the new file replaces the old one atomically
 * (as the web UI itself does since it writes {@code cache.json-} and renames it) and keeps its
 * permissions. The web UI holds the cache in memory while it runs and writes it back whenever it
 * hashes something, so record hashes while the web UI is stopped.
 *
 * <p>Web UI versions that keep their cache in a {@code cache/} folder (diskcache) read
 * {@code cache.json} only once, to convert it, when that folder does not exist yet; see
 * {@link #usesCacheFolder(Path)}.
 */
public final class WebUiHashCache {
    /** The cache file's name in the web UI's folder. */
    public static final String FILE_NAME = "cache.json";
    /** The section holding full-file sha256 values. */
    public static final String HASHES = "hashes";
    /** The prefix of a checkpoint's title in {@link #HASHES}. */
    public static final String CHECKPOINT_PREFIX = "checkpoint/";

    /** A cached hash: the file's modification time when it was hashed, and its sha256. */
    public record Entry(double mtime, String sha256) {
    }

    private WebUiHashCache() {
    }

    /** {@code <webui>/cache.json}. */
    public static Path cacheFile(Path webuiDir) {
        return webuiDir.resolve(FILE_NAME);
    }

    /** The default checkpoint folder, {@code <webui>/models/Stable-diffusion}. */
    public static Path checkpointFolder(Path webuiDir) {
        return webuiDir.resolve("models").resolve("Stable-diffusion");
    }

    /**
     * Whether the web UI at {@code webuiDir} has a {@code cache/} folder, the diskcache store of
     * newer versions, which read {@code cache.json} only while that folder does not exist.
     */
    public static boolean usesCacheFolder(Path webuiDir) {
        return Files.isDirectory(webuiDir.resolve("cache"));
    }

    /**
     * The title under which the web UI caches a checkpoint's hash: {@code checkpoint/} + its name,
     * which is the file's path relative to the checkpoint folder when the file is inside it, else
     * its bare file name ({@code modules/sd_models.py}, {@code CheckpointInfo}). Like the web UI,
     * this compares absolute, normalised paths as text and does not resolve symbolic links.
     */
    public static String checkpointTitle(Path webuiDir, Path checkpoint) {
        String folder = checkpointFolder(webuiDir).toAbsolutePath().normalize().toString();
        String file = checkpoint.toAbsolutePath().normalize().toString();
        String name;
        if (file.startsWith(folder)) {
            // The web UI does abspath.replace(model_path, ''): every occurrence, then one leading separator.
            name = file.replace(folder, "");
            if (name.startsWith("/") || name.startsWith("\\")) {
                name = name.substring(1);
            }
        } else {
            name = checkpoint.getFileName().toString();
        }
        return CHECKPOINT_PREFIX + name;
    }

    /** Whether {@code checkpoint} lies inside the web UI's default checkpoint folder. */
    public static boolean inCheckpointFolder(Path webuiDir, Path checkpoint) {
        return checkpoint.toAbsolutePath().normalize()
                .startsWith(checkpointFolder(webuiDir).toAbsolutePath().normalize());
    }

    /**
     * A file's modification time as Python's {@code os.path.getmtime} gives it: seconds plus
     * nanoseconds times 1e-9, in double precision, exactly as CPython computes {@code st_mtime}.
     */
    public static double mtime(Path file) throws IOException {
        return mtime(Files.getLastModifiedTime(file));
    }

    static double mtime(FileTime time) {
        Instant t = time.toInstant();
        return (double) t.getEpochSecond() + t.getNano() * 1e-9;
    }

    /**
     * The cached entry for {@code title}, or null if there is none (or no cache file).
     *
     * @throws CacheFormatException if the file is not the JSON the web UI writes
     */
    public static Entry lookup(Path cacheFile, String title) throws IOException {
        if (!Files.exists(cacheFile)) {
            return null;
        }
        Object entry = hashes(read(cacheFile), false).get(title);
        if (!(entry instanceof Map)) {
            return null;
        }
        Object mtime = ((Map<?, ?>) entry).get("mtime");
        Object sha = ((Map<?, ?>) entry).get("sha256");
        if (!(sha instanceof String)) {
            return null;
        }
        double m = 0;
        if (mtime instanceof PythonJson.Num) {
            try {
                m = Double.parseDouble(((PythonJson.Num) mtime).text());
            } catch (NumberFormatException e) {
                m = Double.NaN;
            }
        }
        return new Entry(m, (String) sha);
    }

    /**
     * Records {@code sha256} for {@code title} with the given modification time, as the web UI
     * does after hashing a file ({@code hashes[title] = {"mtime": ..., "sha256": ...}}), creating
     * the file or the section if needed. Everything else in the file stays as it was.
     *
     * @return the entry it replaced, or null
     * @throws CacheFormatException if the existing file is not the JSON the web UI writes (it is
     *     then left untouched)
     */
    public static Entry record(Path cacheFile, String title, double mtime, String sha256) throws IOException {
        Objects.requireNonNull(title, "title");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a sha256 in lower-case hex: " + sha256);
        }
        Entry previous = lookup(cacheFile, title);
        Map<String, Object> root = Files.exists(cacheFile) ? read(cacheFile) : new LinkedHashMap<>();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("mtime", new PythonJson.Num(PythonJson.floatRepr(mtime)));
        entry.put("sha256", sha256);
        hashes(root, true).put(title, entry);
        byte[] bytes = PythonJson.write(root).getBytes(StandardCharsets.UTF_8);
        Set<PosixFilePermission> permissions = permissions(cacheFile);
        try (AtomicOutput out = AtomicOutput.create(cacheFile, true)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                out.channel().write(buf);
            }
            if (permissions != null) {
                Files.setPosixFilePermissions(out.tempFile(), permissions);
            }
            out.commit();
        }
        return previous;
    }

    private static Set<PosixFilePermission> permissions(Path file) throws IOException {
        if (!Files.exists(file) || Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
            return null;
        }
        return Files.getPosixFilePermissions(file);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path cacheFile) throws IOException {
        byte[] bytes = Files.readAllBytes(cacheFile);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CacheFormatException("is not UTF-8 text");
        }
        Object root;
        try {
            root = PythonJson.parse(text);
        } catch (IOException e) {
            throw new CacheFormatException("is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(root instanceof Map)) {
            throw new CacheFormatException("does not hold a JSON object");
        }
        return (Map<String, Object>) root;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> hashes(Map<String, Object> root, boolean create) throws CacheFormatException {
        Object section = root.get(HASHES);
        if (section == null && !root.containsKey(HASHES)) {
            if (!create) {
                return Map.of();
            }
            section = new LinkedHashMap<String, Object>();
            root.put(HASHES, section);
        }
        if (!(section instanceof Map)) {
            throw new CacheFormatException("its \"" + HASHES + "\" entry is not a JSON object");
        }
        return (Map<String, Object>) section;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * {@code cache.json} is not what the web UI writes; the file was left as it was. The message
     * does not name the file (callers prefix it).
     */
    public static final class CacheFormatException extends IOException {
        private static final long serialVersionUID = 1L;

        CacheFormatException(String message) {
            super(message);
        }
    }
}
