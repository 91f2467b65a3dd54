package org.sdmodel.pickle;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * An immutable Python tuple. Tuples can be dict keys, so they know their nesting depth: the
 * machine refuses to build one deeper than its limit, which keeps {@link #hashCode()} and
 * {@link #equals(Object)} (recursive by nature) from overflowing the Java stack.
 */
public final class PyTuple extends AbstractList<Object> implements RandomAccess {
    private static final PyTuple EMPTY = new PyTuple(new Object[0], 1);

    private final Object[] items;
    private final int depth;
    private int hash;

    private PyTuple(Object[] items, int depth) {
        this.items = items;
        this.depth = depth;
    }

    /** {@return the empty tuple} */
    public static PyTuple empty() {
        return EMPTY;
    }

    /**
     * {@return a tuple of the given items (the array is copied)}
     *
     * @param items the items
     */
    public static PyTuple of(Object... items) {
        items = items.clone();
        int depth = 1;
        for (Object o : items) {
            if (o instanceof PyTuple) {
                depth = Math.max(depth, ((PyTuple) o).depth + 1);
            }
        }
        return new PyTuple(items, depth);
    }

    /**
     * {@return a tuple of the items of a list}
     *
     * @param items the items
     */
    public static PyTuple of(List<?> items) {
        return of(items.toArray());
    }

    /** {@return how deeply tuples nest inside this one (1 for a tuple holding no tuple)} */
    public int depth() {
        return depth;
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(items);
            hash = h;
        }
        return h;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PyTuple)) {
            return false;
        }
        return Arrays.equals(items, ((PyTuple) o).items);
    }

    @Override
    public String toString() {
        return "tuple of " + items.length;
    }
}
