package org.sdmodel.safetensors;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sdmodel.DType;
import org.sdmodel.Tensor;

/**
 * Writes safetensors files byte-identical to what the reference library ({@code
 * safetensors.torch.save_file}, Rust {@code serialize}) writes for the same tensors and metadata:
 *
 * <ul>
 *   <li>tensors sorted by dtype, descending in {@link DType} declaration order, then by name
 *       (compared as UTF-8 bytes, as Rust compares strings);
 *   <li>a compact JSON header as serde_json writes it: {@code __metadata__} first (when given),
 *       then each tensor as {@code {"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}}, strings
 *       escaping only {@code "}, {@code \} and control characters;
 *   <li>the header padded with spaces to a multiple of 8 bytes, then the tensors' bytes.
 * </ul>
 *
 * <p>The reference writes metadata in its hash map's (random) order; this writer keeps the order
 * of the map it is given, so rewriting a file read with {@link SafetensorsFile} reproduces it.
 *
 * <p>The layout is computed up front, so large outputs can be streamed: write the {@link
 * #writeHeader header}, then each tensor's bytes with {@link #writeTensor}, in any order and from
 * any number of threads (positional writes on a {@link FileChannel} are thread-safe). An instance
 * is immutable.
 *
 * <pre>{@code
 * SafetensorsWriter writer = new SafetensorsWriter(specs, Map.of("format", "pt"));
 * try (FileChannel out = FileChannel.open(tmp, CREATE_NEW, WRITE)) {
 *     writer.writeHeader(out);
 *     writer.writeTensor("model.w", 0, bytesOfW, out);  // any tensor, any part, any thread
 *     out.force(true);
 * }
 * Files.move(tmp, target, ATOMIC_MOVE);
 * }</pre>
 */
public final class SafetensorsWriter {

