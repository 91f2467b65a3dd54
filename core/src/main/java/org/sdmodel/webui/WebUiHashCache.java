package org.sdmodel.webui;

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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sdmodel.io.AtomicOutput;

/**
 * The hash cache of the AUTOMATIC1111 web UI, {@code cache.json} ({@link WebUiLayout#cacheFile()}):
 * its {@code "hashes"} section maps a title such as {@code checkpoint/v1-5-pruned.ckpt} to
 * {@code {"mtime": <float>, "sha256": "<hex>"}}, and {@code "hashes-addnet"} does the same for the
 * addnet hashes of safetensors LoRAs ({@code modules/hashes.py}). At start-up the web UI trusts a
 * cached sha256 while the file's modification time equals the cached one ({@code !=} in
 * {@code sha256_from_cache} since 1.7; older versions used {@code >}), and otherwise spends minutes
 * hashing every multi-GB checkpoint again. Recording a hash here saves that; the mtime is written
 * as Python's {@code os.path.getmtime} gives it, so that the comparison holds.
 *
 * <p>{@link #record} changes the text of the one entry it writes and nothing else: other entries,
 * sections, spacing and escapes stay byte for byte as they were, whether the web UI wrote the file
 * ({@code json.dump(..., indent=4)}) or someone edited it. The new entry is laid out like its
 * neighbours. A missing file is created as the web UI would write it. The file is replaced
 * atomically and keeps its permissions. The web UI holds the cache in memory while it runs and
 * writes it back whenever it hashes something, so record hashes while it is stopped.
 *
 * <p>Web UI 1.8 and later keep the cache in a {@code cache/} folder (diskcache) and read
 * {@code cache.json} only once, to convert it, when that folder does not exist yet
 * ({@link WebUiLayout#cacheFolder()}).
 *
 * <p>A checkpoint's hash recorded where the web UI looks for it:
 *
 * <pre>{@code
 * WebUiLayout webui = WebUiLayout.of(Path.of("stable-diffusion-webui"));
 * Path model = webui.checkpoints().path().resolve("v1-5-pruned.ckpt");
 * WebUiLayout.CacheKey key = webui.cacheKey(model);
 * if (key.recorded()) {
 *     ModelHashes hashes = ModelHashes.compute(model, bytes -> { });
 *     WebUiHashCache.record(webui.cacheFile().path(), key.section(), key.title(), WebUiHashCache.mtime(model),
 *             key.addnet() ? hashes.addnetSha256() : hashes.sha256());
 * }
 * }</pre>
 */
public final class WebUiHashCache {
    /** The section of full-file sha256 values: checkpoints, non-safetensors LoRAs, embeddings. */
    public static final String HASHES = "hashes";
    /** The section of addnet hashes (sha256 after the safetensors header): safetensors LoRAs. */
    public static final String HASHES_ADDNET = "hashes-addnet";

    /**
     * A cached hash: the file's modification time when it was hashed, and its sha256.
     *
     * @param mtime the file's modification time when it was hashed, in seconds
     * @param sha256 its sha256, lower-case hex
     */
    public record Entry(double mtime, String sha256) {
    }

    private WebUiHashCache() {
    }

    /**
     * A file's modification time as Python's {@code os.path.getmtime} gives it: seconds plus
     * nanoseconds times 1e-9, in double precision, exactly as CPython computes {@code st_mtime}.
     *
     * @param file the file
     * @return its modification time in seconds, as a float
     * @throws IOException if the file cannot be read
     */
    public static double mtime(Path file) throws IOException {
        return mtime(Files.getLastModifiedTime(file));
    }

    static double mtime(FileTime time) {
        Instant t = time.toInstant();
        return (double) t.getEpochSecond() + t.getNano() * 1e-9;
    }

