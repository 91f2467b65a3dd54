package org.sdmodel.webui;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON read and written the way Python's {@code json.load} and {@code json.dump(obj, f, indent=4)}
 * do, so that rewriting the web UI's {@code cache.json} changes nothing but the entry sdmodel adds:
 * objects keep their key order, numbers keep their exact text ({@link Num}), and the output has
 * Python's layout (four-space indent, one item a line, {@code ": "} after keys, everything but
 * printable ASCII escaped as {@code \\uXXXX}, no final newline).
 *
 * <p>The tree: {@link Map} (insertion-ordered) for objects, {@link List} for arrays, {@link String},
 * {@link Num}, {@link Boolean}, and null.
 */
public final class PythonJson {
    private PythonJson() {
    }

    /**
     * A JSON number kept as its text, so that re-writing it cannot change it.
     *
     * @param text the number as written
     */
    public record Num(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            // Python writes NaN and Infinity for non-finite floats and reads them back.
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /**
     * Parses a document.
     *
     * @param text JSON text
     * @return the value: {@code Map} (in order), {@code List}, {@code String}, {@code Long} or
     *     {@code BigInteger}, {@link Num} for floats (their text kept), {@code Boolean}, or null
     * @throws JsonProcessingException if it is not JSON (the message names the line)
     */
    public static Object parse(String text) throws IOException {
        try (JsonParser p = JSON.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new IOException("the file is empty");
            }
            Object value = read(p, first);
            if (p.nextToken() != null) {
                throw new IOException("more than one JSON value (line " + p.currentLocation().getLineNr() + ")");
            }
            return value;
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    // Like a Python dict: a repeated key keeps its first place and its last value.
                    map.put(key, read(p, p.nextToken()));
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
                    list.add(read(p, v));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return new Num(p.getText());
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IOException("unexpected " + t + " at line " + p.currentLocation().getLineNr());
        }
    }

