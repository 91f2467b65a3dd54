package org.sdmodel.pickle;

import java.util.Arrays;

/** Python {@code bytes} or {@code bytearray}. */
public final class PyBytes {
    private final byte[] data;
    private final boolean mutable;

    /**
     * Wraps bytes, without copying them.
     *
     * @param data the bytes
     * @param mutable true for a {@code bytearray}, false for {@code bytes}
     */
    public PyBytes(byte[] data, boolean mutable) {
        this.data = data;
        this.mutable = mutable;
    }

    /** {@return the bytes (not copied: do not change them)} */
    public byte[] data() {
        return data;
    }

    /** {@return true for a {@code bytearray}} */
    public boolean isBytearray() {
        return mutable;
    }

    /** {@return the number of bytes} */
    public int length() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyBytes && Arrays.equals(data, ((PyBytes) o).data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return (mutable ? "bytearray" : "bytes") + " of " + data.length;
    }
}
