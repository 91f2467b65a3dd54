package org.sdmodel.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sdmodel.DType;
import org.sdmodel.safetensors.SafetensorsException.Rule;

/**
 * Reads and validates the header of a safetensors file: the 8-byte little-endian length, the JSON
 * header, and the layout it describes. Nothing is allocated from a size the file claims before
 * that size is checked against the file's length and the configured limit.
 */
final class SafetensorsHeader {
    /** Bytes of the little-endian header length that starts every file. */
    static final int LENGTH_PREFIX = 8;

    /** The reference's header limit; also the default of {@link org.sdmodel.ReadOptions#maxHeaderBytes()}. */
    static final int REFERENCE_MAX_HEADER_BYTES = 100_000_000;

    /**
     * The most dimensions a shape may have. Real tensors have a handful (torch and numpy cap them
     * at 64); the cap keeps a hostile header from turning each two-byte {@code "1,"} into an
     * eight-byte long by the million.
     */
    static final int MAX_DIMENSIONS = 1024;

    /** serde_json's recursion limit, which the reference inherits. */
    private static final int MAX_NESTING = 128;

    private static final String METADATA_KEY = "__metadata__";

    /**
     * Built when a header is first parsed, not when the writer merely uses this class's string
     * helpers: setting up Jackson is a noticeable part of the CLI's start-up.
     */
    private static final class Json {
        static final JsonFactory FACTORY = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        // The header limit already bounds every string; Jackson's own defaults (20 M
                        // characters, 50,000 for names) would refuse headers the reference reads.
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNameLength(Integer.MAX_VALUE)
                        .build())
                // Tensor names are all distinct; interning them would only cost memory and expose
                // the symbol table's hash-collision limit to hostile files.
                .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .build();
    }

    /** One tensor's entry, as validated. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    /** The header's length in bytes, after the 8-byte prefix (padding included). */
    final long headerLength;
    /** The {@code __metadata__} entry in file order, or null if absent or null. */
    final Map<String, String> metadata;
    /** The tensors in file order: by data offset, ties (empty tensors) in header order. */
    final List<Entry> tensors;

    private SafetensorsHeader(long headerLength, Map<String, String> metadata, List<Entry> tensors) {
        this.headerLength = headerLength;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Where the data section starts in the file. */
    long dataStart() {
        return LENGTH_PREFIX + headerLength;
    }

    /**
     * Reads and validates the header of an open file.
     *
     * @throws SafetensorsException if the file breaks a rule of the format
     */
    static SafetensorsHeader read(FileChannel channel, int maxHeaderBytes) throws IOException {
        long fileSize = channel.size();
        if (fileSize < LENGTH_PREFIX) {
            throw new SafetensorsException(Rule.HEADER_TOO_SMALL,
                    "the file has " + fileSize + " bytes, fewer than the 8-byte header length of a safetensors file");
        }
        ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, prefix, 0);
        long length = prefix.getLong(0); // unsigned in the format
        if (Long.compareUnsigned(length, maxHeaderBytes) > 0) {
            throw new SafetensorsException(Rule.HEADER_TOO_LARGE, "the header length "
                    + Long.toUnsignedString(length) + " exceeds the limit of " + maxHeaderBytes + " bytes");
        }
        if (length > fileSize - LENGTH_PREFIX) {
            throw new SafetensorsException(Rule.INVALID_HEADER_LENGTH, "the header length " + length
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        byte[] header = new byte[(int) length];
        readFully(channel, ByteBuffer.wrap(header), LENGTH_PREFIX);
        checkUtf8(header);
        if (header.length == 0 || header[0] != '{') {
            throw new SafetensorsException(Rule.INVALID_HEADER_START, header.length == 0
                    ? "the header is empty; it must be a JSON object starting with '{'"
                    : "the header does not start with '{'");
        }
        Parsed parsed = parse(header);
        List<Entry> ordered = validateLayout(parsed.tensors);
        long covered = ordered.isEmpty() ? 0 : ordered.get(ordered.size() - 1).end;
        long dataSize = fileSize - LENGTH_PREFIX - length;
        if (covered != dataSize) {
            throw new SafetensorsException(Rule.METADATA_INCOMPLETE_BUFFER, covered > dataSize
                    ? "the tensors need " + covered + " bytes of data but the file holds " + dataSize + " (truncated?)"
                    : "the file has " + (dataSize - covered) + " bytes after the last tensor's data");
        }
        return new SafetensorsHeader(length, parsed.metadata, ordered);
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new EOFException("the file shrank while its header was read");
            }
            pos += n;
        }
    }

    // A strict decoder, in small chunks: the reference refuses the whole header if any byte of
    // it (padding included) is not UTF-8, and Java's decoder, like Rust's, refuses overlong forms
    // and encoded surrogates.
    private static void checkUtf8(byte[] header) throws SafetensorsException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw new SafetensorsException(Rule.INVALID_UTF8,
                        "the header is not valid UTF-8 (at byte " + in.position() + " of the header)");
            }
            if (result.isUnderflow()) {
                break;
            }
            out.clear();
        }
        out.clear();
        if (decoder.flush(out).isError()) {
            throw new SafetensorsException(Rule.INVALID_UTF8, "the header ends inside a UTF-8 character");
        }
    }

    private record Parsed(Map<String, String> metadata, List<Entry> tensors) {
    }

    private static Parsed parse(byte[] header) throws SafetensorsException {
        try (JsonParser p = Json.FACTORY.createParser(header)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsException(Rule.INVALID_HEADER_START, "the header is not a JSON object");
            }
            Map<String, String> metadata = null;
            List<Entry> tensors = new ArrayList<>();
            Set<String> keys = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = checkedString(p.currentName());
                if (!keys.add(key)) {
                    throw new SafetensorsException(Rule.DUPLICATE_KEY, METADATA_KEY.equals(key)
                            ? "the header has two __metadata__ entries"
                            : "two tensors are named " + quote(key));
                }
                p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    metadata = parseMetadata(p);
                } else {
                    tensors.add(parseTensor(p, key));
                }
            }
            // The loop ends at the object's end: Jackson refuses anything else there.
            if (p.nextToken() != null) {
                throw new SafetensorsException(Rule.INVALID_JSON,
                        "the header has content after its JSON object (only whitespace may follow)");
            }
            return new Parsed(metadata, tensors);
        } catch (SafetensorsException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(Rule.INVALID_JSON, "the header is not valid JSON: " + jacksonProblem(e), e);
        } catch (IOException e) {
            // Parsing a byte array does no I/O; anything else Jackson reports is about the text.
            throw new SafetensorsException(Rule.INVALID_JSON, "the header is not valid JSON: " + oneLine(e.getMessage()), e);
        }
    }

    private static Map<String, String> parseMetadata(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null; // the reference reads null as "no metadata"
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsException(Rule.INVALID_METADATA,
                    "__metadata__ is " + describe(p.currentToken()) + ", not an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = checkedString(p.currentName());
            if (metadata.containsKey(key)) {
                throw new SafetensorsException(Rule.DUPLICATE_KEY, "__metadata__ has the key " + quote(key) + " twice");
            }
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new SafetensorsException(Rule.INVALID_METADATA, "__metadata__ entry " + quote(key) + " is "
                        + describe(p.currentToken()) + ", not a string");
            }
            metadata.put(key, checkedString(p.getText()));
        }
        return metadata;
    }

    private static Entry parseTensor(JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsException(Rule.INVALID_TENSOR_ENTRY,
                    "tensor " + quote(name) + " is " + describe(p.currentToken()) + ", not an object");
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> fields = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            if (!fields.add(field)) {
                throw new SafetensorsException(Rule.DUPLICATE_KEY,
                        "tensor " + quote(name) + " has the field " + quote(field) + " twice");
            }
            p.nextToken();
            switch (field) {
                case "dtype":
                    dtype = p.currentToken() == JsonToken.VALUE_STRING ? DType.fromSafetensorsName(p.getText()) : null;
                    if (dtype == null) {
                        throw new SafetensorsException(Rule.UNKNOWN_DTYPE, "tensor " + quote(name) + " has the unknown dtype "
                                + (p.currentToken() == JsonToken.VALUE_STRING ? quote(p.getText()) : describe(p.currentToken())));
                    }
                    break;
                case "shape":
                    shape = readIntegers(p, MAX_DIMENSIONS);
                    if (shape == null) {
                        throw new SafetensorsException(Rule.INVALID_SHAPE, "tensor " + quote(name)
                                + " has a shape that is not a list of at most " + MAX_DIMENSIONS
                                + " non-negative integers below 2^63");
                    }
                    break;
                case "data_offsets":
                    offsets = readIntegers(p, 2);
                    if (offsets == null || offsets.length != 2) {
                        throw new SafetensorsException(Rule.INVALID_OFFSET, "tensor " + quote(name)
                                + " has data_offsets that are not a pair of non-negative integers below 2^63");
                    }
                    break;
                default:
                    skipValue(p); // the reference ignores unknown fields
                    break;
            }
        }
        String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
        if (missing != null) {
            throw new SafetensorsException(Rule.INVALID_TENSOR_ENTRY, "tensor " + quote(name) + " has no " + missing);
        }
        if (offsets[1] < offsets[0]) {
            throw new SafetensorsException(Rule.INVALID_OFFSET, "tensor " + quote(name) + " has data_offsets ["
                    + offsets[0] + ", " + offsets[1] + "] that end before they begin");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /**
     * A JSON list of at most {@code max} integers in [0, 2^63), or null if the value is anything
     * else (the caller then refuses the file, so the parser may be left mid-value).
     */
    private static long[] readIntegers(JsonParser p, int max) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            return null;
        }
        long[] values = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT || n == max
                    || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                return null;
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2);
            }
            values[n++] = p.getLongValue();
        }
        return Arrays.copyOf(values, n);
    }

    /**
     * Skips the value at the current token, still refusing duplicate keys inside it: another
     * reader could pick either copy. Iterative, so depth costs no stack.
     */
    private static void skipValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
            return;
        }
        Deque<Set<String>> open = new ArrayDeque<>();
        open.push(t == JsonToken.START_OBJECT ? new HashSet<>() : Collections.emptySet());
        while (!open.isEmpty()) {
            t = p.nextToken();
            if (t == null) {
                return; // Jackson reports the truncation on the next read
            }
            switch (t) {
                case START_OBJECT:
                    open.push(new HashSet<>());
                    break;
                case START_ARRAY:
                    open.push(Collections.emptySet());
                    break;
                case END_OBJECT:
                case END_ARRAY:
                    open.pop();
                    break;
                case FIELD_NAME:
                    if (!open.peek().add(p.currentName())) {
                        throw new SafetensorsException(Rule.DUPLICATE_KEY,
                                "the header repeats the key " + quote(p.currentName()) + " in one object");
                    }
                    break;
                default:
                    break;
            }
        }
    }

    /**
     * Sorts the tensors by offsets, as the reference does (files may list them in any order), and
     * checks that they cover the data from 0 without gap or overlap and that each spans exactly
     * the bytes its dtype and shape need. Returns them in that order.
     */
    private static List<Entry> validateLayout(List<Entry> tensors) throws SafetensorsException {
        List<Entry> ordered = new ArrayList<>(tensors);
        // Stable: empty tensors sharing an offset keep their header order.
        ordered.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long next = 0;
        for (Entry e : ordered) {
            if (e.begin != next) {
                throw new SafetensorsException(Rule.INVALID_OFFSET, "tensor " + quote(e.name) + " has data_offsets ["
                        + e.begin + ", " + e.end + "] but the previous tensor ends at " + next
                        + (e.begin < next ? " (overlap)" : " (gap)"));
            }
            next = e.end;
            long bytes;
            try {
                long numel = 1;
                for (long d : e.shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                long bits = Math.multiplyExact(numel, (long) e.dtype.bits());
                if (bits % 8 != 0) {
                    throw new SafetensorsException(Rule.MISALIGNED_SLICE, "tensor " + quote(e.name) + " has " + numel
                            + " elements of " + e.dtype + ", which do not fill whole bytes");
                }
                bytes = bits / 8;
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(Rule.SIZE_OVERFLOW, "tensor " + quote(e.name) + " has the shape "
                        + describeShape(e.shape) + ", too large to count in bytes");
            }
            if (e.end - e.begin != bytes) {
                throw new SafetensorsException(Rule.TENSOR_INVALID_INFO, "tensor " + quote(e.name) + " is "
                        + e.dtype + describeShape(e.shape) + " of " + bytes + " bytes but its data_offsets span "
                        + (e.end - e.begin));
            }
        }
        return ordered;
    }

    /**
     * Returns the string if it is valid Unicode. JSON escapes can spell an unpaired surrogate
     * ({@code "\ud800"}), which serde_json, and so the reference, refuses, and which could not be
     * written back as UTF-8.
     */
    private static String checkedString(String s) throws SafetensorsException {
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw new SafetensorsException(Rule.INVALID_JSON,
                    "the header escapes an unpaired surrogate (\\u" + Integer.toHexString(s.charAt(bad)) + ") in a string");
        }
        return s;
    }

    /** The index of the first surrogate in {@code s} that is not half of a pair, or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "missing";
        }
        switch (t) {
            case START_OBJECT: return "an object";
            case START_ARRAY: return "a list";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.toString();
        }
    }

    /** A name for a one-line message: quoted, control characters escaped, long names shortened. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        int limit = Math.min(s.length(), 120);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (limit < s.length()) {
            b.append("...");
        }
        return b.append('\'').toString();
    }

    /** Jackson's description of a syntax error, without its source excerpt, and where it is. */
    private static String jacksonProblem(JsonProcessingException e) {
        String problem = oneLine(e.getOriginalMessage())
                .replaceAll(" ?\\(start marker at \\[Source: [^\\]]*\\]\\)", "")
                .replaceAll(" ?\\[Source: [^\\]]*\\]", "")
                .replaceAll(", from `[^`]*`\\)", ")");
        JsonLocation at = e.getLocation();
        if (at == null) {
            return problem;
        }
        long offset = at.getByteOffset() >= 0 ? at.getByteOffset() : at.getCharOffset();
        return problem + (offset >= 0 ? " (at byte " + offset + " of the header)"
                : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + " of the header)");
    }

    private static String describeShape(long[] shape) {
        return shape.length <= 8 ? Arrays.toString(shape) : "of " + shape.length + " dimensions";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
