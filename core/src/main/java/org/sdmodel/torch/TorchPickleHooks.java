package org.sdmodel.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.sdmodel.DType;
import org.sdmodel.Tensor;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.internal.PickleHooks;
import org.sdmodel.pickle.PyGlobal;
import org.sdmodel.pickle.PyTuple;

/**
 * What torch adds to a pickle: persistent ids that name storages, and the rebuild functions that
 * turn a storage view into a tensor. Both the zip and the legacy format use these; they differ in
 * how a storage key is found in the file ({@link StorageLocator}).
 */
final class TorchPickleHooks implements PickleHooks {

    /** Finds (or creates, for the legacy format) the storage a persistent id names. */
    interface StorageLocator {
        TorchStorage storage(String key, DType dtype, long declaredNumel, PyTuple pid) throws IOException;
    }

    private final StorageLocator locator;
    private final List<TorchTensor> tensors = new java.util.ArrayList<>();

    TorchPickleHooks(StorageLocator locator) {
        this.locator = locator;
    }

    /** Checks every tensor built so far against its storage; call once all storages are placed. */
    void checkTensorBounds() throws TorchFormatException {
        for (TorchTensor t : tensors) {
            t.checkBounds();
        }
    }

    /** {@code ('storage', storage_type, key, location, numel[, view_metadata])}. */
    @Override
    public Object persistentLoad(Object pid) throws IOException {
        if (!(pid instanceof PyTuple) || ((PyTuple) pid).size() < 5 || !"storage".equals(((PyTuple) pid).get(0))) {
            throw new TorchFormatException("unknown persistent id (expected ('storage', type, key, location, size))");
        }
        PyTuple t = (PyTuple) pid;
        Object type = t.get(1);
        Object key = t.get(2);
        Object numel = t.get(4);
        if (!(type instanceof PyGlobal)) {
            throw new TorchFormatException("a storage's type is not a torch storage class");
        }
        DType dtype = storageDType((PyGlobal) type);
        if (!(key instanceof String) && !(key instanceof Long)) {
            throw new TorchFormatException("a storage key is neither a string nor an int");
        }
        if (!(numel instanceof Long) || (Long) numel < 0) {
            throw new TorchFormatException("storage '" + key + "' has an invalid size");
        }
        return locator.storage(key.toString(), dtype, (Long) numel, t);
    }

    @Override
    public Object call(PyGlobal callable, PyTuple args) throws IOException {
        switch (callable.qualifiedName()) {
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                return rebuildTensor(args, null, callable.name());
            case "torch._utils._rebuild_tensor_v3":
                if (args.size() < 7 || !(args.get(6) instanceof PyGlobal)) {
                    throw new TorchFormatException("_rebuild_tensor_v3 without a dtype");
                }
                return rebuildTensor(args, torchDType((PyGlobal) args.get(6)), callable.name());
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                // A Parameter is its data tensor plus autograd flags, which a checkpoint reader drops.
                return args.isEmpty() ? null : args.get(0);
            case "torch._tensor._rebuild_from_type_v2":
            case "torch._tensor._rebuild_from_type": {
                // (func, new_type, args, state): a tensor subclass; the data is func(*args).
                if (args.size() < 3 || !(args.get(0) instanceof PyGlobal) || !(args.get(2) instanceof PyTuple)) {
                    return null;
                }
                Object inner = call((PyGlobal) args.get(0), (PyTuple) args.get(2));
                return inner instanceof Tensor ? inner : null;
            }
            // torch.Size stays an inert torch.Size object: a shape is one value, not a container to flatten.
            default:
                return null;
        }
    }

    @Override
    public boolean build(Object target, Object state) {
        // _rebuild_parameter_with_state and friends may BUILD python attributes onto a tensor: not data.
        return target instanceof Tensor;
    }

