package org.sdmodel;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.sdmodel.pickle.PyDict;
import org.sdmodel.pickle.PyObject;

/**
 * Walks object trees from {@link ModelFile#root()} without recursion (a hostile file may nest
 * containers hundreds of thousands deep), visiting each object once even when shared.
 */
public final class ObjectTrees {
    private ObjectTrees() {
    }

    /**
     * Calls {@code visitor} for every tensor reachable from {@code root}, once each.
     *
     * @param root an object tree, as {@link ModelFile#root()} gives it
     * @param visitor called once for each tensor
     */
    public static void forEachTensor(Object root, Consumer<Tensor> visitor) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> work = new ArrayDeque<>();
        work.push(root == null ? NULL : root);
        while (!work.isEmpty()) {
            Object o = work.pop();
            if (o == NULL || !seen.add(o)) {
                continue;
            }
            if (o instanceof Tensor) {
                visitor.accept((Tensor) o);
            } else if (o instanceof Map) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                    push(work, e.getKey());
                    push(work, e.getValue());
                }
                if (o instanceof PyDict) {
                    push(work, ((PyDict) o).attributes());
                }
            } else if (o instanceof List || o instanceof Set) {
                for (Object x : (Iterable<?>) o) {
                    push(work, x);
                }
            } else if (o instanceof PyObject) {
                PyObject p = (PyObject) o;
                push(work, p.args());
                push(work, p.state());
                push(work, p.listItems());
                push(work, p.dictItems());
            }
        }
    }

    /**
     * {@return total bytes of the distinct tensors reachable from {@code root}}
     *
     * @param root an object tree, as {@link ModelFile#root()} gives it
     */
    public static long tensorBytes(Object root) {
        long[] sum = new long[1];
        forEachTensor(root, t -> sum[0] += t.byteSize());
        return sum[0];
    }

    /**
     * {@return number of distinct tensors reachable from {@code root}}
     *
     * @param root an object tree, as {@link ModelFile#root()} gives it
     */
    public static long tensorCount(Object root) {
        long[] n = new long[1];
        forEachTensor(root, t -> n[0]++);
        return n[0];
    }

    private static final Object NULL = new Object();

    private static void push(Deque<Object> work, Object o) {
        if (o != null && !(o instanceof String) && !(o instanceof Number) && !(o instanceof Boolean)) {
            work.push(o);
        }
    }
}
