package org.sdmodel.testing;

/** Byte-array edits for mutation tests. */
public final class Bytes {
    private Bytes() {
    }

    /** {@code in} with the bytes from {@code from} (inclusive) to {@code to} (exclusive) replaced by {@code insert}. */
    public static byte[] splice(byte[] in, int from, int to, byte[] insert) {
        byte[] out = new byte[in.length - (to - from) + insert.length];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(in, to, out, from + insert.length, in.length - to);
        return out;
    }
}