    /**
     * What the writer needs to know of one tensor to lay out the file.
     *
     * @param name the tensor's name
     * @param dtype its element type
     * @param shape its shape (copied)
     */
    public record TensorSpec(String name, DType dtype, long[] shape) {
        /**
         * Creates the record, checking its components.
         *
         * @param name the tensor's name
         * @param dtype its element type
         * @param shape its shape (copied)
         * @throws IllegalArgumentException if a dimension is negative
         */
        public TensorSpec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("tensor " + SafetensorsHeader.quote(name)
                            + " has a negative dimension: " + Arrays.toString(shape));
                }
            }
        }

        /**
         * {@return the spec of an existing tensor under a name}
         *
         * @param name the name it will have in the file
         * @param tensor the tensor
         */
        public static TensorSpec of(String name, Tensor tensor) {
            return new TensorSpec(name, tensor.dtype(), tensor.shape());
        }

        /** {@return the shape (a copy)} */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /**
         * Bytes of the tensor's data.
         *
         * @return the size in bytes
         * @throws IllegalArgumentException if the size overflows or a sub-byte dtype does not
         *     fill whole bytes
         */
        public long byteSize() {
            try {
                long numel = 1;
                for (long d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                return dtype.byteSize(numel);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor " + SafetensorsHeader.quote(name) + " " + dtype
                        + Arrays.toString(shape) + " has no valid size: " + e.getMessage(), e);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorSpec && ((TensorSpec) o).name.equals(name) && ((TensorSpec) o).dtype == dtype
                    && Arrays.equals(((TensorSpec) o).shape, shape);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape));
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    /** A tensor's place in the output. */
    private record Slot(TensorSpec spec, long fileOffset, long byteSize) {
    }

    private static final int COPY_BUFFER_BYTES = 1 << 20;

    private final byte[] header;
    private final Map<String, Slot> slots;
    private final long fileSize;

    /**
     * Lays out a file.
     *
     * @param tensors the tensors, in any order
     * @param metadata the {@code __metadata__} entries in the order to write them; {@code null}
     *     to write no {@code __metadata__} entry (an empty map writes {@code "__metadata__":{}},
     *     as the reference does)
     * @throws IllegalArgumentException if a name is empty, {@code __metadata__}, repeated, or not
     *     valid Unicode (an unpaired surrogate), a metadata string is not valid Unicode, a
     *     tensor's size is invalid, or the header would exceed the 100,000,000 bytes that
     *     safetensors readers accept
     */
    public SafetensorsWriter(Collection<TensorSpec> tensors, Map<String, String> metadata) {
        this(tensors, metadata, 0);
    }

    /**
     * Lays out a file whose JSON header is padded with spaces to at least {@code minHeaderBytes}
     * (then to a multiple of 8): a header written after the tensors, when its final content is
     * known, keeps the length laid out before. The safetensors format allows trailing spaces in
     * the header; readers ignore them.
     *
     * @param tensors the tensors, in any order
     * @param metadata the {@code __metadata__}, or null for none
     * @param minHeaderBytes the least length of the JSON header
     * @throws IllegalArgumentException as {@link #SafetensorsWriter(Collection, Map)}
     */
    public SafetensorsWriter(Collection<TensorSpec> tensors, Map<String, String> metadata, int minHeaderBytes) {
        List<TensorSpec> ordered = new ArrayList<>(tensors);
        Set<String> names = new HashSet<>();
        for (TensorSpec t : ordered) {
            if (t.name.isEmpty() || t.name.equals("__metadata__")) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.quote(t.name)
                        + " in a safetensors file");
            }
            if (!names.add(t.name)) {
                throw new IllegalArgumentException("two tensors are named " + SafetensorsHeader.quote(t.name));
            }
        }
        TextScan scan = new TextScan();
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                Objects.requireNonNull(e.getKey(), "metadata key");
                Objects.requireNonNull(e.getValue(), "metadata value");
                if ((scan.flags(e.getKey()) & TextScan.UNPAIRED) != 0 || (scan.flags(e.getValue()) & TextScan.UNPAIRED) != 0) {
                    throw new IllegalArgumentException("metadata entry " + SafetensorsHeader.quote(e.getKey())
                            + " is not valid Unicode (unpaired surrogate)");
                }
            }
        }
        // Without characters beyond U+FFFF, UTF-16 order is code point order and compareTo is fast:
        // sorted that way first, and again by code points in the rare case a name has such a character.
        ordered.sort(FILE_ORDER_BMP);
        int[] nameFlags = new int[ordered.size()];
        boolean pairs = false;
        for (int i = 0; i < ordered.size(); i++) {
            nameFlags[i] = scan.flags(ordered.get(i).name);
            if ((nameFlags[i] & TextScan.UNPAIRED) != 0) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.quote(ordered.get(i).name)
                        + " in a safetensors file");
            }
            pairs |= (nameFlags[i] & TextScan.PAIRS) != 0;
        }
        if (pairs) {
            ordered.sort(FILE_ORDER);
            for (int i = 0; i < ordered.size(); i++) {
                nameFlags[i] = scan.flags(ordered.get(i).name);
            }
        }

        long[] begin = new long[ordered.size()];
        long[] sizes = new long[ordered.size()];
        long offset = 0;
        for (int i = 0; i < ordered.size(); i++) {
            begin[i] = offset;
            sizes[i] = ordered.get(i).byteSize();
            try {
                offset = Math.addExact(offset, sizes[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("the tensors add up to more than 2^63 bytes", e);
            }
        }

        byte[] json = headerJson(ordered, nameFlags, begin, sizes, metadata, minHeaderBytes);
        if (json.length > SafetensorsHeader.REFERENCE_MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would be " + json.length + " bytes, more than the "
                    + SafetensorsHeader.REFERENCE_MAX_HEADER_BYTES + " that safetensors readers accept");
        }
        if (offset > Long.MAX_VALUE - SafetensorsHeader.LENGTH_PREFIX - json.length) {
            throw new IllegalArgumentException("the file would be larger than 2^63 bytes");
        }
        this.header = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX + json.length)
                .order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json).array();

        Map<String, Slot> bySpec = new LinkedHashMap<>();
        for (int i = 0; i < ordered.size(); i++) {
            bySpec.put(ordered.get(i).name, new Slot(ordered.get(i), header.length + begin[i], sizes[i]));
        }
        this.slots = Collections.unmodifiableMap(bySpec);
        this.fileSize = header.length + offset;
    }

    /**
     * The reference's order: dtype descending, then name. Comparing code points orders strings as
     * their UTF-8 bytes do (String.compareTo compares UTF-16 units, which differs above U+FFFF).
     */
    private static final Comparator<TensorSpec> FILE_ORDER = new Comparator<>() {
        // a class, not a chain of lambdas: each lambda costs the CLI's start-up a generated class
        @Override
        public int compare(TensorSpec a, TensorSpec b) {
            int byDtype = b.dtype.ordinal() - a.dtype.ordinal(); // Enum.compareTo, without its checks
            return byDtype != 0 ? byDtype : compareCodePoints(a.name, b.name);
        }
    };

    /** {@link #FILE_ORDER} for names without surrogates. */
    private static final Comparator<TensorSpec> FILE_ORDER_BMP = new Comparator<>() {
        @Override
        public int compare(TensorSpec a, TensorSpec b) {
            int byDtype = b.dtype.ordinal() - a.dtype.ordinal(); // Enum.compareTo, without its checks
            return byDtype != 0 ? byDtype : a.name.compareTo(b.name);
        }
    };

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * The JSON header, padded with spaces to a multiple of 8 bytes. Built as one string and encoded
     * once (the names were checked to be valid Unicode, so UTF-8 encodes them exactly).
     */
    private static byte[] headerJson(List<TensorSpec> ordered, int[] nameFlags, long[] begin, long[] sizes,
            Map<String, String> metadata, int minBytes) {
        StringBuilder out = new StringBuilder(128 + 96 * ordered.size());
        out.append('{');
        boolean first = true;
        if (metadata != null) {
            out.append("\"__metadata__\":{");
            boolean firstEntry = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!firstEntry) {
                    out.append(',');
                }
                firstEntry = false;
                writeString(out, e.getKey());
                out.append(':');
                writeString(out, e.getValue());
            }
            out.append('}');
            first = false;
        }
        for (int i = 0; i < ordered.size(); i++) {
            TensorSpec t = ordered.get(i);
            if (!first) {
                out.append(',');
            }
            first = false;
            if ((nameFlags[i] & TextScan.ESCAPES) != 0) {
                writeString(out, t.name);
            } else {
                out.append('"').append(t.name).append('"');
            }
            out.append(":{\"dtype\":\"").append(t.dtype.safetensorsName()).append("\",\"shape\":[");
            for (int d = 0; d < t.shape.length; d++) {
                if (d > 0) {
                    out.append(',');
                }
                out.append(t.shape[d]);
            }
            out.append("],\"data_offsets\":[").append(begin[i]).append(',').append(begin[i] + sizes[i]).append("]}");
        }
        out.append('}');
        byte[] json = out.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (Math.max(json.length, minBytes) + SafetensorsHeader.LENGTH_PREFIX - 1)
                / SafetensorsHeader.LENGTH_PREFIX * SafetensorsHeader.LENGTH_PREFIX;
        if (padded == json.length) {
            return json;
        }
        byte[] p = Arrays.copyOf(json, padded);
        Arrays.fill(p, json.length, padded, (byte) ' ');
        return p;
    }

    /**
     * What a string holds that the header must care about, from one pass over its characters:
     * surrogate pairs (characters beyond U+FFFF, which change the sort), unpaired surrogates
     * (invalid), characters JSON escapes. The characters are copied into a buffer first, as a
     * header of a few thousand names is built at start-up, in the interpreter, where a
     * {@code charAt} per character costs several calls.
     */
    private static final class TextScan {
        static final int PAIRS = 1;
        static final int UNPAIRED = 2;
        static final int ESCAPES = 4;

        private char[] buf = new char[128];

        int flags(String s) {
            int n = s.length();
            if (n > buf.length) {
                buf = new char[Math.max(n, 2 * buf.length)];
            }
            char[] b = buf;
            s.getChars(0, n, b, 0);
            int flags = 0;
            for (int i = 0; i < n; i++) {
                char c = b[i];
                if (c < 0x20 || c == '"' || c == '\\') {
                    flags |= ESCAPES;
                } else if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                    if (c <= Character.MAX_HIGH_SURROGATE && i + 1 < n && Character.isLowSurrogate(b[i + 1])) {
                        flags |= PAIRS;
                        i++;
                    } else {
                        flags |= UNPAIRED;
                    }
                }
            }
            return flags;
        }
    }

    /** A JSON string as serde_json writes it: escaping only quote, backslash and C0 controls. */
    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        int plainFrom = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            String escape;
            switch (c) {
                case '"': escape = "\\\""; break;
                case '\\': escape = "\\\\"; break;
                case '\b': escape = "\\b"; break;
                case '\f': escape = "\\f"; break;
                case '\n': escape = "\\n"; break;
                case '\r': escape = "\\r"; break;
                case '\t': escape = "\\t"; break;
                default: escape = String.format(Locale.ROOT, "\\u%04x", (int) c); break;
            }
            out.append(s, plainFrom, i).append(escape);
            plainFrom = i + 1;
        }
        out.append(s, plainFrom, s.length()).append('"');
    }

    /** {@return the first bytes of the file: the 8-byte length, the JSON header and its padding. Returns a copy} */
    public byte[] header() {
        return header.clone();
    }

    /**
     * {@return the same tensors with other metadata, the header padded with spaces to this one's
     * length when it is shorter}: it can be written in this header's place after the tensors
     * (longer, it cannot, and the tensors' offsets differ).
     *
     * @param metadata the new {@code __metadata__}, or null for none
     * @throws IllegalArgumentException as {@link #SafetensorsWriter(Collection, Map)}
     */
    public SafetensorsWriter withMetadata(Map<String, String> metadata) {
        return new SafetensorsWriter(tensors(), metadata, header.length - SafetensorsHeader.LENGTH_PREFIX);
    }

    /** {@return the tensors in file order} */
    public List<TensorSpec> tensors() {
        List<TensorSpec> list = new ArrayList<>(slots.size());
        for (Slot s : slots.values()) {
            list.add(s.spec);
        }
        return list;
    }

    /**
     * Where the tensor's first byte goes in the output file (absolute, header included).
     *
     * @param name a tensor's name
     * @return the offset in bytes from the start of the file
     * @throws IllegalArgumentException if there is no such tensor
     */
    public long dataOffset(String name) {
        return slot(name).fileOffset;
    }

    /** {@return the size of the complete file} */
    public long fileSize() {
        return fileSize;
    }

    private Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no tensor named " + SafetensorsHeader.quote(String.valueOf(name)));
        }
        return s;
    }

    /**
     * Writes {@link #header()} at the start of {@code out}.
     *
     * @param out the file, open for writing
     * @throws IOException if writing fails
     */
    public void writeHeader(FileChannel out) throws IOException {
        writeFully(out, ByteBuffer.wrap(header), 0);
    }

    /**
     * Writes bytes of a tensor's data (dense, row-major, little-endian) at their place in the
     * file: {@code src}'s remaining bytes become the tensor's bytes from {@code positionInTensor}
     * on. Thread-safe; tensors and parts of tensors may be written in any order.
     *
     * @param name the tensor's name
     * @param positionInTensor where in the tensor's data {@code src}'s first byte goes
     * @param src the bytes, from its position to its limit
     * @param out the file, open for writing
     * @throws IllegalArgumentException if there is no such tensor, or the bytes would run past
     *     its end
     * @throws IOException if writing fails
     */
    public void writeTensor(String name, long positionInTensor, ByteBuffer src, FileChannel out) throws IOException {
        Slot s = slot(name);
        if (positionInTensor < 0 || positionInTensor > s.byteSize - src.remaining()) {
            throw new IllegalArgumentException(src.remaining() + " bytes at " + positionInTensor + " do not fit in tensor "
                    + SafetensorsHeader.quote(name) + " of " + s.byteSize + " bytes");
        }
        writeFully(out, src, s.fileOffset + positionInTensor);
    }

    private static void writeFully(FileChannel out, ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            pos += out.write(src, pos);
        }
    }

    /**
     * Writes a complete file: the header, then each tensor's bytes copied verbatim. Writes from
     * position 0 and truncates the channel to {@link #fileSize()}; does not force it to disk, so a
     * caller replacing a file atomically can {@link FileChannel#force force} it before renaming.
     *
     * @param metadata as for {@link #SafetensorsWriter the constructor}: null for none
     * @param out the file, open for writing
     * @param tensors the tensors by name
     * @throws IllegalArgumentException as the constructor does
     * @throws EOFException if a tensor delivers fewer bytes than its shape needs
     */
    public static void write(FileChannel out, Map<String, ? extends Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<TensorSpec> specs = new ArrayList<>(tensors.size());
        for (Map.Entry<String, ? extends Tensor> e : tensors.entrySet()) {
            specs.add(TensorSpec.of(e.getKey(), e.getValue()));
        }
        SafetensorsWriter writer = new SafetensorsWriter(specs, metadata);
        writer.writeHeader(out);
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, writer.fileSize)));
        for (Slot s : writer.slots.values()) {
            Tensor tensor = tensors.get(s.spec.name);
            long pos = 0;
            while (pos < s.byteSize) {
                int n = (int) Math.min(buffer.capacity(), s.byteSize - pos);
                buffer.clear().limit(n);
                tensor.readFully(pos, buffer);
                writeFully(out, buffer.flip(), s.fileOffset + pos);
                pos += n;
            }
        }
        out.truncate(writer.fileSize);
    }

    /**
     * Writes a complete file to exactly {@code out}, creating or replacing it; see {@link
     * #write(FileChannel, Map, Map)}. Writing to a temporary file and renaming it, so that a
     * failure leaves no partial file behind, is the caller's job.
     *
     * @param out the file to write
     * @param tensors the tensors by name
     * @param metadata the {@code __metadata__}, or null for none
     * @throws IOException if a tensor cannot be read or the file cannot be written
     */
    public static void write(Path out, Map<String, ? extends Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(channel, tensors, metadata);
        }
    }
}
