package org.sdmodel.webui;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The environment the web UI's Python process starts with: the variables sdmodel's own process
 * has, then what the launcher scripts do to them, in order, as {@code webui.sh} sources
 * {@code webui-user.sh} (and on macOS {@code webui-macos-env.sh} before it), or as
 * {@code webui-user.bat} sets them before {@code call webui.bat}. Each variable remembers where its
 * value came from, so that a folder can say which file and line decided it.
 */
final class LaunchVariables {
    /** Where a value came from: a file and line, or the inherited environment (file null). */
    record Origin(Path file, int line) {
        @Override
        public String toString() {
            return file == null ? "the environment" : file.getFileName() + " line " + line;
        }
    }

    private record Value(String text, Origin origin, boolean exported) {
    }

    private final Map<String, Value> values = new LinkedHashMap<>();
    /** Variables assigned where sdmodel cannot tell whether the assignment runs (inside an if, after &&). */
    private final Map<String, LaunchProblem> uncertain = new LinkedHashMap<>();
    private final boolean caseInsensitive;
    final List<LaunchProblem> problems = new ArrayList<>();

    LaunchVariables(Map<String, String> environment, boolean caseInsensitive) {
        this.caseInsensitive = caseInsensitive;
        for (Map.Entry<String, String> e : environment.entrySet()) {
            values.put(key(e.getKey()), new Value(e.getValue(), new Origin(null, 0), true));
        }
    }

    private String key(String name) {
        return caseInsensitive ? name.toUpperCase(Locale.ROOT) : name;
    }

    String get(String name) {
        Value v = values.get(key(name));
        return v == null ? null : v.text;
    }

    boolean isSet(String name) {
        return values.containsKey(key(name));
    }

    /** The value the Python process sees: set and exported; null otherwise. */
    String exported(String name) {
        Value v = values.get(key(name));
        return v == null || !v.exported ? null : v.text;
    }

    Origin origin(String name) {
        Value v = values.get(key(name));
        return v == null ? null : v.origin;
    }

    /** The problem that makes the variable's value uncertain, or null. */
    LaunchProblem uncertainty(String name) {
        return uncertain.get(key(name));
    }

    void set(String name, String text, Origin origin, boolean export) {
        Value old = values.get(key(name));
        values.put(key(name), new Value(text, origin, export || (old != null && old.exported)));
        uncertain.remove(key(name));
    }

    void export(String name) {
        Value old = values.get(key(name));
        if (old != null) {
            values.put(key(name), new Value(old.text, old.origin, true));
        }
    }

    void unset(String name) {
        values.remove(key(name));
        uncertain.remove(key(name));
    }

    void markUncertain(String name, LaunchProblem why) {
        uncertain.put(key(name), why);
    }

    /** Names of the variables with values, for tests. */
    Set<String> names() {
        return new HashSet<>(values.keySet());
    }
}
