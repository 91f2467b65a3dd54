package org.sdmodel.download;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/**
 * Where a {@code .part} came from, kept with the file itself as an extended attribute ({@code
 * user.sdmodel.download} on Linux; macOS and Windows have their own equivalents), so that the
 * next run can resume it with {@code If-Range} and the server sends the rest only if the file is
 * still the same. Best effort: on a file system without extended attributes nothing is kept, and
 * a resumed {@code .part} relies on the server's {@code Content-Range} total and the sha256 check.
 *
 * @param url the address asked for
 * @param etag the server's strong entity tag, or null
 * @param lastModified the server's {@code Last-Modified}, or null
 * @param total the file's length, or -1
 */
record PartRecord(String url, String etag, String lastModified, long total) {
    static final String ATTRIBUTE = "sdmodel.download";
    private static final int MAX_BYTES = 16 << 10;

    /** The validator for {@code If-Range}: the strong entity tag, else the date, else null. */
    String validator() {
        return etag != null ? etag : lastModified;
    }

    /** The record kept with {@code part}, or null (none, unreadable, or not supported there). */
    static PartRecord read(Path part) {
        try {
            UserDefinedFileAttributeView view = view(part);
            if (view == null || !view.list().contains(ATTRIBUTE)) {
                return null;
            }
            int size = view.size(ATTRIBUTE);
            if (size <= 0 || size > MAX_BYTES) {
                return null;
            }
            ByteBuffer buf = ByteBuffer.allocate(size);
            view.read(ATTRIBUTE, buf);
            buf.flip();
            return parse(StandardCharsets.UTF_8.decode(buf).toString());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Keeps this record with {@code part}; false where the file system cannot. */
    boolean write(Path part) {
        try {
            UserDefinedFileAttributeView view = view(part);
            if (view == null) {
                return false;
            }
            view.write(ATTRIBUTE, StandardCharsets.UTF_8.encode(format()));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Removes the record (a finished file carries no trace of its download). */
    static void clear(Path part) {
        try {
            UserDefinedFileAttributeView view = view(part);
            if (view != null && view.list().contains(ATTRIBUTE)) {
                view.delete(ATTRIBUTE);
            }
        } catch (IOException | RuntimeException e) {
            // nothing kept, nothing to clear
        }
    }

    private static UserDefinedFileAttributeView view(Path part) {
        return java.nio.file.Files.getFileAttributeView(part, UserDefinedFileAttributeView.class);
    }

    // One "key value" per line; header values and URLs hold no line breaks.
    String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("url ").append(url).append('\n');
        if (etag != null) {
            sb.append("etag ").append(etag).append('\n');
        }
        if (lastModified != null) {
            sb.append("last-modified ").append(lastModified).append('\n');
        }
        sb.append("total ").append(total).append('\n');
        return sb.toString();
    }

    static PartRecord parse(String text) {
        String url = null;
        String etag = null;
        String lastModified = null;
        long total = -1;
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp <= 0) {
                continue;
            }
            String key = line.substring(0, sp);
            String value = line.substring(sp + 1);
            switch (key) {
                case "url":
                    url = value;
                    break;
                case "etag":
                    etag = value;
                    break;
                case "last-modified":
                    lastModified = value;
                    break;
                case "total":
                    try {
                        total = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                    break;
                default:
                    break;
            }
        }
        return url == null ? null : new PartRecord(url, etag, lastModified, total);
    }
}
