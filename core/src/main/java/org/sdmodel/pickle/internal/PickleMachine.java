package org.sdmodel.pickle.internal;

import static org.sdmodel.pickle.internal.PickleReader.*;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sdmodel.MemoryLimitException;
import org.sdmodel.ReadOptions;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.pickle.PyBytes;
import org.sdmodel.pickle.PyDict;
import org.sdmodel.pickle.PyGlobal;
import org.sdmodel.pickle.PyObject;
import org.sdmodel.pickle.PyTuple;

/**
 * Interprets a Python pickle (protocols 0 to 5) as data. Every opcode builds plain Java values;
 * a call of a class or function never runs anything: the machine rebuilds the few globals it knows
 * (containers, {@code _codecs.encode}, numpy scalars), asks its {@link PickleHooks} about the rest
 * (torch's tensors), and otherwise records an inert {@link PyObject}.
 *
 * <p>Guards: every length is checked against the bytes left in the pickle before allocation; the
 * mark stack, the memo and the nesting of hashed tuples are limited; nothing recurses on the data,
 * so deep nesting cannot overflow the Java stack.
 */
public final class PickleMachine {
    /**
     * Tuples and frozensets nested deeper than this cannot be hashed (as dict keys or set items)
     * without risking the Java stack: their hashCode and equals recurse.
     */
    static final int MAX_HASHED_TUPLE_DEPTH = 1000;

    private final PickleReader r;
    private final PickleHooks hooks;
    private final ReadOptions options;
    private final String record;
    private final LinkedHashSet<PickleImport> imports = new LinkedHashSet<>();

    private final PickleStack stack;
    // Nesting depth of each tuple and frozenset used as a key, so each is measured once.
    private final Map<Object, Integer> hashDepths = new IdentityHashMap<>();

    /**
     * @param in the pickle's bytes
     * @param hooks what the file format adds (torch storages and tensors)
     * @param options limits, and whether dangerous imports are refused
     * @param record the name of the record the pickle comes from, for messages and {@link PickleImport}
     */
    public PickleMachine(PickleInput in, PickleHooks hooks, ReadOptions options, String record) {
        this.r = new PickleReader(in, Integer.MAX_VALUE);
        this.hooks = hooks;
        this.options = options;
        this.record = record;
        this.stack = new PickleStack(options);
    }

    /** Every import seen so far, in order of first appearance. */
    public List<PickleImport> imports() {
        return Collections.unmodifiableList(new ArrayList<>(imports));
    }