    /**
     * Writes a tree as {@code json.dump(value, f, indent=4)} does.
     *
     * @param value a tree of the values {@link #parse} gives
     * @return the text, with Python's spacing and escapes
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, int level) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean) {
            out.append((Boolean) v ? "true" : "false");
        } else if (v instanceof Num) {
            out.append(((Num) v).text());
        } else if (v instanceof String) {
            string(out, (String) v);
        } else if (v instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) v;
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "\n" : ",\n");
                first = false;
                indent(out, level + 1);
                string(out, (String) e.getKey());
                out.append(": ");
                write(out, e.getValue(), level + 1);
            }
            out.append('\n');
            indent(out, level);
            out.append('}');
        } else if (v instanceof List) {
            List<?> list = (List<?>) v;
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : list) {
                out.append(first ? "\n" : ",\n");
                first = false;
                indent(out, level + 1);
                write(out, item, level + 1);
            }
            out.append('\n');
            indent(out, level);
            out.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getSimpleName());
        }
    }

    /**
     * Writes a tree as {@code json.dumps(value)} does with its defaults: on one line, {@code ", "}
     * between items and {@code ": "} after keys, {@code ensure_ascii}. A {@link Num} is written as
     * Python would write the number it reads as: an integer as it is, a float as its
     * {@link #floatRepr repr} ({@code 1.50} becomes {@code 1.5}). Also takes {@link Double}
     * (a Python float) and {@link Integer} or {@link Long} (a Python int).
     *
     * @param value a tree of the values {@link #parse} gives
     * @return the text, as Python's {@code json.dumps(value)} gives it
     */
    public static String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        dumps(out, value);
        return out.toString();
    }

    private static void dumps(StringBuilder out, Object v) {
        if (v instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                out.append(first ? "" : ", ");
                first = false;
                string(out, (String) e.getKey());
                out.append(": ");
                dumps(out, e.getValue());
            }
            out.append('}');
        } else if (v instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object item : (List<?>) v) {
                out.append(first ? "" : ", ");
                first = false;
                dumps(out, item);
            }
            out.append(']');
        } else if (v instanceof Num) {
            String text = ((Num) v).text();
            boolean isFloat = text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0
                    || text.endsWith("Infinity") || text.equals("NaN");
            out.append(isFloat ? floatRepr(Double.parseDouble(text)) : new java.math.BigInteger(text).toString());
        } else if (v instanceof Double) {
            out.append(floatRepr((Double) v));
        } else if (v instanceof Integer || v instanceof Long) {
            out.append(v);
        } else {
            write(out, v, 0); // null, booleans and strings are written alike
        }
    }

    private static void indent(StringBuilder out, int level) {
        for (int i = 0; i < level; i++) {
            out.append("    ");
        }
    }

    /** Python's {@code ensure_ascii} string: only printable ASCII stays as it is. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7E) {
                        // UTF-16 units: a character above U+FFFF becomes its surrogate pair, as in Python.
                        out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    // --- where things are in a document's text, for editing one entry and nothing else ------------

    /** A member of an object: its key, where the key starts, and where its value starts and ends. */
    record Member(String key, int keyStart, int valueStart, int valueEnd) {
    }

    /** An object in a document's text: its braces and its members, in order. */
    record ObjectSpan(int open, int close, List<Member> members) {
    }

    /**
     * The object whose {@code '{'} is at {@code open}, in a document {@link #parse} accepted (so
     * the text is well-formed; nothing here recurses on the data's nesting).
     */
    static ObjectSpan object(String text, int open) {
        List<Member> members = new ArrayList<>();
        int i = skipSpace(text, open + 1);
        while (text.charAt(i) != '}') {
            int keyStart = i;
            int keyEnd = skipString(text, i);
            String key = decodeString(text, keyStart, keyEnd);
            i = skipSpace(text, keyEnd);
            i = skipSpace(text, i + 1); // the ':'
            int valueStart = i;
            int valueEnd = skipValue(text, i);
            members.add(new Member(key, keyStart, valueStart, valueEnd));
            i = skipSpace(text, valueEnd);
            if (text.charAt(i) == ',') {
                i = skipSpace(text, i + 1);
            }
        }
        return new ObjectSpan(open, i, members);
    }

    private static int skipSpace(String t, int i) {
        while (i < t.length() && " \t\r\n".indexOf(t.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    /** From an opening quote to just after the closing one. */
    private static int skipString(String t, int i) {
        i++;
        while (t.charAt(i) != '"') {
            i += t.charAt(i) == '\\' ? 2 : 1;
        }
        return i + 1;
    }

    private static int skipValue(String t, int i) {
        char c = t.charAt(i);
        if (c == '"') {
            return skipString(t, i);
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            while (true) {
                c = t.charAt(i);
                if (c == '"') {
                    i = skipString(t, i);
                    continue;
                }
                if (c == '{' || c == '[') {
                    depth++;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    return i + 1;
                }
                i++;
            }
        }
        while (i < t.length() && ",}] \t\r\n".indexOf(t.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    private static String decodeString(String t, int start, int end) {
        StringBuilder b = new StringBuilder();
        for (int i = start + 1; i < end - 1; i++) {
            char c = t.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = t.charAt(++i);
            switch (e) {
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    b.append((char) Integer.parseInt(t.substring(i + 1, i + 5), 16));
                    i += 4;
                    break;
                default: b.append(e);
            }
        }
        return b.toString();
    }

    /**
     * Python's {@code repr(float)}: the shortest decimal that reads back as the same double, in
     * fixed notation when its decimal point falls within 16 digits of its first digit
     * ({@code 1700000000.25}, {@code 0.0001}), else in exponent notation ({@code 1e+16},
     * {@code 1e-05}). The shortest digits are found by rounding the exact value to 1, 2, ... 17
     * significant digits.
     *
     * @param d a double
     * @return its text as Python's {@code repr} gives it
     */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Math.abs(d));
        BigDecimal shortest = exact;
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal r = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == Math.abs(d)) {
                shortest = r;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int point = digits.length() - shortest.scale(); // value = 0.<digits> x 10^point
        StringBuilder out = new StringBuilder(d < 0 ? "-" : "");
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                out.append("0.").append("0".repeat(-point)).append(digits);
            } else if (point >= digits.length()) {
                out.append(digits).append("0".repeat(point - digits.length())).append(".0");
            } else {
                out.append(digits, 0, point).append('.').append(digits, point, digits.length());
            }
        } else {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            int exponent = point - 1;
            out.append(exponent < 0 ? "e-" : "e+");
            String e = Integer.toString(Math.abs(exponent));
            out.append(e.length() < 2 ? "0" + e : e);
        }
        return out.toString();
    }
}
