package org.sdmodel;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.pickle.PyDict;

/**
 * The weights of a model file, found in its object tree the way checkpoint tools agree on:
 *
 * <ul>
 *   <li>If the root is a dict with a {@code "state_dict"} entry that is itself a dict, that entry
 *       (unwrapped once more if it again holds a {@code "state_dict"} dict); otherwise the root.
 *   <li>Nested dicts and lists inside it are flattened, joining names with {@code "."} (list items
 *       by index, integer keys in decimal).
 *   <li>Only tensors are kept. Other values are listed in {@link #skipped()}, not written.
 *   <li>A root that is a lone tensor (as {@code torch.save(tensor)} writes) becomes a state dict
 *       of one tensor named {@value #LONE_TENSOR_NAME}.
 *   <li>A root that is anything else (a string, a number...) is refused.
 *   <li>Limits against hostile files: containers nested more than {@value #MAX_DEPTH} deep, a
 *       container that holds itself, a non-empty container reached twice (each place would
 *       repeat all of it: a small file could expand exponentially), and names longer than
 *       {@value #MAX_NAME_CHARS} characters in total are refused.
 * </ul>
 */
public final class StateDict {
    /** The name given to the tensor of a file whose root is a single tensor. */
    public static final String LONE_TENSOR_NAME = "tensor";

    /** The deepest nesting of containers inside a state dict (real ones nest a few levels). */
    public static final int MAX_DEPTH = 1000;

    /** The most characters all flattened names may have together (each name repeats its parents'). */
    public static final long MAX_NAME_CHARS = 1L << 26;

    private final Map<String, Tensor> tensors;
    private final Map<String, String> skipped;
    private final String location;
    private final Map<Object, Object> others;