    /**
     * Runs the pickle to its {@code STOP} and returns the object it built.
     *
     * @throws PickleException if the pickle is malformed or truncated
     * @throws MemoryLimitException if a length or index exceeds the limits
     * @throws UnsafeModelException if a dangerous import is seen and such imports are refused
     */
    public Object load() throws IOException {
        while (true) {
            int op = r.next();
            switch (op) {
                case PROTO:
                case FRAME: // the reader checked it
                    break;
                case STOP:
                    return stack.pop("STOP");
                case MARK:
                    stack.pushMark();
                    break;
                case POP:
                    stack.popItemOrMark();
                    break;
                case POP_MARK:
                    stack.popMark("POP_MARK");
                    break;
                case DUP:
                    stack.push(stack.peek("DUP"));
                    break;
                case NONE:
                    stack.push(null);
                    break;
                case NEWTRUE:
                    stack.push(Boolean.TRUE);
                    break;
                case NEWFALSE:
                    stack.push(Boolean.FALSE);
                    break;
                case INT: case LONG: case FLOAT: case BININT: case BININT1: case BININT2: case BINFLOAT:
                case STRING: case BINSTRING: case SHORT_BINSTRING: case UNICODE:
                case BINUNICODE: case SHORT_BINUNICODE: case BINUNICODE8:
                    stack.push(r.value);
                    break;
                case LONG1:
                case LONG4:
                    stack.push(decodeLong(r.payload()));
                    break;
                case BINBYTES:
                case SHORT_BINBYTES:
                case BINBYTES8:
                    stack.push(new PyBytes(r.payload(), false));
                    break;
                case BYTEARRAY8:
                    stack.push(new PyBytes(r.payload(), true));
                    break;
                case EMPTY_LIST:
                    stack.push(new ArrayList<>());
                    break;
                case LIST:
                    stack.push(new ArrayList<>(stack.popMark("LIST")));
                    break;
                case EMPTY_TUPLE:
                    stack.push(PyTuple.empty());
                    break;
                case TUPLE:
                    stack.push(PyTuple.of(stack.popMarkArray("TUPLE")));
                    break;
                case TUPLE1: {
                    Object a = stack.pop("TUPLE1");
                    stack.push(PyTuple.of(a));
                    break;
                }
                case TUPLE2: {
                    Object b = stack.pop("TUPLE2");
                    Object a = stack.pop("TUPLE2");
                    stack.push(PyTuple.of(a, b));
                    break;
                }
                case TUPLE3: {
                    Object c = stack.pop("TUPLE3");
                    Object b = stack.pop("TUPLE3");
                    Object a = stack.pop("TUPLE3");
                    stack.push(PyTuple.of(a, b, c));
                    break;
                }
                case EMPTY_DICT:
                    stack.push(new PyDict());
                    break;
                case DICT: {
                    List<Object> items = stack.popMark("DICT");
                    PyDict d = new PyDict();
                    if (items.size() % 2 != 0) {
                        throw new PickleException("odd number of items for DICT (CPython fails too)");
                    }
                    setItems(d, items, "DICT");
                    stack.push(d);
                    break;
                }
                case EMPTY_SET:
                    stack.push(new LinkedHashSet<>());
                    break;
                case FROZENSET: {
                    List<Object> items = stack.popMark("FROZENSET");
                    Set<Object> s = new LinkedHashSet<>();
                    for (Object o : items) {
                        s.add(checkHashable(o, "FROZENSET"));
                    }
                    stack.push(Collections.unmodifiableSet(s));
                    break;
                }
                case ADDITEMS: {
                    List<Object> items = stack.popMark("ADDITEMS");
                    Object target = stack.peek("ADDITEMS");
                    if (items.isEmpty()) {
                        break; // CPython's load_additems: nothing to do, the target is not looked at
                    }
                    if (!(target instanceof Set) || isFrozen(target)) {
                        throw new PickleException("ADDITEMS on " + typeName(target) + ", not a set");
                    }
                    @SuppressWarnings("unchecked")
                    Set<Object> s = (Set<Object>) target;
                    for (Object o : items) {
                        s.add(checkHashable(o, "ADDITEMS"));
                    }
                    break;
                }
                case APPEND: {
                    Object v = stack.pop("APPEND");
                    append(stack.peek("APPEND"), Collections.singletonList(v));
                    break;
                }
                case APPENDS: {
                    List<Object> items = stack.popMark("APPENDS");
                    Object target = stack.peek("APPENDS");
                    if (!items.isEmpty()) { // CPython's do_append: nothing to do, the target is not looked at
                        append(target, items);
                    }
                    break;
                }
                case SETITEM: {
                    Object v = stack.pop("SETITEM");
                    Object k = stack.pop("SETITEM");
                    setItems(stack.peek("SETITEM"), Arrays.asList(k, v), "SETITEM");
                    break;
                }
                case SETITEMS: {
                    List<Object> items = stack.popMark("SETITEMS");
                    Object target = stack.peek("SETITEMS");
                    if (items.size() % 2 != 0) {
                        throw new PickleException("odd number of items for SETITEMS (CPython fails too)");
                    }
                    if (!items.isEmpty()) { // CPython's do_setitems: nothing to do, the target is not looked at
                        setItems(target, items, "SETITEMS");
                    }
                    break;
                }
                case GLOBAL:
                    stack.push(global(r.module, r.name));
                    break;
                case STACK_GLOBAL: {
                    Object name = stack.pop("STACK_GLOBAL");
                    Object module = stack.pop("STACK_GLOBAL");
                    if (isCallResult(module) || isCallResult(name)) {
                        // Python would import whatever the call returned: anything at all.
                        stack.push(computedGlobal());
                        break;
                    }
                    if (!(module instanceof String) || !(name instanceof String)) {
                        throw new PickleException("STACK_GLOBAL needs two strings, got "
                                + typeName(module) + " and " + typeName(name) + " (CPython fails too)");
                    }
                    stack.push(global((String) module, (String) name));
                    break;
                }
                case INST: {
                    List<Object> args = stack.popMark("INST");
                    PyGlobal cls = global(r.module, r.name);
                    stack.push(call(cls, PyTuple.of(args)));
                    break;
                }
                case OBJ: {
                    List<Object> items = stack.popMark("OBJ");
                    if (items.isEmpty()) {
                        throw new PickleException("OBJ without a class (CPython fails too)");
                    }
                    stack.push(call(items.get(0), PyTuple.of(items.subList(1, items.size()))));
                    break;
                }
                case REDUCE: {
                    Object args = stack.pop("REDUCE");
                    Object callable = stack.pop("REDUCE");
                    stack.push(call(callable, asTuple(args, "REDUCE")));
                    break;
                }
                case NEWOBJ: {
                    Object args = stack.pop("NEWOBJ");
                    Object cls = stack.pop("NEWOBJ");
                    stack.push(call(cls, asTuple(args, "NEWOBJ")));
                    break;
                }
                case NEWOBJ_EX: {
                    stack.pop("NEWOBJ_EX"); // keyword arguments: recorded nowhere, as the placeholder needs only the class
                    Object args = stack.pop("NEWOBJ_EX");
                    Object cls = stack.pop("NEWOBJ_EX");
                    stack.push(call(cls, asTuple(args, "NEWOBJ_EX")));
                    break;
                }
                case BUILD: {
                    Object state = stack.pop("BUILD");
                    build(stack.peek("BUILD"), state);
                    break;
                }
                case PERSID:
                    stack.push(hooks.persistentLoad(r.value));
                    break;
                case BINPERSID:
                    stack.push(hooks.persistentLoad(stack.pop("BINPERSID")));
                    break;
                case READONLY_BUFFER: {
                    // CPython's load_readonly_buffer: a memoryview of the top item; bytes stay as they
                    // are, a bytearray becomes a read-only view; an object without the buffer protocol fails.
                    Object top = stack.peek("READONLY_BUFFER");
                    if (top instanceof PyBytes) {
                        if (((PyBytes) top).isBytearray()) {
                            stack.pop("READONLY_BUFFER");
                            stack.push(new PyBytes(((PyBytes) top).data(), false));
                        }
                    } else if (!(top instanceof PyObject)) {
                        throw new PickleException("READONLY_BUFFER on " + typeName(top)
                                + ", which has no buffer (CPython fails too)");
                    }
                    break;
                }
                default:
                    if (!stack.memoOpcode(op, r.index)) {
                        throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " read but not handled");
                    }
            }
        }
    }

    // ---- the memo ----

    // ---- globals and calls ----

    private PyGlobal global(String module, String name) throws IOException {
        return checked(new PickleImport(module, name, record, r.protocol(), options.importPolicy()));
    }

    private PyGlobal computedGlobal() throws IOException {
        return checked(PickleImport.computed(record));
    }

    /** What an unknown global or a call of one made: in Python it could be any object, a str included. */
    private static boolean isCallResult(Object o) {
        return o instanceof PyObject || o instanceof PyGlobal;
    }

    private PyGlobal checked(PickleImport imp) throws IOException {
        imports.add(imp);
        if (!options.allowDangerousImports() && (imp.safety() == ImportSafety.DANGEROUS
                || imp.safety() == ImportSafety.NOT_ALLOWED && options.refuseNotAllowedImports())) {
            throw new UnsafeModelException(imp);
        }
        return new PyGlobal(imp.module(), imp.name());
    }

    private Object call(Object callable, PyTuple args) throws IOException {
        if (!(callable instanceof PyGlobal)) {
            // Calling an instance or a value: keep it as data, as no Python type is involved.
            return new PyObject(new PyGlobal("", "<call of " + typeName(callable) + ">"), args);
        }
        PyGlobal g = (PyGlobal) callable;
        Object builtin = callBuiltin(g, args);
        if (builtin != null) {
            return builtin;
        }
        Object hooked = hooks.call(g, args);
        if (hooked != null) {
            return hooked;
        }
        return new PyObject(g, args);
    }

    /** The Python library globals checkpoints use, rebuilt as data. Null if not one of them. */
    private Object callBuiltin(PyGlobal g, PyTuple args) throws IOException {
        String module = g.module().equals("__builtin__") ? "builtins" : g.module();
        String q = module + "." + g.name();
        switch (q) {
            case "collections.OrderedDict":
            case "builtins.dict":
            case "collections.defaultdict": {
                PyDict d = new PyDict(q.equals("builtins.dict") ? "dict" : q);
                // OrderedDict(iterable_of_pairs) is legal; torch passes no arguments.
                if (q.equals("collections.OrderedDict") && args.size() == 1 && args.get(0) instanceof List) {
                    for (Object pair : (List<?>) args.get(0)) {
                        if (pair instanceof List && ((List<?>) pair).size() == 2) {
                            d.put(checkHashable(((List<?>) pair).get(0), "OrderedDict"), ((List<?>) pair).get(1));
                        }
                    }
                }
                return d;
            }
            case "builtins.set":
            case "builtins.frozenset": {
                Set<Object> s = new LinkedHashSet<>();
                if (args.size() == 1 && args.get(0) instanceof List) {
                    for (Object o : (List<?>) args.get(0)) {
                        s.add(checkHashable(o, g.name()));
                    }
                }
                return g.name().equals("frozenset") ? Collections.unmodifiableSet(s) : s;
            }
            case "builtins.bytes":
            case "builtins.bytearray": {
                // bytes(), bytes(b'..'), bytes('..', 'latin-1'), bytes([1, 2]): how protocols 0-2 write them.
                boolean mutable = g.name().equals("bytearray");
                if (args.isEmpty()) {
                    return new PyBytes(new byte[0], mutable);
                }
                Object a = args.get(0);
                if (a instanceof PyBytes) {
                    return new PyBytes(((PyBytes) a).data(), mutable);
                }
                if (a instanceof String && args.size() >= 2) {
                    return new PyBytes(encode((String) a, args.get(1)), mutable);
                }
                if (a instanceof List) {
                    List<?> ints = (List<?>) a;
                    byte[] out = new byte[ints.size()];
                    for (int i = 0; i < out.length; i++) {
                        if (!(ints.get(i) instanceof Long) || (Long) ints.get(i) < 0 || (Long) ints.get(i) > 255) {
                            return null;
                        }
                        out[i] = (byte) (long) (Long) ints.get(i);
                    }
                    return new PyBytes(out, mutable);
                }
                return null;
            }
            case "_codecs.encode": {
                if (args.isEmpty() || !(args.get(0) instanceof String)) {
                    return null;
                }
                return new PyBytes(encode((String) args.get(0), args.size() > 1 ? args.get(1) : "utf-8"), false);
            }
            case "numpy.core.multiarray.scalar":
            case "numpy._core.multiarray.scalar":
                return NumpyScalars.scalar(args);
            default:
                return null;
        }
    }

    private static byte[] encode(String s, Object encoding) throws PickleException {
        String enc = String.valueOf(encoding).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        if (enc.equals("latin1") || enc.equals("latin-1") || enc.equals("iso-8859-1")) {
            byte[] out = new byte[s.length()];
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c > 0xFF) {
                    throw new PickleException("_codecs.encode: character U+" + Integer.toHexString(c) + " is not latin-1");
                }
                out[i] = (byte) c;
            }
            return out;
        }
        if (enc.equals("utf-8") || enc.equals("utf8")) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (enc.equals("ascii")) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
        throw new PickleException("_codecs.encode with unsupported encoding " + abbreviate(enc));
    }

    private void build(Object target, Object state) throws IOException {
        if (hooks.build(target, state)) {
            return;
        }
        if (target instanceof PyObject) {
            ((PyObject) target).setState(state);
        } else if (target instanceof PyDict) {
            // OrderedDict's state is its instance __dict__ (torch: {'_metadata': ...}); entries stay.
            Object dictState = state;
            if (state instanceof PyTuple && ((PyTuple) state).size() == 2) {
                dictState = ((PyTuple) state).get(0);
            }
            if (dictState instanceof Map) {
                ((PyDict) target).attributes().putAll((Map<?, ?>) dictState);
            }
        }
        // Other targets (lists, tensors without hooks) keep their value; the state is dropped.
    }

    private void append(Object target, List<Object> items) throws PickleException {
        if (target instanceof List && !(target instanceof PyTuple)) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) target;
            list.addAll(items);
        } else if (target instanceof PyObject) {
            ((PyObject) target).listItems().addAll(items);
        } else if (target instanceof Set) {
            throw new PickleException("APPEND on a set");
        } else {
            throw new PickleException("APPEND on " + typeName(target) + ", not a list");
        }
    }

    private void setItems(Object target, List<Object> items, String op) throws PickleException {
        if (items.size() % 2 != 0) {
            throw new PickleException(op + " with an odd number of items");
        }
        Map<Object, Object> map;
        if (target instanceof PyDict) {
            map = (PyDict) target;
        } else if (target instanceof PyObject) {
            map = ((PyObject) target).dictItems();
        } else {
            throw new PickleException(op + " on " + typeName(target) + ", not a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            map.put(checkHashable(items.get(i), op), items.get(i + 1));
        }
    }

    /**
     * Python refuses unhashable keys; refusing them too keeps Java's recursive hashCode off deep
     * lists. Tuples and frozensets are hashable, so their nesting is bounded instead.
     */
    private Object checkHashable(Object key, String op) throws PickleException {
        if (key instanceof PyTuple || key instanceof Set && isFrozen(key)) {
            int depth = hashDepth(key, op);
            if (depth > MAX_HASHED_TUPLE_DEPTH) {
                throw new PickleException(op + ": a dict key or set item nests tuples or frozensets " + depth
                        + " deep (limit " + MAX_HASHED_TUPLE_DEPTH + ")");
            }
            return key;
        }
        if (key instanceof PyDict || key instanceof Set
                || key instanceof List || key instanceof PyBytes && ((PyBytes) key).isBytearray()) {
            throw new PickleException(op + ": unhashable " + typeName(key) + " used as a dict key or set item");
        }
        return key;
    }

    /**
     * How deeply tuples and frozensets nest in {@code root} (1 for one holding neither), measured
     * without recursion; also refuses an unhashable item anywhere inside, as Python's hash would.
     * Both are immutable, so each one's depth is computed once.
     */
    private int hashDepth(Object root, String op) throws PickleException {
        Deque<Object> work = new ArrayDeque<>();
        work.push(root);
        while (!work.isEmpty()) {
            Object top = work.peek();
            if (hashDepths.containsKey(top)) {
                work.pop();
                continue;
            }
            int deepest = 0;
            boolean ready = true;
            for (Object item : (Iterable<?>) top) {
                if (item instanceof PyTuple || item instanceof Set && isFrozen(item)) {
                    Integer d = hashDepths.get(item);
                    if (d == null) {
                        work.push(item);
                        ready = false;
                    } else {
                        deepest = Math.max(deepest, d);
                    }
                } else {
                    checkHashable(item, op);
                }
            }
            if (ready) {
                work.pop();
                hashDepths.put(top, deepest + 1);
            }
        }
        return hashDepths.get(root);
    }

    private static boolean isFrozen(Object set) {
        return set.getClass().getName().contains("Unmodifiable");
    }

    private static PyTuple asTuple(Object args, String op) throws PickleException {
        if (args instanceof PyTuple) {
            return (PyTuple) args;
        }
        if (args instanceof List) { // some writers use lists; Python would accept any iterable for NEWOBJ args
            return PyTuple.of((List<?>) args);
        }
        throw new PickleException(op + " arguments are " + typeName(args) + ", not a tuple");
    }

    // ---- numbers and strings ----

    /** Little-endian two's complement, as LONG1 and LONG4 store it. */
    static Object decodeLong(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof PyTuple) {
            return "a tuple";
        }
        if (o instanceof PyDict) {
            return "a dict";
        }
        if (o instanceof List) {
            return "a list";
        }
        if (o instanceof Set) {
            return "a set";
        }
        if (o instanceof String) {
            return "a str";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "an int";
        }
        if (o instanceof Double) {
            return "a float";
        }
        if (o instanceof Boolean) {
            return "a bool";
        }
        if (o instanceof PyBytes) {
            return ((PyBytes) o).isBytearray() ? "a bytearray" : "bytes";
        }
        if (o instanceof PyGlobal) {
            return "the global " + ((PyGlobal) o).qualifiedName();
        }
        if (o instanceof PyObject) {
            return "a " + ((PyObject) o).type().qualifiedName() + " object";
        }
        return "a " + o.getClass().getSimpleName();
    }

    static String abbreviate(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        StringBuilder sb = new StringBuilder();
        for (char c : t.toCharArray()) {
            sb.append(c < 0x20 || c > 0x7E ? '?' : c);
        }
        return "'" + sb + "'";
    }

    /** numpy scalars as the checkpoints' callbacks and hyper-parameters hold them. */
    static final class NumpyScalars {
        private NumpyScalars() {
        }

        /** {@code numpy.core.multiarray.scalar(dtype, bytes)}: a Java number, or null to keep a placeholder. */
        static Object scalar(PyTuple args) {
            if (args.size() < 2 || !(args.get(0) instanceof PyObject) || !(args.get(1) instanceof PyBytes)) {
                return null;
            }
            PyObject dtype = (PyObject) args.get(0);
            if (!dtype.type().name().equals("dtype") || dtype.args().isEmpty() || !(dtype.args().get(0) instanceof String)) {
                return null;
            }
            String code = (String) dtype.args().get(0);
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            if (dtype.state() instanceof PyTuple && ((PyTuple) dtype.state()).size() > 1
                    && ">".equals(((PyTuple) dtype.state()).get(1))) {
                order = ByteOrder.BIG_ENDIAN;
            }
            byte[] data = ((PyBytes) args.get(1)).data();
            ByteBuffer b = ByteBuffer.wrap(data).order(order);
            try {
                switch (code) {
                    case "f8": return b.getDouble();
                    case "f4": return (double) b.getFloat();
                    case "i8": return b.getLong();
                    case "i4": return (long) b.getInt();
                    case "i2": return (long) b.getShort();
                    case "i1": return (long) b.get();
                    case "u1": return (long) (b.get() & 0xFF);
                    case "u2": return (long) (b.getShort() & 0xFFFF);
                    case "u4": return b.getInt() & 0xFFFFFFFFL;
                    case "b1": return b.get() != 0;
                    default: return null;
                }
            } catch (java.nio.BufferUnderflowException e) {
                return null;
            }
        }
    }
}
