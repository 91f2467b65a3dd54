package org.sdmodel.pickle;

import java.util.Locale;
import java.util.Set;

/**
 * How an import found in a pickle is classified. sdmodel never runs any of them; the class tells a
 * user whether loading the file with Python's {@code pickle} (as {@code torch.load} does without
 * {@code weights_only}) would be safe.
 */
public enum ImportSafety {
    /** What checkpoints legitimately use: torch's rebuild functions and storage types, containers, numpy scalars. */
    SAFE,
    /** Anything not known either way: harmless to sdmodel (it becomes an inert placeholder), but not vouched for. */
    UNKNOWN,
    /** Code execution or system access. */
    DANGEROUS;

    /** Lower-case label for output. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    // Whole modules (and every module below them) that give code execution or system access,
    // including the Python 2 names that pickle's fix_imports maps onto them (cPickle -> pickle).
    private static final Set<String> DANGEROUS_MODULES = Set.of(
            "os", "posix", "nt", "subprocess", "_posixsubprocess", "sys", "socket", "_socket",
            "socketserver", "SocketServer", "ssl", "shutil", "runpy", "pty", "pickle", "_pickle",
            "cPickle", "pdb", "bdb", "asyncio", "webbrowser", "requests", "urllib", "urllib2",
            "httplib", "http", "BaseHTTPServer", "SimpleHTTPServer", "CGIHTTPServer", "xmlrpc",
            "xmlrpclib", "SimpleXMLRPCServer", "DocXMLRPCServer", "ftplib", "telnetlib", "smtplib",
            "importlib", "pkgutil", "ctypes", "code", "codeop", "commands", "multiprocessing",
            "signal", "tempfile", "glob", "platform", "marshal", "shelve", "dill", "cloudpickle",
            "joblib", "types", "inspect", "timeit", "profile", "cProfile", "trace", "doctest",
            "pydoc", "idlelib", "ensurepip", "sqlite3", "zipimport", "imp", "site", "distutils",
            "setuptools", "pip", "venv", "threading", "_thread", "thread", "dummy_thread", "select",
            "mmap", "fcntl", "resource", "pwd", "grp", "spwd", "crypt", "termios", "tty", "winreg",
            "_winreg", "_winapi", "msvcrt", "io", "_io", "StringIO", "cStringIO", "fileinput",
            "tarfile", "zipfile", "gzip", "bz2", "lzma", "aiohttp", "httpx", "paramiko",
            "logging.config", "numpy.ctypeslib", "torch.hub", "torch.package",
            "torch.utils.cpp_extension", "torch.distributed.rpc");

    // Single names in otherwise harmless modules (builtins also as Python 2's __builtin__, where
    // fix_imports maps reduce to functools.reduce and intern to sys.intern).
    private static final Set<String> DANGEROUS_NAMES = Set.of(
            "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open", "builtins.getattr",
            "builtins.setattr", "builtins.delattr", "builtins.__import__", "builtins.apply",
            "builtins.breakpoint", "builtins.input", "builtins.globals", "builtins.locals",
            "builtins.vars", "builtins.memoryview", "builtins.execfile", "builtins.file",
            "builtins.reload", "builtins.help", "builtins.exit", "builtins.quit", "builtins.reduce",
            "builtins.intern", "operator.attrgetter", "operator.methodcaller", "operator.itemgetter",
            "_operator.attrgetter", "_operator.methodcaller", "_operator.itemgetter",
            "functools.partial", "functools.reduce", "_functools.partial", "_functools.reduce",
            "torch.load", "torch.serialization.load", "torch._C._load_for_lite_interpreter",
            "torch.jit.load", "torch.jit._serialization.load", "numpy.load",
            "numpy.testing._private.utils.runstring", "numpy.f2py.compile", "_codecs.open",
            "codecs.open", "pandas.read_pickle", "torch.storage._load_from_bytes",
            "collections._collections_abc._call_with_frames_removed");

    // Names that, as attributes, reach one of the above (torch.os.system, x.eval): a dotted name
    // is resolved attribute by attribute (protocol 4), so any step may land on them.
    private static final Set<String> DANGEROUS_ATTRIBUTES = Set.of(
            "os", "posix", "nt", "sys", "subprocess", "builtins", "__builtin__", "importlib",
            "eval", "exec", "compile", "open", "getattr", "setattr", "system", "popen", "load");

    private static final Set<String> SAFE_NAMES = Set.of(
            "collections.OrderedDict", "collections.defaultdict", "_codecs.encode",
            "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.slice",
            "builtins.complex", "builtins.range", "builtins.object", "builtins.int",
            "builtins.float", "builtins.str", "builtins.bytes", "builtins.tuple", "builtins.list",
            "builtins.dict", "builtins.bool",
            "torch.Size", "torch.device", "torch.dtype", "torch.strided", "torch.sparse_coo",
            "torch.nn.parameter.Parameter", "torch.Tensor", "torch.tensor",
            "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type",
            "torch.serialization._get_layout", "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
            "torch._utils._rebuild_device_tensor_from_numpy", "torch._utils._rebuild_qtensor",
            "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_nested_tensor",
            "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
            "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
            "numpy.dtype", "numpy.ndarray", "numpy.dtypes.Float64DType",
            "numpy.dtypes.Float32DType", "numpy.dtypes.Int64DType", "numpy.dtypes.Int32DType",
            "argparse.Namespace", "__builtin__.set", "__builtin__.frozenset",
            "__builtin__.bytearray", "__builtin__.object", "copy_reg._reconstructor",
            "copyreg._reconstructor", "pathlib.PosixPath", "pathlib.WindowsPath",
            "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer");

    private static final Set<String> TORCH_STORAGE_TYPES = Set.of(
            "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
            "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
            "ComplexFloatStorage", "ComplexDoubleStorage", "UntypedStorage", "TypedStorage",
            "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage");

    private static final Set<String> TORCH_DTYPES = Set.of(
            "float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8",
            "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "long",
            "int", "short", "complex64", "complex128", "cfloat", "cdouble", "float8_e5m2",
            "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2fnuz");

    /**
     * Classifies {@code module.name}. A module or name that is not a dotted Python identifier is
     * dangerous: no real checkpoint has one, so it is tampering, or an import {@code scan} could
     * not resolve because the pickle computes it at load time (see {@link PickleImport#computed}).
     */
    public static ImportSafety classify(String module, String name) {
        if (!isDottedIdentifier(module) || !isDottedIdentifier(name)) {
            return DANGEROUS;
        }
        String canonicalModule = module.equals("__builtin__") ? "builtins" : module;
        String canonical = canonicalModule + "." + name;
        if (isInDangerousModule(canonicalModule) || reachesDangerousName(canonicalModule, name)) {
            return DANGEROUS;
        }
        if (SAFE_NAMES.contains(module + "." + name) || SAFE_NAMES.contains(canonical)) {
            return SAFE;
        }
        if (name.indexOf('.') >= 0) {
            return UNKNOWN; // an attribute of a class (a method, a nested class): never vouched for
        }
        if ((module.equals("torch") || module.equals("torch.storage") || module.equals("torch.cuda"))
                && (TORCH_STORAGE_TYPES.contains(name) || TORCH_DTYPES.contains(name))) {
            return SAFE;
        }
        if (module.startsWith("pytorch_lightning.callbacks") || module.startsWith("lightning.pytorch.callbacks")
                || module.startsWith("lightning.fabric")) {
            return SAFE;
        }
        return UNKNOWN;
    }

