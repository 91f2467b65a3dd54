package org.sdmodel.download;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Content-Range} header (RFC 9110, 14.4): {@code bytes first-last/total} in a 206
 * answer, {@code bytes * /total} in a 416 one; {@code total} may be {@code *} (unknown).
 *
 * @param first the first byte sent, or -1 for {@code *} (an unsatisfiable range)
 * @param last the last byte sent (inclusive), or -1
 * @param total the whole file's length, or -1 when the server does not say
 */
record ContentRange(long first, long last, long total) {
    private static final Pattern FORM = Pattern.compile(
            "\\s*bytes\\s+(?:(\\d{1,18})-(\\d{1,18})|\\*)/(\\d{1,18}|\\*)\\s*", Pattern.CASE_INSENSITIVE);

    /** The parsed header, or null when it is missing or malformed (or inconsistent: last before first, past total). */
    static ContentRange parse(String header) {
        if (header == null) {
            return null;
        }
        Matcher m = FORM.matcher(header);
        if (!m.matches()) {
            return null;
        }
        long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        if (m.group(1) == null) {
            return new ContentRange(-1, -1, total);
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        if (last < first || (total >= 0 && last >= total)) {
            return null;
        }
        return new ContentRange(first, last, total);
    }

    /** Bytes in the range. */
    long length() {
        return first < 0 ? 0 : last - first + 1;
    }
}
