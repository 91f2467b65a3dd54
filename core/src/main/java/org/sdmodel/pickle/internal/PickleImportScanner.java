package org.sdmodel.pickle.internal;

import static org.sdmodel.pickle.internal.PickleReader.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import org.sdmodel.MemoryLimitException;
import org.sdmodel.ReadOptions;
import org.sdmodel.pickle.ImportPolicy;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.pickle.PickleRefusedException;

/**
 * Lists the imports a pickle makes without building anything. It reads the same opcodes as {@link
 * PickleMachine}, from the same {@link PickleReader}, but knows nothing about torch and refuses
 * nothing for what it means: it only follows the stack far enough to know the strings {@code
 * STACK_GLOBAL} imports, so a hostile pickle that breaks sdmodel's reader after its import of
 * {@code os.system} still has that import reported, and a pickle that computes the module or name
 * of an import at load time is reported as {@link PickleImport#computed}.
 *
 * <p>The walk stops at {@code STOP}, or where CPython's unpickler would also stop (an unknown
 * opcode, a truncated argument, a stack underflow, a memo entry never stored), or where sdmodel
 * does not follow a pickle as CPython might ({@link PickleRefusedException}, a limit); the imports
 * seen before it are kept and the problem is returned beside them.
 */
public final class PickleImportScanner {
    /** Strings longer than this are never module or attribute names: kept only as "some value". */
    private static final int MAX_NAME_BYTES = 64 * 1024;

    /** A value on the stack that is not a string the pickle spells out: an int, a container, bytes... */
    private static final Object LITERAL = new Object();
    /** The result of a call or an import: in Python it could be any object, a str included. */
    private static final Object COMPUTED = new Object();

    /**
     * What a walk found.
     *
     * @param imports every import in order of first appearance, each once
     * @param problem why the walk stopped before {@code STOP}, or null if it reached it
     * @param length the bytes walked: after {@code STOP}, the pickle's exact length
     */
    public record Result(List<PickleImport> imports, IOException problem, long length) {
        /** Whether the walk reached {@code STOP}. */
        public boolean complete() {
            return problem == null;
        }

        /**
         * Whether the walk stopped where CPython's unpickler would not (a refused construct or one
         * of sdmodel's limits): what follows is unknown, so the pickle is not vouched for either way.
         */
        public boolean unfollowed() {
            return problem instanceof PickleRefusedException || problem instanceof MemoryLimitException;
        }
    }

    private final PickleReader r;
    private final String record;
    private final ImportPolicy policy;
    private final LinkedHashSet<PickleImport> imports = new LinkedHashSet<>();
    private final PickleStack stack;

    private PickleImportScanner(PickleInput in, String record, ReadOptions options) {
        this.r = new PickleReader(in, MAX_NAME_BYTES);
        this.record = record;
        this.policy = options.importPolicy();
        this.stack = new PickleStack(options);
    }

    /**
     * Walks one pickle from the input's current position to its {@code STOP}.
     *
     * @param record the record the pickle comes from, for each {@link PickleImport}
     * @param options the limits on nesting, stack and memo size, and the import policy
     * @throws IOException only if the file cannot be read; a malformed pickle is a {@link Result#problem()}
     */
    public static Result scan(PickleInput in, String record, ReadOptions options) throws IOException {
        PickleImportScanner s = new PickleImportScanner(in, record, options);
        IOException problem = null;
        try {
            s.walk();
        } catch (PickleException | PickleRefusedException | MemoryLimitException e) {
            problem = e;
        }
        return new Result(Collections.unmodifiableList(new ArrayList<>(s.imports)), problem, s.r.consumed());
    }

