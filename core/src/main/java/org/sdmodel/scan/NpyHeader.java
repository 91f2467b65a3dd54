package org.sdmodel.scan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.sdmodel.ModelFormatException;

/**
 * The header of a numpy {@code .npy} array (numpy/lib/format.py): the magic {@code \x93NUMPY}, a
 * version, a little-endian header length (2 bytes in version 1, 4 in 2 and 3), and a Python dict
 * literal with {@code descr}, {@code fortran_order} and {@code shape}. numpy's {@code read_array}
 * unpickles the data ({@code pickle.load}) only when the dtype holds objects ({@code
 * dtype.hasobject}); otherwise the data is raw numbers.
 *
 * @param dataOffset where the array data (or the pickle) starts
 * @param descr the dtype description as written
 * @param hasObject whether the dtype has an object field, so that the data is a pickle
 */
record NpyHeader(long dataOffset, String descr, boolean hasObject) {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Type strings numpy accepts in a header: byte order, kind, size. */
    private static final Pattern TYPE = Pattern.compile("[<>|=]?([?bhilqpBHILQPefdgFDGSaUVOMmc][0-9]*|[biufcmMOSUVa][0-9]+)(\\[[a-zA-Z0-9,]+\\])?");

    /** Whether {@code head} starts with the npy magic. */
    static boolean isNpy(ByteBuffer head) {
        if (head.remaining() < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (head.get(head.position() + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses the header at the start of {@code bytes} (which must hold at least the whole header).
     *
     * @throws ModelFormatException if numpy's {@code read_array} would refuse it too
     */
    static NpyHeader parse(ByteBuffer bytes) throws ModelFormatException {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 10) {
            throw new ModelFormatException("a numpy file too short for its header");
        }
        int major = b.get(6) & 0xFF;
        int minor = b.get(7) & 0xFF;
        long length;
        int start;
        if (major == 1 && minor == 0) {
            length = b.getShort(8) & 0xFFFF;
            start = 10;
        } else if ((major == 2 || major == 3) && minor == 0) {
            if (b.remaining() < 12) {
                throw new ModelFormatException("a numpy file too short for its header");
            }
            length = b.getInt(8) & 0xFFFFFFFFL;
            start = 12;
        } else {
            throw new ModelFormatException("numpy format version " + major + "." + minor + " is unknown (numpy refuses it too)");
        }
        if (length > 65535) {
            throw new ModelFormatException("the numpy header claims " + length
                    + " bytes (numpy refuses headers over 10,000 bytes unless told otherwise)");
        }
        if (length > b.remaining() - start) {
            throw new ModelFormatException("the numpy header claims " + length + " bytes but the file is shorter");
        }
        byte[] raw = new byte[(int) length];
        b.position(start);
        b.get(raw);
        String text = new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Object literal;
        try {
            Literal p = new Literal(text);
            literal = p.value();
            p.end();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("the numpy header is not a Python literal (" + e.getMessage() + ")");
        }
        if (!(literal instanceof Map) || !((Map<?, ?>) literal).keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new ModelFormatException("the numpy header is not a dict of descr, fortran_order and shape");
        }
        Object descr = ((Map<?, ?>) literal).get("descr");
        boolean object = hasObject(descr);
        return new NpyHeader(start + length, String.valueOf(descr), object);
    }

    /** numpy's {@code descr_to_dtype(...).hasobject}: a type string of kind O, in any field. */
    private static boolean hasObject(Object descr) throws ModelFormatException {
        if (descr instanceof String) {
            String s = (String) descr;
            if (!TYPE.matcher(s).matches()) {
                throw new ModelFormatException("the numpy header's dtype '" + s + "' is not one numpy reads");
            }
            return s.replaceFirst("^[<>|=]", "").startsWith("O");
        }
        if (descr instanceof List) {
            boolean any = false;
            for (Object field : (List<?>) descr) {
                if (!(field instanceof List) || ((List<?>) field).size() < 2 || ((List<?>) field).size() > 3) {
                    throw new ModelFormatException("the numpy header has a malformed structured dtype");
                }
                any |= hasObject(((List<?>) field).get(1));
            }
            return any;
        }
        throw new ModelFormatException("the numpy header's descr is neither a type string nor a list of fields");
    }

    /** A Python literal of dicts, lists, tuples (both as lists), strings, ints, True, False, None. */
    private static final class Literal {
        private final String s;
        private int i;

        Literal(String s) {
            this.s = s;
        }

        void end() {
            skip();
            if (i != s.length()) {
                throw new IllegalArgumentException("text after the literal");
            }
        }

        private void skip() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\t' || s.charAt(i) == '\r')) {
                i++;
            }
        }

        Object value() {
            skip();
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<Object, Object> m = new LinkedHashMap<>();
                while (true) {
                    skip();
                    if (peek('}')) {
                        return m;
                    }
                    Object k = value();
                    skip();
                    expect(':');
                    m.put(k, value());
                    skip();
                    if (!peek(',')) {
                        skip();
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[' || c == '(') {
                char close = c == '[' ? ']' : ')';
                i++;
                List<Object> l = new ArrayList<>();
                while (true) {
                    skip();
                    if (peek(close)) {
                        return l;
                    }
                    l.add(value());
                    skip();
                    if (!peek(',')) {
                        skip();
                        expect(close);
                        return l;
                    }
                }
            }
            if (c == '\'' || c == '"') {
                i++;
                StringBuilder b = new StringBuilder();
                while (i < s.length() && s.charAt(i) != c) {
                    if (s.charAt(i) == '\\') {
                        throw new IllegalArgumentException("escapes in a string");
                    }
                    b.append(s.charAt(i++));
                }
                expect(c);
                return b.toString();
            }
            int from = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '-' || s.charAt(i) == '_')) {
                i++;
            }
            String word = s.substring(from, i);
            switch (word) {
                case "True": return Boolean.TRUE;
                case "False": return Boolean.FALSE;
                case "None": return null;
                default:
                    if (word.matches("-?[0-9]+L?")) {
                        return word;
                    }
                    throw new IllegalArgumentException("unexpected '" + (word.isEmpty() ? String.valueOf(c) : word) + "'");
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected '" + c + "'");
            }
        }
    }

    /** Reads up to the first {@code max} bytes of a region, for the header. */
    static ByteBuffer head(java.nio.channels.ReadableByteChannel ch, int max) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(max);
        while (b.hasRemaining() && ch.read(b) > 0) {
            // fill
        }
        b.flip();
        return b;
    }
}
