package org.sdmodel.pickle;

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
    // Opcodes, named as in CPython's pickle.py.
    static final int MARK = '(';
    static final int STOP = '.';
    static final int POP = '0';
    static final int POP_MARK = '1';
    static final int DUP = '2';
    static final int FLOAT = 'F';
    static final int INT = 'I';
    static final int BININT = 'J';
    static final int BININT1 = 'K';
    static final int LONG = 'L';
    static final int BININT2 = 'M';
    static final int NONE = 'N';
    static final int PERSID = 'P';
    static final int BINPERSID = 'Q';
    static final int REDUCE = 'R';
    static final int STRING = 'S';
    static final int BINSTRING = 'T';
    static final int SHORT_BINSTRING = 'U';
    static final int UNICODE = 'V';
    static final int BINUNICODE = 'X';
    static final int APPEND = 'a';
    static final int BUILD = 'b';
    static final int GLOBAL = 'c';
    static final int DICT = 'd';
    static final int EMPTY_DICT = '}';
    static final int APPENDS = 'e';
    static final int GET = 'g';
    static final int BINGET = 'h';
    static final int INST = 'i';
    static final int LONG_BINGET = 'j';
    static final int LIST = 'l';
    static final int EMPTY_LIST = ']';
    static final int OBJ = 'o';
    static final int PUT = 'p';
    static final int BINPUT = 'q';
    static final int LONG_BINPUT = 'r';
    static final int SETITEM = 's';
    static final int TUPLE = 't';
    static final int EMPTY_TUPLE = ')';
    static final int SETITEMS = 'u';
    static final int BINFLOAT = 'G';
    static final int PROTO = 0x80;
    static final int NEWOBJ = 0x81;
    static final int EXT1 = 0x82;
    static final int EXT2 = 0x83;
    static final int EXT4 = 0x84;
    static final int TUPLE1 = 0x85;
    static final int TUPLE2 = 0x86;
    static final int TUPLE3 = 0x87;
    static final int NEWTRUE = 0x88;
    static final int NEWFALSE = 0x89;
    static final int LONG1 = 0x8a;
    static final int LONG4 = 0x8b;
    static final int BINBYTES = 'B';
    static final int SHORT_BINBYTES = 'C';
    static final int SHORT_BINUNICODE = 0x8c;
    static final int BINUNICODE8 = 0x8d;
    static final int BINBYTES8 = 0x8e;
    static final int EMPTY_SET = 0x8f;
    static final int ADDITEMS = 0x90;
    static final int FROZENSET = 0x91;
    static final int NEWOBJ_EX = 0x92;
    static final int STACK_GLOBAL = 0x93;
    static final int MEMOIZE = 0x94;
    static final int FRAME = 0x95;
    static final int BYTEARRAY8 = 0x96;
    static final int NEXT_BUFFER = 0x97;
    static final int READONLY_BUFFER = 0x98;

    /**
     * Tuples and frozensets nested deeper than this cannot be hashed (as dict keys or set items)
     * without risking the Java stack: their hashCode and equals recurse.
     */
    static final int MAX_HASHED_TUPLE_DEPTH = 1000;

    /** Python's limit on the digits of an int parsed from text (sys.get_int_max_str_digits, 3.11+). */
    static final int MAX_INT_DIGITS = 4300;

    private final PickleInput in;
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
        this.in = in;
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
            int op = in.readByte();
            switch (op) {
                case PROTO: {
                    int version = in.readByte();
                    if (version > 5) {
                        throw new PickleException("unsupported pickle protocol " + version + " (0 to 5 are known)");
                    }
                    break;
                }
                case FRAME: {
                    long len = in.readLittleEndian(8);
                    if (len < 0 || len > in.remaining()) {
                        throw new PickleException("a frame claims " + Long.toUnsignedString(len)
                                + " bytes but only " + in.remaining() + " remain (truncated or corrupt)");
                    }
                    break;
                }
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
                case INT: {
                    String line = in.readLine("INT");
                    if (line.equals("01")) {
                        stack.push(Boolean.TRUE);
                    } else if (line.equals("00")) {
                        stack.push(Boolean.FALSE);
                    } else {
                        stack.push(parseInt(line, "INT"));
                    }
                    break;
                }
                case LONG: {
                    String line = in.readLine("LONG");
                    if (line.endsWith("L")) {
                        line = line.substring(0, line.length() - 1);
                    }
                    stack.push(parseInt(line, "LONG"));
                    break;
                }
                case BININT:
                    stack.push((long) (int) in.readLittleEndian(4));
                    break;
                case BININT1:
                    stack.push((long) in.readByte());
                    break;
                case BININT2:
                    stack.push(in.readLittleEndian(2));
                    break;
                case LONG1:
                    stack.push(decodeLong(in.readBytes(in.readByte(), "LONG1")));
                    break;
                case LONG4:
                    stack.push(decodeLong(in.readBytes((int) in.readLittleEndian(4), "LONG4")));
                    break;
                case FLOAT:
                    stack.push(parseFloat(in.readLine("FLOAT")));
                    break;
                case BINFLOAT:
                    stack.push(Double.longBitsToDouble(Long.reverseBytes(in.readLittleEndian(8))));
                    break;
                case STRING:
                    stack.push(decodePython2String(unquote(in.readLine("STRING"))));
                    break;
                case BINSTRING:
                    stack.push(decodePython2String(in.readBytes(readSignedLength4(), "BINSTRING")));
                    break;
                case SHORT_BINSTRING:
                    stack.push(decodePython2String(in.readBytes(in.readByte(), "SHORT_BINSTRING")));
                    break;
                case UNICODE:
                    stack.push(decodeRawUnicodeEscape(in.readLine("UNICODE")));
                    break;
                case BINUNICODE:
                    stack.push(utf8(in.readBytes(in.readLittleEndian(4), "BINUNICODE")));
                    break;
                case SHORT_BINUNICODE:
                    stack.push(utf8(in.readBytes(in.readByte(), "SHORT_BINUNICODE")));
                    break;
                case BINUNICODE8:
                    stack.push(utf8(in.readBytes(in.readLength8("BINUNICODE8"), "BINUNICODE8")));
                    break;
                case BINBYTES:
                    stack.push(new PyBytes(in.readBytes(in.readLittleEndian(4), "BINBYTES"), false));
                    break;
                case SHORT_BINBYTES:
                    stack.push(new PyBytes(in.readBytes(in.readByte(), "SHORT_BINBYTES"), false));
                    break;
                case BINBYTES8:
                    stack.push(new PyBytes(in.readBytes(in.readLength8("BINBYTES8"), "BINBYTES8"), false));
                    break;
                case BYTEARRAY8:
                    stack.push(new PyBytes(in.readBytes(in.readLength8("BYTEARRAY8"), "BYTEARRAY8"), true));
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
                    stack.push(PyTuple.of(stack.popMark("TUPLE")));
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
                    append(stack.peek("APPENDS"), items);
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
                    setItems(stack.peek("SETITEMS"), items, "SETITEMS");
                    break;
                }
                case GLOBAL: {
                    String module = in.readLine("GLOBAL module");
                    String name = in.readLine("GLOBAL name");
                    stack.push(global(module, name));
                    break;
                }
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
                                + typeName(module) + " and " + typeName(name));
                    }
                    stack.push(global((String) module, (String) name));
                    break;
                }
                case INST: {
                    String module = in.readLine("INST module");
                    String name = in.readLine("INST name");
                    PyGlobal cls = global(module, name);
                    List<Object> args = stack.popMark("INST");
                    stack.push(call(cls, PyTuple.of(args)));
                    break;
                }
                case OBJ: {
                    List<Object> items = stack.popMark("OBJ");
                    if (items.isEmpty()) {
                        throw new PickleException("OBJ without a class");
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
                    stack.push(hooks.persistentLoad(decodeRawUnicodeEscape(in.readLine("PERSID"))));
                    break;
                case BINPERSID:
                    stack.push(hooks.persistentLoad(stack.pop("BINPERSID")));
                    break;
                case EXT1:
                case EXT2:
                case EXT4:
                    throw new PickleException("the pickle uses the copyreg extension registry (opcode 0x"
                            + Integer.toHexString(op) + "), which checkpoints never use");
                case NEXT_BUFFER:
                case READONLY_BUFFER:
                    throw new PickleException("the pickle uses out-of-band buffers (protocol 5), which checkpoints never use");
                default:
                    if (!stack.memoOpcode(op, in)) {
                        throw new PickleException("invalid pickle opcode 0x" + Integer.toHexString(op)
                                + " at byte " + (in.consumed() - 1));
                    }
            }
        }
    }

    // ---- the memo ----

    static long parseMemoIndex(String line) throws PickleException {
        try {
            return Long.parseLong(line.trim());
        } catch (NumberFormatException e) {
            throw new PickleException("invalid memo index " + abbreviate(line));
        }
    }

    // ---- globals and calls ----

    private PyGlobal global(String module, String name) throws IOException {
        return checked(new PickleImport(module, name, record));
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
        if (imp.safety() == ImportSafety.DANGEROUS && !options.allowDangerousImports()) {
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

    private long readSignedLength4() throws IOException {
        long n = (int) in.readLittleEndian(4);
        if (n < 0) {
            throw new PickleException("negative string length " + n);
        }
        return n;
    }

    /** Python's repr of a float: Java's syntax except for inf, -inf and nan. */
    private static double parseFloat(String line) throws PickleException {
        String s = line.trim();
        switch (s) {
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            case "nan":
            case "-nan":
                return Double.NaN;
            default:
                break;
        }
        if (s.isEmpty() || !s.matches("[-+0-9.eE]+")) {
            throw new PickleException("FLOAT with an invalid number: " + abbreviate(line));
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new PickleException("FLOAT with an invalid number: " + abbreviate(line));
        }
    }

    private static Object parseInt(String line, String op) throws PickleException {
        String s = line.trim();
        int digits = s.length() - (s.startsWith("-") || s.startsWith("+") ? 1 : 0);
        if (digits > MAX_INT_DIGITS) {
            // Parsing is quadratic in the digits: a megabyte of them would take minutes.
            throw new PickleException(op + " with a number of " + digits + " digits (Python's limit is "
                    + MAX_INT_DIGITS + ")");
        }
        try {
            BigInteger v = new BigInteger(s);
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw new PickleException(op + " with an invalid number: " + abbreviate(line));
        }
    }

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

    static String utf8(byte[] b) throws PickleException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            // Python's pickle decodes with surrogatepass; invalid UTF-8 is corruption.
            throw new PickleException("a string is not valid UTF-8");
        }
    }

    /** Python 2 {@code str}: torch.load decodes it as UTF-8; latin-1 keeps any other bytes. */
    static Object decodePython2String(byte[] b) {
        try {
            return utf8(b);
        } catch (PickleException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    static Object decodePython2String(String quotedContent) {
        return decodePython2String(unescapePythonString(quotedContent));
    }

    static String unquote(String line) throws PickleException {
        String s = line;
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        throw new PickleException("STRING argument is not quoted: " + abbreviate(line));
    }

    /** Decodes Python string-escape sequences of a protocol 0 STRING. */
    private static byte[] unescapePythonString(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                out.write(c & 0xFF);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n': out.write('\n'); break;
                case 't': out.write('\t'); break;
                case 'r': out.write('\r'); break;
                case 'a': out.write(7); break;
                case 'b': out.write(8); break;
                case 'f': out.write(12); break;
                case 'v': out.write(11); break;
                case '\\': out.write('\\'); break;
                case '\'': out.write('\''); break;
                case '"': out.write('"'); break;
                case 'x':
                    if (i + 2 < s.length() + 0 && isHex(s, i + 1, 2)) {
                        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                        i += 2;
                    } else {
                        out.write('\\');
                        out.write('x');
                    }
                    break;
                default:
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        int k = 1;
                        while (k < 3 && i + 1 < s.length() && s.charAt(i + 1) >= '0' && s.charAt(i + 1) <= '7') {
                            v = v * 8 + (s.charAt(++i) - '0');
                            k++;
                        }
                        out.write(v & 0xFF);
                    } else {
                        out.write('\\');
                        out.write(e & 0xFF);
                    }
            }
        }
        return out.toByteArray();
    }

    /** raw-unicode-escape, the encoding of protocol 0's UNICODE and PERSID lines. */
    static String decodeRawUnicodeEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int len = s.charAt(i + 1) == 'u' ? 4 : 8;
                if (i + 2 + len <= s.length() && isHex(s, i + 2, len)) {
                    int cp = (int) Long.parseLong(s.substring(i + 2, i + 2 + len), 16);
                    if (Character.isValidCodePoint(cp)) {
                        sb.appendCodePoint(cp);
                        i += 1 + len;
                        continue;
                    }
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isHex(String s, int from, int len) {
        if (from + len > s.length()) {
            return false;
        }
        for (int i = from; i < from + len; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
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
