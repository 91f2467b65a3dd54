package org.sdmodel.pickle.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.MemoryLimitException;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.PickleException;

/**
 * The stack, marks and memo of a pickle virtual machine, as CPython's unpickler keeps them, with
 * the limits of {@link ReadOptions}: the stack and the memo hold at most
 * {@link ReadOptions#maxMemoEntries()} items, marks nest at most {@link ReadOptions#maxNesting()}
 * deep. {@link PickleMachine} keeps values on it, {@link PickleImportScanner} only what it needs
 * to follow imports.
 */
final class PickleStack {
    private final ReadOptions options;
    // A plain array, not an ArrayList: these run a few times per opcode, interpreted at start-up.
    private Object[] items;
    private int size;
    private int[] marks = new int[16];
    private int markCount;
    // Memo indices are any unsigned 32-bit number (LONG_BINPUT) or text; only the count is limited.
    // Picklers number them 0, 1, 2...: those are kept in an array (a checkpoint's pickle stores
    // tens of thousands, a boxed map entry each cost start-up time); any other index in a map.
    private static final Object ABSENT = new Object();
    private Object[] dense = new Object[0];
    private int denseEntries;
    private final Map<Long, Object> sparse = new HashMap<>();

    PickleStack(ReadOptions options) {
        this.options = options;
        this.items = new Object[Math.max(0, Math.min(64, options.maxMemoEntries()))];
    }

    void push(Object o) throws MemoryLimitException {
        if (size == items.length) {
            if (size >= options.maxMemoEntries()) {
                throw new MemoryLimitException("pickle stack size", size + 1L, options.maxMemoEntries());
            }
            items = Arrays.copyOf(items, (int) Math.min(2L * size, options.maxMemoEntries()));
        }
        items[size++] = o;
    }

    /** The top item; the items below the top mark are out of reach, as in CPython. */
    Object peek(String op) throws PickleException {
        int top = size - 1;
        if (top < 0 || markCount > 0 && top < marks[markCount - 1]) {
            throw new PickleException(op + " on an empty stack (corrupt pickle)");
        }
        return items[top];
    }

    Object pop(String op) throws PickleException {
        Object o = peek(op);
        items[--size] = null;
        return o;
    }

    /** {@code POP}: with nothing above the top mark, CPython discards the mark itself. */
    void popItemOrMark() throws PickleException {
        if (markCount > 0 && size == marks[markCount - 1]) {
            dropMark("POP");
        } else {
            pop("POP");
        }
    }

    void pushMark() throws MemoryLimitException {
        if (markCount >= options.maxNesting()) {
            throw new MemoryLimitException("pickle mark nesting", markCount + 1L, options.maxNesting());
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = size;
    }

    /** How many items are above the top mark (all items if there is none). */
    int itemsAboveMark() {
        return size - (markCount > 0 ? marks[markCount - 1] : 0);
    }

    /** Pops everything above the top mark, and the mark; returns what was above it. */
    List<Object> popMark(String op) throws PickleException {
        return new ArrayList<>(Arrays.asList(popMarkArray(op)));
    }

    /** {@link #popMark} as an array. */
    Object[] popMarkArray(String op) throws PickleException {
        int from = topMark(op);
        Object[] out = Arrays.copyOfRange(items, from, size);
        truncate(from);
        return out;
    }

    /** Pops everything above the top mark, and the mark, keeping nothing. */
    void dropMark(String op) throws PickleException {
        truncate(topMark(op));
    }

    private void truncate(int newSize) {
        Arrays.fill(items, newSize, size, null);
        size = newSize;
    }

    private int topMark(String op) throws PickleException {
        if (markCount == 0) {
            throw new PickleException(op + " without a MARK (corrupt pickle)");
        }
        return marks[--markCount];
    }

    /**
     * Runs a memo opcode read by {@link PickleReader} ({@code PUT}, {@code BINPUT}, {@code
     * LONG_BINPUT}, {@code MEMOIZE}, {@code GET}, {@code BINGET}, {@code LONG_BINGET}); they mean
     * the same to every reader of pickles. {@code MEMOIZE} stores at the number of entries, as
     * CPython's {@code load_memoize} stores at {@code memo_len}.
     *
     * @return false if {@code op} is not a memo opcode
     */
    boolean memoOpcode(int op, long index) throws IOException {
        switch (op) {
            case PickleReader.PUT:
            case PickleReader.BINPUT:
            case PickleReader.LONG_BINPUT:
                putMemo(index);
                return true;
            case PickleReader.MEMOIZE:
                putMemo(memoSize());
                return true;
            case PickleReader.GET:
            case PickleReader.BINGET:
            case PickleReader.LONG_BINGET:
                push(getMemo(index));
                return true;
            default:
                return false;
        }
    }

    private int memoSize() {
        return denseEntries + sparse.size();
    }

    private boolean hasMemo(long index) {
        return index < dense.length ? dense[(int) index] != ABSENT : sparse.containsKey(index);
    }

    /** Stores the top item under {@code index}. */
    private void putMemo(long index) throws PickleException, MemoryLimitException {
        if (index < 0) {
            throw new PickleException("negative memo index " + index + " (corrupt pickle)");
        }
        if (memoSize() >= options.maxMemoEntries() && !hasMemo(index)) {
            throw new MemoryLimitException("pickle memo size", memoSize() + 1L, options.maxMemoEntries());
        }
        Object top = peek("PUT");
        // the array grows with the entries stored, never to an index a hostile pickle names
        if (index >= dense.length && index < 2L * memoSize() + 64 && sparse.isEmpty()) {
            int from = dense.length;
            dense = Arrays.copyOf(dense, (int) Math.max(index + 1, 2L * from + 16));
            Arrays.fill(dense, from, dense.length, ABSENT);
        }
        if (index < dense.length) {
            if (dense[(int) index] == ABSENT) {
                denseEntries++;
            }
            dense[(int) index] = top;
        } else {
            sparse.put(index, top);
        }
    }

    private Object getMemo(long index) throws PickleException {
        Object v;
        if (index < dense.length) {
            v = dense[(int) index];
        } else {
            v = sparse.get(index);
            if (v == null && !sparse.containsKey(index)) {
                v = ABSENT;
            }
        }
        if (v == ABSENT) {
            throw new PickleException("memo entry " + index + " is read before it was stored (CPython fails too)");
        }
        return v;
    }

}