    /**
     * The cached entry for {@code title} in {@code section}, or null if there is none (or no file).
     *
     * @param cacheFile the web UI's {@code cache.json}
     * @param section the cache's section ({@code hashes}, {@code hashes-addnet})
     * @param title the entry's key ({@code checkpoint/768-v-ema.ckpt})
     * @return the entry, or null when there is none (or no file)
     * @throws CacheFormatException if the file is not the JSON the web UI writes
     */
    public static Entry lookup(Path cacheFile, String section, String title) throws IOException {
        if (!Files.exists(cacheFile)) {
            return null;
        }
        Object entry = section(parse(read(cacheFile)), section).get(title);
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
     * Records {@code sha256} for {@code title} in {@code section} with the given modification time,
     * as the web UI does after hashing a file ({@code hashes[title] = {"mtime": ..., "sha256": ...}}),
     * creating the file or the section if needed.
     *
     * @param cacheFile the web UI's {@code cache.json}
     * @param section the cache's section ({@code hashes}, {@code hashes-addnet})
     * @param title the entry's key ({@code checkpoint/768-v-ema.ckpt})
     * @param mtime the file's modification time, as {@link #mtime} gives it
     * @param sha256 the file's sha256, lower-case hex
     * @return the entry it replaced, or null
     * @throws CacheFormatException if the existing file is not the JSON the web UI writes (it is
     *     then left untouched)
     */
    public static Entry record(Path cacheFile, String section, String title, double mtime, String sha256) throws IOException {
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(title, "title");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a sha256 in lower-case hex: " + sha256);
        }
        String mtimeText = PythonJson.floatRepr(mtime);
        String text;
        Entry previous = null;
        if (Files.exists(cacheFile)) {
            String old = read(cacheFile);
            previous = lookup(cacheFile, section, title);
            section(parse(old), section); // refuses a file the web UI would not read, or a section that is no object
            text = edit(old, section, title, mtimeText, sha256);
        } else {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("mtime", new PythonJson.Num(mtimeText));
            entry.put("sha256", sha256);
            text = PythonJson.write(Map.of(section, Map.of(title, entry)));
        }
        write(cacheFile, text);
        return previous;
    }

    /**
     * {@code old} with the one entry written in, everything else as it was. A replaced entry keeps
     * its layout (on one line or indented); a new one is laid out like the member before it.
     */
    static String edit(String old, String section, String title, String mtime, String sha) {
        int rootOpen = old.indexOf('{');
        PythonJson.ObjectSpan root = PythonJson.object(old, rootOpen);
        if (root.members().isEmpty()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("mtime", new PythonJson.Num(mtime));
            entry.put("sha256", sha);
            return old.substring(0, rootOpen) + PythonJson.write(Map.of(section, Map.of(title, entry)))
                    + old.substring(root.close() + 1);
        }
        PythonJson.Member sectionMember = last(root.members(), section);
        if (sectionMember == null) {
            return insert(old, root, section, true, (ind, unit) -> {
                StringBuilder k = new StringBuilder();
                PythonJson.string(k, title);
                return ind == null ? "{" + k + ": " + entryText(mtime, sha, null, unit) + "}"
                        : "{\n" + ind + unit + k + ": " + entryText(mtime, sha, ind + unit, unit) + "\n" + ind + "}";
            });
        }
        PythonJson.ObjectSpan hashes = PythonJson.object(old, sectionMember.valueStart());
        PythonJson.Member existing = last(hashes.members(), title);
        if (existing != null) {
            boolean multiLine = old.substring(existing.valueStart(), existing.valueEnd()).indexOf('\n') >= 0;
            String ind = indentOf(old, existing.keyStart());
            return old.substring(0, existing.valueStart())
                    + entryText(mtime, sha, multiLine ? ind : null, unit(old, hashes, ind))
                    + old.substring(existing.valueEnd());
        }
        return insert(old, hashes, title, false, (ind, unit) -> entryText(mtime, sha, ind, unit));
    }

    /** Renders a member's value given the member's indentation (null: all on one line) and the indent step. */
    private interface Value {
        String render(String indent, String unit);
    }

