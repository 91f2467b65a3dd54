package org.sdmodel.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.internal.PickleHooks;
import org.sdmodel.pickle.internal.PickleInput;
import org.sdmodel.pickle.internal.PickleMachine;
import org.sdmodel.pickle.PyTuple;

/**
 * Reads the legacy format ({@code torch.save} before torch 1.6, or with
 * {@code _use_new_zipfile_serialization=False}): five pickles back to back (the magic number, the
 * protocol version, system information, the data, the list of storage keys), then each storage
 * as an 8-byte little-endian element count followed by its bytes, in key-list order. torch writes
 * storage bytes little-endian on every host.
 *
 * <p>The data pickle names storages before the file says where they are, so storages are placed,
 * and their tensors bounds-checked, once the key list has been read.
 */
public final class TorchLegacyFile {
    private static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL_VERSION = 1001;

    private TorchLegacyFile() {
    }

    /** Opens a legacy torch checkpoint; reads the pickles and the storage headers, no tensor data. */
    public static ModelFile open(Path path, ReadOptions options) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size >= 262 && isTar(ch)) {
                throw new TorchFormatException("a tar-format checkpoint (torch before 0.1.10) is not supported");
            }
            LegacyReader r = new LegacyReader(ch, size, options);
            Object magic = r.next(PickleHooks.NONE);
            if (!MAGIC.equals(magic instanceof Long ? BigInteger.valueOf((Long) magic) : magic)) {
                throw new TorchFormatException("a pickle, but not a torch checkpoint (wrong magic number)");
            }
            Object protocol = r.next(PickleHooks.NONE);
            if (!Long.valueOf(PROTOCOL_VERSION).equals(protocol)) {
                throw new TorchFormatException("unsupported legacy protocol version " + protocol);
            }
            r.next(PickleHooks.NONE); // system info: byte order and type sizes of the writer; data is little-endian anyway

            Map<String, TorchStorage> storages = new LinkedHashMap<>();
            List<StorageView> views = new ArrayList<>();
            TorchPickleHooks hooks = new TorchPickleHooks((key, dtype, numel, pid) ->
                    legacyStorage(ch, storages, views, key, dtype, pid));
            Object root = r.next(hooks);

            Object keys = r.next(PickleHooks.NONE);
            if (!(keys instanceof List)) {
                throw new TorchFormatException("the storage key list is missing");
            }
            long pos = r.position;
            for (Object k : (List<?>) keys) {
                TorchStorage s = storages.get(String.valueOf(k));
                if (s == null) {
                    throw new TorchFormatException("the key list names storage '" + k + "', which the data does not use");
                }
                if (s.isPlaced()) {
                    throw new TorchFormatException("storage '" + k + "' is listed twice");
                }
                if (size - pos < 8) {
                    throw new TorchFormatException("the file ends before storage '" + k + "' (truncated?)");
                }
                long numel = ZipDirectory.readAt(ch, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                long bytes;
                try {
                    bytes = s.dtype.byteSize(numel);
                } catch (ArithmeticException e) {
                    bytes = Long.MAX_VALUE;
                }
                if (numel < 0 || bytes > size - pos - 8) {
                    throw new TorchFormatException("storage '" + k + "' claims " + numel
                            + " elements, beyond the end of the file (truncated?)");
                }
                s.place(pos + 8, bytes);
                pos += 8 + bytes;
            }
            for (StorageView v : views) {
                v.place();
            }
            for (TorchStorage s : storages.values()) {
                if (!s.isPlaced()) {
                    throw new TorchFormatException("storage '" + s.key + "' is used but has no data in the file");
                }
            }
            hooks.checkTensorBounds();
            return new TorchCheckpoint(path, ModelFormat.TORCH_LEGACY, ch, root, r.imports);
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    /** Storages by root key; a view ({@code view_metadata} in the id) is a slice placed after its root. */
    private static TorchStorage legacyStorage(FileChannel ch, Map<String, TorchStorage> storages,
            List<StorageView> views, String key, DType dtype, PyTuple pid) throws IOException {
        TorchStorage root = storages.computeIfAbsent(key, k -> new TorchStorage(k, dtype, ch, false));
        if (root.dtype != dtype) {
            throw new TorchFormatException("storage '" + key + "' is used as both " + root.dtype + " and " + dtype);
        }
        Object viewMetadata = pid.size() > 5 ? pid.get(5) : null;
        if (viewMetadata == null) {
            return root;
        }
        if (!(viewMetadata instanceof PyTuple) || ((PyTuple) viewMetadata).size() != 3
                || !(((PyTuple) viewMetadata).get(1) instanceof Long) || !(((PyTuple) viewMetadata).get(2) instanceof Long)) {
            throw new TorchFormatException("storage '" + key + "' has invalid view metadata");
        }
        PyTuple vm = (PyTuple) viewMetadata;
        String viewKey = "view " + vm.get(0);
        for (StorageView v : views) {
            if (v.view.key.equals(viewKey)) {
                return v.view;
            }
        }
        TorchStorage view = new TorchStorage(viewKey, dtype, ch, false);
        views.add(new StorageView(root, view, (Long) vm.get(1), (Long) vm.get(2)));
        return view;
    }

    private static boolean isTar(FileChannel ch) throws IOException {
        ByteBuffer b = ZipDirectory.readAt(ch, 257, 5);
        return b.get(0) == 'u' && b.get(1) == 's' && b.get(2) == 't' && b.get(3) == 'a' && b.get(4) == 'r';
    }

    /** Runs the pickles one after another, each starting where the previous one stopped. */
    private static final class LegacyReader {
        final FileChannel ch;
        final long size;
        final ReadOptions options;
        long position;
        final List<org.sdmodel.pickle.PickleImport> imports = new ArrayList<>();

        LegacyReader(FileChannel ch, long size, ReadOptions options) {
            this.ch = ch;
            this.size = size;
            this.options = options;
        }

        Object next(PickleHooks hooks) throws IOException {
            PickleInput in = PickleInput.of(ch, position, size - position, options.maxPickleBytes());
            PickleMachine machine = new PickleMachine(in, hooks, options, "");
            Object result = machine.load();
            position += in.consumed();
            for (org.sdmodel.pickle.PickleImport i : machine.imports()) {
                if (!imports.contains(i)) {
                    imports.add(i);
                }
            }
            return result;
        }
    }

    /** {@code view_metadata = (view_key, offset, view_size)}: a storage that is a slice of another. */
    private static final class StorageView {
        final TorchStorage root;
        final TorchStorage view;
        final long offset;
        final long numel;

        StorageView(TorchStorage root, TorchStorage view, long offset, long numel) {
            this.root = root;
            this.view = view;
            this.offset = offset;
            this.numel = numel;
        }

        void place() throws TorchFormatException {
            long es = root.dtype.elementSize();
            if (!root.isPlaced() || offset < 0 || numel < 0 || offset > root.byteLength() / es
                    || numel > root.byteLength() / es - offset) {
                throw new TorchFormatException("storage view '" + view.key + "' reaches outside storage '" + root.key + "'");
            }
            view.place(root.dataOffset() + offset * es, numel * es);
        }
    }
}
