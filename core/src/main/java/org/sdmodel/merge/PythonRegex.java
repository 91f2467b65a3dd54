package org.sdmodel.merge;

import java.util.regex.Pattern;

/**
 * A Python {@code re} pattern as a {@link Pattern} that finds the same matches in key names: the
 * syntax Python has and Java spells otherwise is translated ({@code (?P<name>...)},
 * {@code (?P=name)}, {@code \Z}), and {@code \w}, {@code \d}, {@code \s} match Unicode as Python's
 * do for {@code str} patterns.
 */
final class PythonRegex {
    private PythonRegex() {
    }

    /** @throws java.util.regex.PatternSyntaxException if the pattern does not compile */
    static Pattern compile(String python) {
        return Pattern.compile(translate(python), Pattern.UNICODE_CHARACTER_CLASS);
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length());
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                char n = p.charAt(++i);
                out.append(n == 'Z' ? "\\z" : "\\" + n);
            } else if (p.startsWith("(?P<", i)) {
                out.append("(?<");
                i += 3;
            } else if (p.startsWith("(?P=", i) && p.indexOf(')', i) > 0) {
                int close = p.indexOf(')', i);
                out.append("\\k<").append(p, i + 4, close).append('>');
                i = close;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