    /**
     * Adds {@code key: value} as the last member of {@code obj}, laid out like the member before it:
     * on its own line if that one is; its value indented if that one's is, or (a new section in an
     * indented file) if the members are on lines of their own.
     */
    private static String insert(String text, PythonJson.ObjectSpan obj, String key, boolean indentIfOwnLines, Value value) {
        StringBuilder k = new StringBuilder();
        PythonJson.string(k, key);
        List<PythonJson.Member> members = obj.members();
        if (members.isEmpty()) {
            String outer = indentOf(text, obj.open());
            String unit = rootUnit(text);
            String ind = outer + unit;
            return text.substring(0, obj.open()) + "{\n" + ind + k + ": " + value.render(ind, unit) + "\n" + outer + "}"
                    + text.substring(obj.close() + 1);
        }
        PythonJson.Member last = members.get(members.size() - 1);
        String between = text.substring(members.size() > 1 ? members.get(members.size() - 2).valueEnd() : obj.open() + 1,
                last.keyStart());
        boolean multiLine = text.substring(last.valueStart(), last.valueEnd()).indexOf('\n') >= 0;
        int nl = between.lastIndexOf('\n');
        String ind = nl >= 0 ? between.substring(nl + 1) : indentOf(text, last.keyStart());
        String unit = unit(text, obj, ind);
        boolean indent = multiLine || indentIfOwnLines && nl >= 0;
        String member = (nl >= 0 ? ",\n" + ind : ", ") + k + ": " + value.render(indent ? ind : null, unit);
        return text.substring(0, last.valueEnd()) + member + text.substring(last.valueEnd());
    }

    /** {@code {"mtime": ..., "sha256": "..."}} laid out as json.dump(indent) does at {@code ind}, or on one line. */
    private static String entryText(String mtime, String sha, String ind, String unit) {
        if (ind == null) {
            return "{\"mtime\": " + mtime + ", \"sha256\": \"" + sha + "\"}";
        }
        String in = ind + unit;
        return "{\n" + in + "\"mtime\": " + mtime + ",\n" + in + "\"sha256\": \"" + sha + "\"\n" + ind + "}";
    }

    /** The whitespace at the start of the line holding {@code at}, if only whitespace precedes it there. */
    private static String indentOf(String text, int at) {
        int start = text.lastIndexOf('\n', at - 1) + 1;
        int i = start;
        while (i < at && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i++;
        }
        return text.substring(start, i);
    }

    /** The indent step: a member's indentation minus its object's line's, else the document's, else four spaces. */
    private static String unit(String text, PythonJson.ObjectSpan obj, String memberIndent) {
        String outer = indentOf(text, obj.open());
        if (memberIndent.startsWith(outer) && memberIndent.length() > outer.length()) {
            return memberIndent.substring(outer.length());
        }
        return rootUnit(text);
    }

    private static String rootUnit(String text) {
        PythonJson.ObjectSpan root = PythonJson.object(text, text.indexOf('{'));
        if (!root.members().isEmpty()) {
            String ind = indentOf(text, root.members().get(0).keyStart());
            if (!ind.isEmpty() && ind.isBlank()) {
                return ind;
            }
        }
        return "    ";
    }

    private static PythonJson.Member last(List<PythonJson.Member> members, String key) {
        PythonJson.Member found = null;
        for (PythonJson.Member m : members) {
            if (m.key().equals(key)) {
                found = m; // Python's json.load keeps the last value of a repeated key
            }
        }
        return found;
    }

    private static void write(Path cacheFile, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
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
    }

    private static Set<PosixFilePermission> permissions(Path file) throws IOException {
        if (!Files.exists(file) || Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
            return null;
        }
        return Files.getPosixFilePermissions(file);
    }

    private static String read(Path cacheFile) throws IOException {
        byte[] bytes = Files.readAllBytes(cacheFile);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CacheFormatException("is not UTF-8 text");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String text) throws CacheFormatException {
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

    /** The section as a map, empty when absent. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> root, String name) throws CacheFormatException {
        if (!root.containsKey(name)) {
            return Map.of();
        }
        Object section = root.get(name);
        if (!(section instanceof Map)) {
            throw new CacheFormatException("its \"" + name + "\" entry is not a JSON object");
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
