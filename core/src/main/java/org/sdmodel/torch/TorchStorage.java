package org.sdmodel.torch;

import java.nio.channels.FileChannel;
import org.sdmodel.DType;

/**
 * One storage of a torch checkpoint: a run of bytes in the file that one or more tensors view.
 * In the zip format it is the record {@code data/<key>}; in the legacy format a block after the
 * pickles. {@code dataOffset} is fixed once the file's layout is known (the legacy format learns
 * it only after the data pickle).
 */
final class TorchStorage {
    final String key;
    /** The element type the storage was saved as; {@link DType#U8} for an untyped storage. */
    final DType dtype;
    final FileChannel channel;
    final boolean bigEndian;
    private long dataOffset = -1;
    private long byteLength = -1;

    TorchStorage(String key, DType dtype, FileChannel channel, boolean bigEndian) {
        this.key = key;
        this.dtype = dtype;
        this.channel = channel;
        this.bigEndian = bigEndian;
    }

    void place(long dataOffset, long byteLength) {
        this.dataOffset = dataOffset;
        this.byteLength = byteLength;
    }

    boolean isPlaced() {
        return dataOffset >= 0;
    }

    long dataOffset() {
        return dataOffset;
    }

    long byteLength() {
        return byteLength;
    }
}
