package org.sdmodel.safetensors;

import org.sdmodel.ModelFormatException;

/**
 * A safetensors file breaks one of the format's rules. {@link #rule()} says which, so callers and
 * tests can tell the problems apart without parsing the message.
 *
 * <p>The rules are those the reference implementation (huggingface/safetensors, {@code
 * SafeTensors::read_metadata} and {@code Metadata::validate}) enforces; each constant names the
 * reference's {@code SafeTensorError} variant it matches. Where the reference reports several
 * problems as one JSON error, sdmodel names them separately, and it adds {@link
 * Rule#DUPLICATE_KEY}, which the reference silently resolves (the last entry wins).
 */
public final class SafetensorsException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** The rules of the safetensors format, in the order the reader checks them. */
    public enum Rule {
        /** The file is shorter than the 8-byte header length. Reference: {@code HeaderTooSmall}. */
        HEADER_TOO_SMALL,
        /**
         * The header length is larger than {@link org.sdmodel.ReadOptions#maxHeaderBytes()}
         * (100,000,000 by default, the reference's limit). Reference: {@code HeaderTooLarge}.
         */
        HEADER_TOO_LARGE,
        /** The header length points past the end of the file. Reference: {@code InvalidHeaderLength}. */
        INVALID_HEADER_LENGTH,
        /** The header is not valid UTF-8. Reference: {@code InvalidHeader}. */
        INVALID_UTF8,
        /**
         * The header does not start with <code>'{'</code>, as the format's specification requires.
         * Reference: {@code InvalidHeaderStart} (declared there, though its 0.x reader still
         * skips leading whitespace).
         */
        INVALID_HEADER_START,
        /**
         * The header is not one JSON object followed only by whitespace: a syntax error, trailing
         * content, nesting deeper than 128 levels, or an escaped unpaired surrogate in a name or
         * metadata string. Reference: {@code InvalidHeaderDeserialization}.
         */
        INVALID_JSON,
        /**
         * A JSON object has the same key twice: two tensors of one name, two {@code __metadata__}
         * entries, a repeated metadata key or field. Not a reference rule: the reference keeps the
         * last tensor or metadata entry, so two readers could disagree about the file.
         */
        DUPLICATE_KEY,
        /**
         * {@code __metadata__} is not an object (or null) whose values are all strings.
         * Reference: {@code InvalidHeaderDeserialization}.
         */
        INVALID_METADATA,
        /**
         * A tensor's entry is not an object, or lacks {@code dtype}, {@code shape} or {@code
         * data_offsets}. Reference: {@code InvalidHeaderDeserialization}.
         */
        INVALID_TENSOR_ENTRY,
        /**
         * A tensor's {@code dtype} is not a string naming one of the safetensors dtypes.
         * Reference: {@code InvalidHeaderDeserialization}.
         */
        UNKNOWN_DTYPE,
        /**
         * A tensor's {@code shape} is not a list of non-negative integers (at most 1,024 of them,
         * each below 2<sup>63</sup>). Reference: {@code InvalidHeaderDeserialization}.
         */
        INVALID_SHAPE,
        /**
         * A tensor's {@code data_offsets} is not a pair of non-negative integers {@code [begin,
         * end]} with {@code begin <= end}, or the tensors, sorted by offset, do not follow each
         * other without gap or overlap from offset 0. Reference: {@code InvalidOffset}.
         */
        INVALID_OFFSET,
        /**
         * The element count (the product of the shape) or the size in bits overflows 63 bits.
         * Reference: {@code ValidationOverflow}.
         */
        SIZE_OVERFLOW,
        /**
         * A sub-byte dtype ({@code F4}, {@code F6_*}) has an element count that does not fill
         * whole bytes. Reference: {@code MisalignedSlice}.
         */
        MISALIGNED_SLICE,
        /**
         * A tensor's {@code data_offsets} span a different number of bytes than its shape and
         * dtype need. Reference: {@code TensorInvalidInfo}.
         */
        TENSOR_INVALID_INFO,
        /**
         * The tensors do not cover the data exactly: the file is truncated or has bytes after
         * the last tensor. Reference: {@code MetadataIncompleteBuffer}.
         */
        METADATA_INCOMPLETE_BUFFER
    }

    /** The value {@link #rule()} returns. */
    private final Rule rule;

    SafetensorsException(Rule rule, String message) {
        super(message);
        this.rule = rule;
    }

    SafetensorsException(Rule rule, String message, Throwable cause) {
        super(message, cause);
        this.rule = rule;
    }

    /** {@return the rule the file breaks} */
    public Rule rule() {
        return rule;
    }
}
