package org.sdmodel.pickle.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.sdmodel.pickle.PickleException;

/**
 * Python's decoders for the text a pickle holds, as CPython's unpickler applies them: strict UTF-8
 * (GLOBAL lines), UTF-8 with {@code surrogatepass} (BINUNICODE and friends, where a lone surrogate
 * is a valid Python str), ASCII (INST, PERSID), raw-unicode-escape (UNICODE) and the escapes of a
 * protocol 0 STRING ({@code PyBytes_DecodeEscape}). Each fails where CPython raises, never decodes
 * otherwise.
 */
final class PythonText {
    private PythonText() {
    }

    /**
     * {@code bytes.decode('utf-8', errors)} with errors {@code strict} or {@code surrogatepass}
     * (Objects/unicodeobject.c): overlong forms, code points above U+10FFFF and truncated sequences
     * fail; an encoded surrogate (ED A0-BF xx) fails unless {@code surrogatepass}.
     */
    static String utf8(byte[] b, boolean surrogatepass, String what) throws PickleException {
        int ascii = 0;
        while (ascii < b.length && b[ascii] >= 0) {
            ascii++;
        }
        if (ascii == b.length) {
            // the common case (every tensor name): one copy instead of a char at a time, as this
            // runs at start-up, before the JIT has compiled it
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        StringBuilder sb = new StringBuilder(b.length);
        sb.append(new String(b, 0, ascii, StandardCharsets.ISO_8859_1));
        int i = ascii;
        while (i < b.length) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                sb.append((char) c);
                i++;
                continue;
            }
            int n = sequenceLength(b, i, b.length, surrogatepass);
            if (n <= 0) {
                throw new PickleException(what + ": invalid UTF-8 at byte " + i + " (CPython's decoder fails too)");
            }
            sb.appendCodePoint(codePoint(b, i, n));
            i += n;
        }
        return sb.toString();
    }

    /**
     * The length of the UTF-8 sequence at {@code i} (2 to 4) if it is complete and valid, 0 if it is
     * incomplete before {@code end}, -1 if invalid.
     */
    static int sequenceLength(byte[] b, int i, int end, boolean surrogatepass) {
        int c = b[i] & 0xFF;
        int n;
        int lo = 0x80;
        int hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) {
                lo = 0xA0;
            } else if (c == 0xED && !surrogatepass) {
                hi = 0x9F;
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) {
                lo = 0x90;
            } else if (c == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return -1;
        }
        for (int k = 1; k < n; k++) {
            if (i + k >= end) {
                return 0;
            }
            int cc = b[i + k] & 0xFF;
            if (k == 1 ? cc < lo || cc > hi : cc < 0x80 || cc > 0xBF) {
                return -1;
            }
        }
        return n;
    }

    private static int codePoint(byte[] b, int i, int n) {
        int c = b[i] & 0xFF;
        int cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (int k = 1; k < n; k++) {
            cp = cp << 6 | b[i + k] & 0x3F;
        }
        return cp;
    }

    /** A UTF-8 check of a string too long to keep, fed in pieces (the scanner skips long strings). */
    static final class Utf8Check {
        private final boolean surrogatepass;
        private final byte[] carry = new byte[8];
        private int carried;
        private long position;

        Utf8Check(boolean surrogatepass) {
            this.surrogatepass = surrogatepass;
        }

        void feed(byte[] b, int off, int len, String what) throws PickleException {
            byte[] work;
            int start;
            int end;
            if (carried > 0) {
                work = new byte[carried + len];
                System.arraycopy(carry, 0, work, 0, carried);
                System.arraycopy(b, off, work, carried, len);
                start = 0;
                end = work.length;
                position -= carried;
                carried = 0;
            } else {
                work = b;
                start = off;
                end = off + len;
            }
            int i = start;
            while (i < end) {
                if (work[i] >= 0) {
                    i++;
                    continue;
                }
                int n = sequenceLength(work, i, end, surrogatepass);
                if (n < 0) {
                    throw new PickleException(what + ": invalid UTF-8 at byte " + (position + i - start)
                            + " (CPython's decoder fails too)");
                }
                if (n == 0) {
                    carried = end - i;
                    System.arraycopy(work, i, carry, 0, carried);
                    break;
                }
                i += n;
            }
            position += (end - start) - carried;
        }

        void finish(String what) throws PickleException {
            if (carried > 0) {
                throw new PickleException(what + ": truncated UTF-8 sequence at its end (CPython's decoder fails too)");
            }
        }
    }

    /** {@code bytes.decode('ascii')}: a line of latin-1 chars, failing on any byte above 0x7F. */
    static String ascii(String latin1, String what) throws PickleException {
        for (int i = 0; i < latin1.length(); i++) {
            if (latin1.charAt(i) > 0x7F) {
                throw new PickleException(what + ": a non-ASCII byte (CPython decodes it as ASCII and fails)");
            }
        }
        return latin1;
    }

    /** The raw bytes of a line read as latin-1 chars. */
    static byte[] bytes(String latin1) {
        byte[] out = new byte[latin1.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) latin1.charAt(i);
        }
        return out;
    }

    /**
     * raw-unicode-escape ({@code _PyUnicode_DecodeRawUnicodeEscapeStateful}): a backslash and the
     * next byte are taken together; {@code \\uXXXX} and {@code \\UXXXXXXXX} must be complete hex
     * (else CPython fails: "truncated \\uXXXX escape"), code points above U+10FFFF fail; any other
     * byte is the code point of its value.
     */
    static String rawUnicodeEscape(String latin1, String what) throws PickleException {
        StringBuilder sb = new StringBuilder(latin1.length());
        int i = 0;
        int end = latin1.length();
        while (i < end) {
            char c = latin1.charAt(i++);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i >= end) {
                sb.append(c);
                continue;
            }
            char e = latin1.charAt(i++);
            int count = e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (count == 0) {
                sb.append('\\').append(e);
                continue;
            }
            long cp = 0;
            for (int k = 0; k < count; k++) {
                if (i >= end) {
                    throw new PickleException(what + ": truncated \\u escape (CPython fails too)");
                }
                int d = Character.digit(latin1.charAt(i++), 16);
                if (d < 0 || latin1.charAt(i - 1) > 0x7F) {
                    throw new PickleException(what + ": truncated \\u escape (CPython fails too)");
                }
                cp = cp << 4 | d;
            }
            if (cp > Character.MAX_CODE_POINT) {
                throw new PickleException(what + ": \\U escape out of range (CPython fails too)");
            }
            sb.appendCodePoint((int) cp);
        }
        return sb.toString();
    }

    /**
     * The escapes of a protocol 0 STRING argument, as {@code PyBytes_DecodeEscape} decodes them:
     * {@code \\\\ \\' \\" \\a \\b \\f \\n \\r \\t \\v}, octal of one to three digits (kept to a byte),
     * {@code \\x} with exactly two hex digits (else CPython fails), a trailing backslash fails, any
     * other escape keeps its backslash.
     */
    static byte[] decodeEscape(String latin1, String what) throws PickleException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(latin1.length());
        int i = 0;
        int end = latin1.length();
        while (i < end) {
            char c = latin1.charAt(i++);
            if (c != '\\') {
                out.write(c);
                continue;
            }
            if (i >= end) {
                throw new PickleException(what + ": trailing \\ in string (CPython fails too)");
            }
            char e = latin1.charAt(i++);
            switch (e) {
                case '\n': break; // line continuation
                case '\\': out.write('\\'); break;
                case '\'': out.write('\''); break;
                case '"': out.write('"'); break;
                case 'b': out.write('\b'); break;
                case 'f': out.write('\f'); break;
                case 't': out.write('\t'); break;
                case 'n': out.write('\n'); break;
                case 'r': out.write('\r'); break;
                case 'v': out.write(0x0B); break;
                case 'a': out.write(0x07); break;
                case 'x': {
                    int h1 = i < end ? hex(latin1.charAt(i)) : -1;
                    int h2 = i + 1 < end ? hex(latin1.charAt(i + 1)) : -1;
                    if (h1 < 0 || h2 < 0) {
                        throw new PickleException(what + ": invalid \\x escape (CPython fails too)");
                    }
                    out.write(h1 << 4 | h2);
                    i += 2;
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i < end && latin1.charAt(i) >= '0' && latin1.charAt(i) <= '7'; k++) {
                            v = v * 8 + latin1.charAt(i++) - '0';
                        }
                        out.write(v & 0xFF);
                    } else {
                        out.write('\\');
                        out.write(e);
                    }
            }
        }
        return out.toByteArray();
    }

    private static int hex(char c) {
        return c > 0x7F ? -1 : Character.digit(c, 16);
    }
}
