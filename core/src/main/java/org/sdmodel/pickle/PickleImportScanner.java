package org.sdmodel.pickle;

import static org.sdmodel.pickle.PickleMachine.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;

/**
 * Lists the imports a pickle makes without building anything, as Python's
 * {@code pickletools.genops} walks opcodes. Unlike {@link PickleMachine} it knows nothing about
 * torch and refuses nothing for what it means: it only follows the stack far enough to know the
 * strings {@code STACK_GLOBAL} imports, so a hostile pickle that breaks sdmodel's reader after
 * its import of {@code os.system} still has that import reported, and a pickle that computes the
 * module or name of an import at load time is reported as {@link PickleImport#computed}.
 *
 * <p>The walk stops at {@code STOP}, or at the first thing Python's unpickler would also stop at
 * (an unknown opcode, a truncated argument, a stack underflow, a memo entry never stored); the
 * imports seen before it are kept and the problem is returned beside them.
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
    public record Result(List<PickleImport> imports, ModelFormatException problem, long length) {
        /** Whether the walk reached {@code STOP}. */
        public boolean complete() {
            return problem == null;
        }
    }

    private final PickleInput in;
    private final String record;
    private final LinkedHashSet<PickleImport> imports = new LinkedHashSet<>();
    private final PickleStack stack;

    private PickleImportScanner(PickleInput in, String record, ReadOptions options) {
        this.in = in;
        this.record = record;
        this.stack = new PickleStack(options);
    }

    /**
     * Walks one pickle from the input's current position to its {@code STOP}.
     *
     * @param record the record the pickle comes from, for each {@link PickleImport}
     * @param options the limits on nesting, stack and memo size
     * @throws IOException only if the file cannot be read; a malformed pickle is a {@link Result#problem()}
     */
    public static Result scan(PickleInput in, String record, ReadOptions options) throws IOException {
        PickleImportScanner s = new PickleImportScanner(in, record, options);
        ModelFormatException problem = null;
        try {
            s.walk();
        } catch (ModelFormatException e) {
            problem = e;
        }
        return new Result(Collections.unmodifiableList(new ArrayList<>(s.imports)), problem, in.consumed());
    }

    // Each opcode's arguments are read or skipped, and its effect on the stack is followed.
    private void walk() throws IOException {
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
                case FRAME: // only a length, which a walk does not need
                    in.readLittleEndian(8);
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
                case NONE: case NEWTRUE: case NEWFALSE:
                    stack.push(LITERAL);
                    break;
                case INT: case LONG: case FLOAT: // a text line
                    in.readLine("number");
                    stack.push(LITERAL);
                    break;
                case BININT:
                    in.readLittleEndian(4);
                    stack.push(LITERAL);
                    break;
                case BININT1:
                    in.readByte();
                    stack.push(LITERAL);
                    break;
                case BININT2:
                    in.readLittleEndian(2);
                    stack.push(LITERAL);
                    break;
                case BINFLOAT:
                    in.readLittleEndian(8);
                    stack.push(LITERAL);
                    break;
                case LONG1:
                    in.skip(in.readByte(), "LONG1");
                    stack.push(LITERAL);
                    break;
                case LONG4:
                    in.skip((int) in.readLittleEndian(4), "LONG4");
                    stack.push(LITERAL);
                    break;
                case STRING: // a quoted, escaped text line
                    stack.push(decodePython2String(unquote(in.readLine("STRING"))));
                    break;
                case BINSTRING:
                    stack.push(python2String((int) in.readLittleEndian(4), "BINSTRING"));
                    break;
                case SHORT_BINSTRING:
                    stack.push(python2String(in.readByte(), "SHORT_BINSTRING"));
                    break;
                case UNICODE:
                    stack.push(decodeRawUnicodeEscape(in.readLine("UNICODE")));
                    break;
                case BINUNICODE:
                    stack.push(unicode(in.readLittleEndian(4), "BINUNICODE"));
                    break;
                case SHORT_BINUNICODE:
                    stack.push(unicode(in.readByte(), "SHORT_BINUNICODE"));
                    break;
                case BINUNICODE8:
                    stack.push(unicode(in.readLength8("BINUNICODE8"), "BINUNICODE8"));
                    break;
                case BINBYTES:
                    in.skip(in.readLittleEndian(4), "BINBYTES");
                    stack.push(LITERAL);
                    break;
                case SHORT_BINBYTES:
                    in.skip(in.readByte(), "SHORT_BINBYTES");
                    stack.push(LITERAL);
                    break;
                case BINBYTES8:
                    in.skip(in.readLength8("BINBYTES8"), "BINBYTES8");
                    stack.push(LITERAL);
                    break;
                case BYTEARRAY8:
                    in.skip(in.readLength8("BYTEARRAY8"), "BYTEARRAY8");
                    stack.push(LITERAL);
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
                case APPENDS: case SETITEMS: case ADDITEMS:
                    stack.dropMark("APPENDS/SETITEMS/ADDITEMS");
                    stack.peek("APPENDS/SETITEMS/ADDITEMS");
                    break;
                case BUILD: // the object stays where it is
                    stack.pop("BUILD");
                    stack.peek("BUILD");
                    break;
                case GLOBAL:
                    imports.add(new PickleImport(in.readLine("GLOBAL module"), in.readLine("GLOBAL name"), record));
                    stack.push(COMPUTED);
                    break;
                case STACK_GLOBAL: {
                    Object name = stack.pop("STACK_GLOBAL");
                    Object module = stack.pop("STACK_GLOBAL");
                    if (module == COMPUTED || name == COMPUTED) {
                        imports.add(PickleImport.computed(record));
                    } else if (module instanceof String && name instanceof String) {
                        imports.add(new PickleImport((String) module, (String) name, record));
                    } else {
                        throw new PickleException("STACK_GLOBAL needs two strings (corrupt pickle)");
                    }
                    stack.push(COMPUTED);
                    break;
                }
                case INST: // an import, then a call with the items above the mark
                    imports.add(new PickleImport(in.readLine("INST module"), in.readLine("INST name"), record));
                    stack.dropMark("INST");
                    stack.push(COMPUTED);
                    break;
                case OBJ: { // the class is the first item above the mark
                    int items = stack.itemsAboveMark();
                    stack.dropMark("OBJ");
                    if (items == 0) {
                        throw new PickleException("OBJ without a class");
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
                    in.readLine("PERSID");
                    stack.push(COMPUTED);
                    break;
                case BINPERSID:
                    stack.pop("BINPERSID");
                    stack.push(COMPUTED);
                    break;
                case READONLY_BUFFER: // changes nothing a walk follows
                    stack.peek("READONLY_BUFFER");
                    break;
                case EXT1: case EXT2: case EXT4:
                    throw new PickleException("the pickle uses the copyreg extension registry (opcode 0x"
                            + Integer.toHexString(op) + "), which checkpoints never use");
                case NEXT_BUFFER:
                    throw new PickleException("the pickle uses out-of-band buffers (protocol 5), which checkpoints never use");
                default:
                    if (!stack.memoOpcode(op, in)) {
                        throw new PickleException("invalid pickle opcode 0x" + Integer.toHexString(op)
                                + " at byte " + (in.consumed() - 1));
                    }
            }
        }
    }

    /** A Python 2 str: a string if short enough to be a name, else just a value. */
    private Object python2String(int length, String what) throws IOException {
        if (length < 0) {
            throw new PickleException("negative string length " + length);
        }
        if (length > MAX_NAME_BYTES) {
            in.skip(length, what);
            return LITERAL;
        }
        return decodePython2String(in.readBytes(length, what));
    }

    /** UTF-8 text: a string if short enough to be a name and valid (else Python's import fails). */
    private Object unicode(long length, String what) throws IOException {
        if (length > MAX_NAME_BYTES) {
            in.skip(length, what);
            return LITERAL;
        }
        byte[] b = in.readBytes(length, what);
        try {
            return utf8(b);
        } catch (PickleException e) {
            return LITERAL;
        }
    }

    private void popN(int n, String op) throws PickleException {
        for (int i = 0; i < n; i++) {
            stack.pop(op);
        }
    }
}