    private Tensor rebuildTensor(PyTuple args, DType dtypeOverride, String fn) throws IOException {
        if (args.size() < 4) {
            throw new TorchFormatException(fn + " with " + args.size() + " arguments (needs at least 4)");
        }
        if (!(args.get(0) instanceof TorchStorage)) {
            throw new TorchFormatException(fn + ": the first argument is not a storage");
        }
        TorchStorage storage = (TorchStorage) args.get(0);
        long offset = toLong(args.get(1), fn + " storage offset");
        long[] shape = toLongs(args.get(2), fn + " size");
        long[] stride = toLongs(args.get(3), fn + " stride");
        DType dtype = dtypeOverride != null ? dtypeOverride : storage.dtype;
        TorchTensor t = new TorchTensor(storage, dtype, offset, shape, stride);
        tensors.add(t);
        return t;
    }

    private static long toLong(Object o, String what) throws TorchFormatException {
        if (o instanceof Long) {
            return (Long) o;
        }
        if (o instanceof BigInteger) {
            throw new TorchFormatException(what + " is too large: " + o);
        }
        throw new TorchFormatException(what + " is not an int");
    }

    private static long[] toLongs(Object o, String what) throws TorchFormatException {
        if (!(o instanceof List)) {
            throw new TorchFormatException(what + " is not a tuple");
        }
        List<?> l = (List<?>) o;
        if (l.size() > 64) {
            throw new TorchFormatException(what + " has " + l.size() + " dimensions (torch allows 64)");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toLong(l.get(i), what);
        }
        return out;
    }

    private static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32),
            Map.entry("DoubleStorage", DType.F64),
            Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("LongStorage", DType.I64),
            Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16),
            Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8),
            Map.entry("BoolStorage", DType.BOOL),
            Map.entry("ComplexFloatStorage", DType.C64),
            Map.entry("UntypedStorage", DType.U8),
            Map.entry("Float8_e5m2Storage", DType.F8_E5M2),
            Map.entry("Float8_e4m3fnStorage", DType.F8_E4M3),
            Map.entry("Float8_e5m2fnuzStorage", DType.F8_E5M2FNUZ),
            Map.entry("Float8_e4m3fnuzStorage", DType.F8_E4M3FNUZ),
            Map.entry("UInt16Storage", DType.U16),
            Map.entry("UInt32Storage", DType.U32),
            Map.entry("UInt64Storage", DType.U64));

    static DType storageDType(PyGlobal type) throws TorchFormatException {
        if (type.module().equals("torch") || type.module().equals("torch.storage") || type.module().equals("torch.cuda")) {
            DType t = STORAGE_TYPES.get(type.name());
            if (t != null) {
                return t;
            }
        }
        throw new TorchFormatException("unsupported storage type " + type.qualifiedName());
    }

    private static final Map<String, DType> TORCH_DTYPES = Map.ofEntries(
            Map.entry("float32", DType.F32), Map.entry("float", DType.F32),
            Map.entry("float64", DType.F64), Map.entry("double", DType.F64),
            Map.entry("float16", DType.F16), Map.entry("half", DType.F16),
            Map.entry("bfloat16", DType.BF16),
            Map.entry("int64", DType.I64), Map.entry("long", DType.I64),
            Map.entry("int32", DType.I32), Map.entry("int", DType.I32),
            Map.entry("int16", DType.I16), Map.entry("short", DType.I16),
            Map.entry("int8", DType.I8), Map.entry("uint8", DType.U8),
            Map.entry("uint16", DType.U16), Map.entry("uint32", DType.U32), Map.entry("uint64", DType.U64),
            Map.entry("bool", DType.BOOL), Map.entry("complex64", DType.C64), Map.entry("cfloat", DType.C64),
            Map.entry("float8_e5m2", DType.F8_E5M2), Map.entry("float8_e4m3fn", DType.F8_E4M3),
            Map.entry("float8_e5m2fnuz", DType.F8_E5M2FNUZ), Map.entry("float8_e4m3fnuz", DType.F8_E4M3FNUZ));

    static DType torchDType(PyGlobal g) throws PickleException {
        DType t = g.module().equals("torch") ? TORCH_DTYPES.get(g.name()) : null;
        if (t == null) {
            throw new PickleException("unsupported tensor dtype " + g.qualifiedName());
        }
        return t;
    }
}