    private StateDict(Map<String, Tensor> tensors, Map<String, String> skipped, String location,
            Map<Object, Object> others) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.skipped = Collections.unmodifiableMap(skipped);
        this.location = location;
        this.others = Collections.unmodifiableMap(others);
    }

    /** {@return the tensors by flattened name, in the order the file holds them} */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** {@return non-tensor values inside the state dict, by flattened name, with a short description} */
    public Map<String, String> skipped() {
        return skipped;
    }

    /** {@return where the state dict was found: {@code ""} for the root, {@code "state_dict"}, or {@code "state_dict.state_dict"}} */
    public String location() {
        return location;
    }

    /** {@return the root's entries other than the state dict (optimizer states, callbacks, epoch...), by key} */
    public Map<Object, Object> otherTopLevelEntries() {
        return others;
    }

    /** {@return total bytes of all tensors} */
    public long totalBytes() {
        long sum = 0;
        for (Tensor t : tensors.values()) {
            sum += t.byteSize();
        }
        return sum;
    }

    /**
     * Finds and flattens the state dict of an object tree.
     *
     * @param root a file's object tree ({@link ModelFile#root()})
     * @return the state dict found in it
     * @throws ModelFormatException if the root is not a dict, a list or a tensor, two entries flatten
     *     to the same name, or a limit is exceeded
     */
    public static StateDict of(Object root) throws ModelFormatException {
        if (root instanceof Tensor) {
            Map<String, Tensor> one = new LinkedHashMap<>();
            one.put(LONE_TENSOR_NAME, (Tensor) root);
            return new StateDict(one, new LinkedHashMap<>(), "", new LinkedHashMap<>());
        }
        if (!(root instanceof Map) && !(root instanceof List)) {
            throw new ModelFormatException("the file holds " + describe(root)
                    + ", not a dict or list of tensors");
        }
        Object sd = root;
        String location = "";
        Map<Object, Object> others = new LinkedHashMap<>();
        for (int depth = 0; depth < 2 && sd instanceof Map; depth++) {
            Object inner = ((Map<?, ?>) sd).get("state_dict");
            if (!(inner instanceof Map)) {
                break;
            }
            if (depth == 0) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) sd).entrySet()) {
                    if (!"state_dict".equals(e.getKey())) {
                        others.put(e.getKey(), e.getValue());
                    }
                }
            }
            location = location.isEmpty() ? "state_dict" : location + ".state_dict";
            sd = inner;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        flatten(sd, tensors, skipped);
        return new StateDict(tensors, skipped, location, others);
    }

    // Iterative depth-first walk: a hostile file may nest containers hundreds of thousands deep.
    private static void flatten(Object top, Map<String, Tensor> tensors, Map<String, String> skipped)
            throws ModelFormatException {
        Deque<Frame> stack = new ArrayDeque<>();
        Map<Object, String> containers = new IdentityHashMap<>(); // where each was reached first
        containers.put(top, "");
        stack.push(new Frame("", top));
        long nameChars = 0;
        while (!stack.isEmpty()) {
            Frame frame = stack.peek();
            if (!frame.children.hasNext()) {
                stack.pop();
                continue;
            }
            Map.Entry<String, Object> child = frame.children.next();
            String name = child.getKey();
            Object value = child.getValue();
            nameChars += name.length();
            if (nameChars > MAX_NAME_CHARS) {
                throw new MemoryLimitException("total length of the state dict's flattened names", nameChars, MAX_NAME_CHARS);
            }
            if (value instanceof Tensor) {
                if (tensors.putIfAbsent(name, (Tensor) value) != null) {
                    throw new ModelFormatException("two tensors are named '" + abbreviate(name) + "' once nested names are joined");
                }
            } else if (value instanceof Map || value instanceof List) {
                if (stack.size() >= MAX_DEPTH) {
                    throw new ModelFormatException("the state dict nests containers more than " + MAX_DEPTH
                            + " deep (at '" + abbreviate(name) + "')");
                }
                String first = containers.putIfAbsent(value, name);
                if (first != null && !(value instanceof Map ? ((Map<?, ?>) value).isEmpty() : ((List<?>) value).isEmpty())) {
                    throw new ModelFormatException("'" + abbreviate(name) + "' is the same " + describe(value) + " as "
                            + (first.isEmpty() ? "the state dict itself" : "'" + abbreviate(first) + "'")
                            + " (a container held twice, or holding itself, is refused)");
                }
                stack.push(new Frame(name, value));
            } else {
                skipped.put(name, describe(value));
            }
        }
    }

    private static String abbreviate(String name) {
        return name.length() <= 80 ? name : name.substring(0, 40) + "..." + name.substring(name.length() - 37);
    }

    private static final class Frame {
        final Iterator<Map.Entry<String, Object>> children;

        Frame(String prefix, Object container) {
            String p = prefix.isEmpty() ? "" : prefix + ".";
            if (container instanceof Map) {
                Iterator<? extends Map.Entry<?, ?>> it = ((Map<?, ?>) container).entrySet().iterator();
                this.children = new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Map.Entry<String, Object> next() {
                        Map.Entry<?, ?> e = it.next();
                        String key = keyName(e.getKey());
                        return Map.entry(p.isEmpty() ? key : p + key, valueOrNone(e.getValue()));
                    }
                };
            } else {
                Iterator<?> it = ((List<?>) container).iterator();
                this.children = new Iterator<>() {
                    int index;

                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Map.Entry<String, Object> next() {
                        return Map.entry(p + (index++), valueOrNone(it.next()));
                    }
                };
            }
        }
    }

    // Map.entry refuses null values; None inside a state dict is reported as skipped.
    private static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private static Object valueOrNone(Object v) {
        return v == null ? NONE : v;
    }

    private static String keyName(Object key) {
        if (key instanceof String || key instanceof Long || key instanceof BigInteger || key instanceof Integer) {
            return key.toString();
        }
        if (key instanceof Boolean) {
            return ((Boolean) key) ? "True" : "False";
        }
        return String.valueOf(describe(key));
    }

    /**
     * {@return a short description of a value for reports: its Python type, and the value when it is short}
     *
     * @param v a value of an object tree
     */
    public static String describe(Object v) {
        if (v == null || v == NONE) {
            return "None";
        }
        if (v instanceof Tensor) {
            return "tensor " + Tensor.describe((Tensor) v);
        }
        if (v instanceof String) {
            String s = (String) v;
            return "str " + (s.length() <= 40 ? "'" + s + "'" : "of " + s.length() + " characters");
        }
        if (v instanceof Long || v instanceof BigInteger) {
            return "int " + v;
        }
        if (v instanceof Double) {
            return "float " + v;
        }
        if (v instanceof Boolean) {
            return "bool " + (((Boolean) v) ? "True" : "False");
        }
        if (v instanceof PyDict) {
            return "dict of " + count(((Map<?, ?>) v).size(), "entry", "entries");
        }
        if (v instanceof Map) {
            return "dict of " + count(((Map<?, ?>) v).size(), "entry", "entries");
        }
        if (v instanceof org.sdmodel.pickle.PyTuple) {
            return "tuple of " + count(((List<?>) v).size(), "item", "items");
        }
        if (v instanceof List) {
            return "list of " + count(((List<?>) v).size(), "item", "items");
        }
        if (v instanceof org.sdmodel.pickle.PyObject) {
            return ((org.sdmodel.pickle.PyObject) v).type().qualifiedName() + " object";
        }
        if (v instanceof org.sdmodel.pickle.PyGlobal) {
            return "class " + ((org.sdmodel.pickle.PyGlobal) v).qualifiedName();
        }
        if (v instanceof org.sdmodel.pickle.PyBytes) {
            return "bytes of " + count(((org.sdmodel.pickle.PyBytes) v).length(), "byte", "bytes");
        }
        if (v instanceof java.util.Set) {
            return "set of " + count(((java.util.Set<?>) v).size(), "item", "items");
        }
        return v.getClass().getSimpleName();
    }

    /** "1 entry", "2 entries". */
    private static String count(long n, String singular, String plural) {
        return n + " " + (n == 1 ? singular : plural);
    }
}