    /**
     * Whether {@code module.name}, or any attribute on the way to it, is a dangerous name:
     * {@code builtins.eval}, and since protocol 4 resolves dotted names attribute by attribute,
     * also {@code torch.serialization.load} written as module {@code torch}, {@code torch.os.system},
     * or a dunder like {@code __globals__} that leads out of any module.
     */
    private static boolean reachesDangerousName(String module, String name) {
        String path = module;
        int from = 0;
        boolean dotted = name.indexOf('.') >= 0;
        while (true) {
            int dot = name.indexOf('.', from);
            String part = dot < 0 ? name.substring(from) : name.substring(from, dot);
            path = path + "." + part;
            if (DANGEROUS_NAMES.contains(path) || isInDangerousModule(path)) {
                return true;
            }
            if (dotted && (DANGEROUS_ATTRIBUTES.contains(part) || part.startsWith("__") && part.endsWith("__")
                    || module.equals("pathlib"))) {
                return true; // pathlib: a path's methods write, delete and rename files
            }
            if (dot < 0) {
                return false;
            }
            from = dot + 1;
        }
    }

    /** {@code a.b.c} where each part is a Python identifier (letters, digits, underscores, Unicode letters). */
    static boolean isDottedIdentifier(String s) {
        if (s.isEmpty()) {
            return false;
        }
        boolean start = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == '.') {
                if (start) {
                    return false; // empty part
                }
                start = true;
            } else if (start ? cp == '_' || Character.isUnicodeIdentifierStart(cp)
                    : cp == '_' || Character.isUnicodeIdentifierPart(cp) && !Character.isIdentifierIgnorable(cp)) {
                start = false;
            } else {
                return false;
            }
            i += Character.charCount(cp);
        }
        return !start;
    }

    private static boolean isInDangerousModule(String module) {
        String m = module;
        while (true) {
            if (DANGEROUS_MODULES.contains(m)) {
                return true;
            }
            int dot = m.lastIndexOf('.');
            if (dot < 0) {
                return false;
            }
            m = m.substring(0, dot);
        }
    }
}