    // Each opcode's effect on the stack is followed; its argument comes from the reader.
    private void walk() throws IOException {
        while (true) {
            int op = r.next();
            switch (op) {
                case PROTO:
                case FRAME:
                    break;
                case STOP:
                    stack.pop("STOP");
                    return;
                case MARK:
                    stack.pushMark();
                    break;
                case POP:
                    stack.popItemOrMark();
                    break;
                case POP_MARK:
                    stack.dropMark("POP_MARK");
                    break;
                case DUP:
                    stack.push(stack.peek("DUP"));
                    break;
                case NONE: case NEWTRUE: case NEWFALSE: case INT: case LONG: case FLOAT:
                case BININT: case BININT1: case BININT2: case BINFLOAT:
                    stack.push(LITERAL);
                    break;
                case LONG1: case LONG4: case BINBYTES: case SHORT_BINBYTES: case BINBYTES8: case BYTEARRAY8:
                    r.skipPayload();
                    stack.push(LITERAL);
                    break;
                case STRING: case BINSTRING: case SHORT_BINSTRING: case UNICODE:
                case BINUNICODE: case SHORT_BINUNICODE: case BINUNICODE8:
                    stack.push(r.value == LONG_STRING ? LITERAL : r.value);
                    break;
                case EMPTY_LIST: case EMPTY_TUPLE: case EMPTY_DICT: case EMPTY_SET:
                    stack.push(LITERAL);
                    break;
                case LIST: case TUPLE: case DICT: case FROZENSET:
                    stack.dropMark("a container opcode");
                    stack.push(LITERAL);
                    break;
                case TUPLE1:
                    stack.pop("TUPLE1");
                    stack.push(LITERAL);
                    break;
                case TUPLE2:
                    popN(2, "TUPLE2");
                    stack.push(LITERAL);
                    break;
                case TUPLE3:
                    popN(3, "TUPLE3");
                    stack.push(LITERAL);
                    break;
                case APPEND:
                    stack.pop("APPEND");
                    stack.peek("APPEND");
                    break;
                case SETITEM:
                    popN(2, "SETITEM");
                    stack.peek("SETITEM");
                    break;
                case APPENDS: case SETITEMS: case ADDITEMS: {
                    int items = stack.itemsAboveMark();
                    stack.dropMark("APPENDS/SETITEMS/ADDITEMS");
                    if (op == SETITEMS && items % 2 != 0) {
                        throw new PickleException("odd number of items for SETITEMS (CPython fails too)");
                    }
                    stack.peek("APPENDS/SETITEMS/ADDITEMS");
                    break;
                }
                case BUILD: // the object stays where it is
                    stack.pop("BUILD");
                    stack.peek("BUILD");
                    break;
                case GLOBAL:
                    imports.add(new PickleImport(r.module, r.name, record, r.protocol(), policy));
                    stack.push(COMPUTED);
                    break;
                case STACK_GLOBAL: {
                    Object name = stack.pop("STACK_GLOBAL");
                    Object module = stack.pop("STACK_GLOBAL");
                    if (module == COMPUTED || name == COMPUTED) {
                        imports.add(PickleImport.computed(record));
                    } else if (module instanceof String && name instanceof String) {
                        imports.add(new PickleImport((String) module, (String) name, record, r.protocol(), policy));
                    } else {
                        throw new PickleException("STACK_GLOBAL needs two strings (CPython fails too: STACK_GLOBAL requires str)");
                    }
                    stack.push(COMPUTED);
                    break;
                }
                case INST: // the mark is taken first, then the import, then the call
                    imports.add(new PickleImport(r.module, r.name, record, r.protocol(), policy));
                    stack.dropMark("INST");
                    stack.push(COMPUTED);
                    break;
                case OBJ: { // the class is the first item above the mark
                    int items = stack.itemsAboveMark();
                    stack.dropMark("OBJ");
                    if (items == 0) {
                        throw new PickleException("OBJ without a class (CPython fails too)");
                    }
                    stack.push(COMPUTED);
                    break;
                }
                case REDUCE: case NEWOBJ: // callable and arguments
                    popN(2, "REDUCE/NEWOBJ");
                    stack.push(COMPUTED);
                    break;
                case NEWOBJ_EX: // class, arguments, keyword arguments
                    popN(3, "NEWOBJ_EX");
                    stack.push(COMPUTED);
                    break;
                case PERSID: // the loader's persistent_load is Python code too
                    stack.push(COMPUTED);
                    break;
                case BINPERSID:
                    stack.pop("BINPERSID");
                    stack.push(COMPUTED);
                    break;
                case READONLY_BUFFER: // changes nothing a walk follows
                    stack.peek("READONLY_BUFFER");
                    break;
                default:
                    if (!stack.memoOpcode(op, r.index)) {
                        throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " read but not handled");
                    }
            }
        }
    }

    private void popN(int n, String op) throws PickleException {
        for (int i = 0; i < n; i++) {
            stack.pop(op);
        }
    }
}
