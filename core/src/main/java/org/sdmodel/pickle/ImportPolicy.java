package org.sdmodel.pickle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How pickle imports are judged: an allow list of what model files legitimately import (and what is
 * harmless to run under Python's full unpickler), a list of known dangerous imports, and Python 2's
 * renaming. The lists are resources beside this class ({@code allowed-imports.txt}, {@code
 * dangerous-imports.txt}), each entry with the sources it comes from; {@link #defaults()} reads
 * them, {@link #allowing} adds names for one run ({@code scan --allow}).
 *
 * <pre>{@code
 * ImportPolicy policy = ImportPolicy.defaults().allowing(List.of("mypackage.MyConfig"));
 * ReadOptions options = ReadOptions.defaults().withImportPolicy(policy);
 * }</pre>
 */
public final class ImportPolicy {
    /**
     * One allow-list entry: the import and the sources that list it.
     *
     * @param module the module
     * @param name the name in the module
     * @param sources the sources that list it, as written in the list file
     */
    public record Entry(String module, String name, String sources) {
        /** {@return {@code module.name}} */
        public String qualifiedName() {
            return module + "." + name;
        }
    }

    // Attribute names that lead out of a harmless module when a dotted name is resolved (protocol 4
    // resolves "torch.os.system" attribute by attribute): the dangerous modules and builtins.
    private static final Set<String> DANGEROUS_ATTRIBUTES = Set.of(
            "os", "posix", "nt", "sys", "subprocess", "builtins", "__builtin__", "importlib",
            "eval", "exec", "compile", "open", "getattr", "setattr", "system", "popen", "load", "loads");

    private static final ImportPolicy DEFAULTS = new ImportPolicy(
            readAllowList(), readDangerous(), readCompat(), Map.of());

    private final Map<String, Entry> allowed;        // "module\0name" -> entry
    private final Dangerous dangerous;
    private final Compat compat;
    private final Map<String, Entry> extra;          // added for one run

    private ImportPolicy(Map<String, Entry> allowed, Dangerous dangerous, Compat compat, Map<String, Entry> extra) {
        this.allowed = allowed;
        this.dangerous = dangerous;
        this.compat = compat;
        this.extra = extra;
    }

    /** {@return the built-in lists} */
    public static ImportPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * This policy with more imports allowed. Each is {@code module.name} (split at the last dot) or
     * {@code module:name} (for a name that itself has dots).
     *
     * @param qualifiedNames the imports to allow
     * @return a new policy; this one is unchanged
     * @throws IllegalArgumentException if one is not a dotted Python identifier, or is dangerous
     *     (a dangerous import cannot be allowed, as torch's weights_only cannot allow os or sys)
     */
    public ImportPolicy allowing(Collection<String> qualifiedNames) {
        Map<String, Entry> more = new LinkedHashMap<>(extra);
        for (String q : qualifiedNames) {
            String[] mn = split(q);
            if (mn == null || !isDottedIdentifier(mn[0]) || !isDottedIdentifier(mn[1])) {
                throw new IllegalArgumentException("'" + q + "' is not MODULE.NAME (or MODULE:NAME)");
            }
            if (isDangerous(mn[0], mn[1])) {
                throw new IllegalArgumentException(mn[0] + "." + mn[1] + " is a dangerous import and cannot be allowed");
            }
            more.put(key(mn[0], mn[1]), new Entry(mn[0], mn[1], "--allow"));
        }
        return new ImportPolicy(allowed, dangerous, compat, Collections.unmodifiableMap(more));
    }

    /** {@return the built-in allow list, in file order} */
    public List<Entry> allowList() {
        return List.copyOf(allowed.values());
    }

    /** {@return the imports added by {@link #allowing}} */
    public List<Entry> added() {
        return List.copyOf(extra.values());
    }

    /**
     * Classifies an import as CPython would resolve it at protocol 3 or above (no Python 2 renaming).
     *
     * @param module the module, as the pickle names it
     * @param name the name in the module
     * @return how safe the import is, and why
     */
    public ImportSafety classify(String module, String name) {
        return classify(module, name, 4);
    }

    /**
     * Classifies an import made by a pickle whose {@code PROTO} is {@code protocol} (0 without one):
     * below 3, CPython renames Python 2 modules first, and the renamed import is the one judged.
     *
     * @param module the module, as the pickle names it
     * @param name the name in the module
     * @param protocol the pickle's protocol (0 without a {@code PROTO} opcode)
     * @return how safe the import is, and why
     */
    public ImportSafety classify(String module, String name, int protocol) {
        if (!isDottedIdentifier(module) || !isDottedIdentifier(name)) {
            // No real checkpoint has one: tampering, or a name the pickle computes at load time.
            return ImportSafety.DANGEROUS;
        }
        String[] resolved = resolve(module, name, protocol);
        // Also the Python 2 renaming whatever the protocol: only the label depends on it, and a
        // name that is dangerous under either reading is called dangerous.
        String[] renamed = resolve(module, name, 2);
        if (isDangerous(module, name) || isDangerous(resolved[0], resolved[1]) || isDangerous(renamed[0], renamed[1])) {
            return ImportSafety.DANGEROUS;
        }
        String k = key(resolved[0], resolved[1]);
        return allowed.containsKey(k) || extra.containsKey(k) ? ImportSafety.ALLOWED : ImportSafety.NOT_ALLOWED;
    }

    /**
     * The module and name CPython's unpickler imports for {@code module.name}: for protocols below 3
     * (and with fix_imports, the default of pickle.load and torch.load) it applies
     * {@code _compat_pickle.NAME_MAPPING}, else {@code IMPORT_MAPPING} (Modules/_pickle.c,
     * {@code _pickle_Unpickler_find_class_impl}).
     *
     * @param module the module, as the pickle names it
     * @param name the name in the module
     * @param protocol the pickle's protocol
     * @return the module and the name imported, as a two-element array
     */
    public String[] resolve(String module, String name, int protocol) {
        if (protocol >= 3) {
            return new String[] {module, name};
        }
        String[] renamed = compat.names.get(key(module, name));
        if (renamed != null) {
            return renamed.clone();
        }
        String m = compat.modules.get(module);
        return new String[] {m != null ? m : module, name};
    }

    private boolean isDangerous(String module, String name) {
        String canonicalModule = module.equals("__builtin__") ? "builtins" : module;
        if (dangerous.inModule(canonicalModule)) {
            return true;
        }
        // Each step of a dotted name (protocol 4 resolves attribute by attribute) may land on one.
        boolean dotted = name.indexOf('.') >= 0;
        String attrs = "";
        int from = 0;
        while (true) {
            int dot = name.indexOf('.', from);
            String part = dot < 0 ? name.substring(from) : name.substring(from, dot);
            attrs = attrs.isEmpty() ? part : attrs + "." + part;
            String path = canonicalModule + "." + attrs;
            if (dangerous.names.contains(key(canonicalModule, attrs)) || dangerous.inModule(path)
                    || dangerous.names.contains(dotKey(path))) {
                return true;
            }
            if (dotted && (DANGEROUS_ATTRIBUTES.contains(part) || part.startsWith("__") && part.endsWith("__"))) {
                return true;
            }
            if (dot < 0) {
                return false;
            }
            from = dot + 1;
        }
    }

    /** {@code a.b.c} where each part is a Python identifier (letters, digits, underscores, Unicode letters). */
    static boolean isDottedIdentifier(String s) {
        if (s.isEmpty()) {
            return false;
        }
        boolean start = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == '.') {
                if (start) {
                    return false; // empty part
                }
                start = true;
            } else if (start ? cp == '_' || Character.isUnicodeIdentifierStart(cp)
                    : cp == '_' || Character.isUnicodeIdentifierPart(cp) && !Character.isIdentifierIgnorable(cp)) {
                start = false;
            } else {
                return false;
            }
            i += Character.charCount(cp);
        }
        return !start;
    }

    private static String key(String module, String name) {
        return module + "\0" + name;
    }

    // A dangerous name written "module.name" whose split is unknown: matched on the whole path.
    private static String dotKey(String path) {
        return "\1" + path;
    }

    /** {@code module:name}, or {@code module.name} split at the last dot; null if neither. */
    static String[] split(String q) {
        int colon = q.indexOf(':');
        if (colon >= 0) {
            return new String[] {q.substring(0, colon), q.substring(colon + 1)};
        }
        int dot = q.lastIndexOf('.');
        if (dot <= 0 || dot == q.length() - 1) {
            return null;
        }
        return new String[] {q.substring(0, dot), q.substring(dot + 1)};
    }

    // ---- the resources ----

    private static final class Dangerous {
        final Set<String> modules = new HashSet<>();
        final Set<String> names = new HashSet<>();

        boolean inModule(String module) {
            String m = module;
            while (true) {
                if (modules.contains(m)) {
                    return true;
                }
                int dot = m.lastIndexOf('.');
                if (dot < 0) {
                    return false;
                }
                m = m.substring(0, dot);
            }
        }
    }

    private static final class Compat {
        final Map<String, String[]> names = new HashMap<>();
        final Map<String, String> modules = new HashMap<>();
    }

    private static Map<String, Entry> readAllowList() {
        Map<String, Entry> out = new LinkedHashMap<>();
        for (String[] f : lines("allowed-imports.txt")) {
            String[] mn = split(f[0]);
            if (mn == null) {
                throw new IllegalStateException("allowed-imports.txt: bad entry " + f[0]);
            }
            out.put(key(mn[0], mn[1]), new Entry(mn[0], mn[1], String.join(" ", List.of(f).subList(1, f.length))));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Dangerous readDangerous() {
        Dangerous d = new Dangerous();
        for (String[] f : lines("dangerous-imports.txt")) {
            String e = f[0];
            if (e.endsWith(".*")) {
                d.modules.add(e.substring(0, e.length() - 2));
            } else if (e.indexOf(':') >= 0) {
                String[] mn = split(e);
                d.names.add(key(mn[0], mn[1]));
            } else {
                // "module.name": the split is written nowhere, so the whole dotted path is matched
                // wherever a resolution lands on it (torch.serialization.load, torch + serialization.load).
                d.names.add(dotKey(e));
                String[] mn = split(e);
                d.names.add(key(mn[0], mn[1]));
            }
        }
        return d;
    }

    private static Compat readCompat() {
        Compat c = new Compat();
        for (String[] f : lines("compat-pickle.txt")) {
            if (f[0].equals("N") && f.length == 5) {
                c.names.put(key(f[1], f[2]), new String[] {f[3], f[4]});
            } else if (f[0].equals("I") && f.length == 3) {
                c.modules.put(f[1], f[2]);
            } else {
                throw new IllegalStateException("compat-pickle.txt: bad line " + String.join(" ", f));
            }
        }
        return c;
    }

    /**
     * The words of a line, split at runs of spaces, tabs and other control characters (the lists
     * hold no other whitespace). Not {@code split("\\s+")}, nor {@code Character.isWhitespace}:
     * the lists' 500 lines are read at start-up, interpreted, where each call costs.
     */
    private static String[] words(String line) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && line.charAt(i) <= ' ') {
                i++;
            }
            int start = i;
            while (i < n && line.charAt(i) > ' ') {
                i++;
            }
            if (i > start) {
                out.add(line.substring(start, i));
            }
        }
        return out.toArray(new String[0]);
    }

    /** The non-comment lines of a resource, split on spaces. */
    private static List<String[]> lines(String resource) {
        List<String[]> out = new ArrayList<>();
        try (InputStream in = ImportPolicy.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    out.add(words(t));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
