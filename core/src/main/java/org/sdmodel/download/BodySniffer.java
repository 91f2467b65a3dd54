package org.sdmodel.download;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sdmodel.zstd.ZstdFrameHeader;

/**
 * Tells a model file from what servers send instead (a login wall's HTML page answering 200, a
 * JSON or XML error, text) by its first bytes, before anything is written. Only formats a model
 * download can be are accepted: a torch zip ({@code PK\3\4}), a pickle of protocol 2 or later
 * (legacy torch files: {@code \x80} then the protocol), safetensors (an 8-byte little-endian
 * header length within the reference's 100,000,000-byte limit, then {@code {}), and zstd (its
 * frame magic). Stricter than {@link org.sdmodel.ModelFormat#detect}, which lets odd files
 * through to a reader that explains them: here a wrong guess costs gigabytes.
 */
final class BodySniffer {
    /** Bytes looked at: enough for every magic number and for an HTML page's title. */
    static final int HEAD_BYTES = 1024;

    private static final long MAX_SAFETENSORS_HEADER = 100_000_000L;
    private static final Pattern TITLE = Pattern.compile("<title[^>]*>(.*?)</title", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern TAG = Pattern.compile("<[^>]*>?");

    private BodySniffer() {
    }

    /** What a body looks like when it is no model: {@code found} in a few words, {@code detail} an excerpt (may be empty). */
    record Refusal(String found, String detail) {
        String describe() {
            return found + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    /** Null when {@code head[0..n)} starts like a model file; otherwise what it looks like. */
    static Refusal check(byte[] head, int n) {
        if (isModel(head, n)) {
            return null;
        }
        if (n == 0) {
            return new Refusal("an empty body", "");
        }
        int start = 0;
        if (n >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF) {
            start = 3; // UTF-8 byte order mark
        }
        while (start < n && (head[start] == ' ' || head[start] == '\t' || head[start] == '\r' || head[start] == '\n')) {
            start++;
        }
        String text = new String(head, start, n - start, StandardCharsets.UTF_8);
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("<")) {
            boolean html = lower.startsWith("<!doctype html") || lower.contains("<html") || lower.contains("<head")
                    || lower.contains("<body") || lower.contains("<title");
            String detail;
            Matcher title = TITLE.matcher(text);
            if (html && title.find()) {
                detail = "title \"" + excerpt(title.group(1), 80) + "\"";
            } else {
                detail = "\"" + excerpt(TAG.matcher(text).replaceAll(" "), 100) + "\"";
            }
            return new Refusal(html ? "an HTML page" : "an XML document", detail.equals("\"\"") ? "" : detail);
        }
        if (lower.startsWith("{") || lower.startsWith("[")) {
            return new Refusal("JSON", "\"" + excerpt(text, 100) + "\"");
        }
        if (looksLikeText(head, start, n)) {
            return new Refusal("text", "\"" + excerpt(text, 100) + "\"");
        }
        if (n >= 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B) {
            return new Refusal("gzip-compressed data", "");
        }
        StringBuilder hex = new StringBuilder("first bytes");
        for (int i = 0; i < Math.min(8, n); i++) {
            hex.append(String.format(Locale.ROOT, " %02x", head[i] & 0xFF));
        }
        return new Refusal("data of no model format", hex.toString());
    }

    static boolean isModel(byte[] h, int n) {
        if (n >= 4 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) {
            return true; // torch.save since 1.6: a zip
        }
        if (n >= 2 && (h[0] & 0xFF) == 0x80 && h[1] >= 2 && h[1] <= 5) {
            return true; // pickle PROTO 2..5: torch's legacy format
        }
        if (n >= 9 && h[8] == '{') {
            long len = ByteBuffer.wrap(h, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (len >= 2 && len <= MAX_SAFETENSORS_HEADER) {
                return true;
            }
        }
        return n >= 4 && ZstdFrameHeader.isZstd(ByteBuffer.wrap(h, 0, n));
    }

    private static boolean looksLikeText(byte[] h, int from, int n) {
        if (from >= n) {
            return true; // whitespace only
        }
        int control = 0;
        for (int i = from; i < n; i++) {
            int b = h[i] & 0xFF;
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') {
                control++;
            }
        }
        return control == 0;
    }

    /** One line of at most {@code max} characters, control characters dropped. */
    static String excerpt(String s, int max) {
        String one = s.replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
        return one.length() <= max ? one : one.substring(0, max - 3) + "...";
    }
}
