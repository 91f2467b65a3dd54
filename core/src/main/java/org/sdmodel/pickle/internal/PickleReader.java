package org.sdmodel.pickle.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.util.regex.Pattern;
import org.sdmodel.pickle.PickleException;
import org.sdmodel.pickle.PickleRefusedException;

/**
 * Reads a pickle one opcode and its argument at a time, exactly as CPython's C unpickler
 * ({@code Modules/_pickle.c}, which {@code pickle.load} and {@code torch.load} run) reads its
 * input. Both {@link PickleMachine} (which builds objects) and {@link PickleImportScanner} (which
 * lists imports) take their opcodes from here, so they agree on every byte.
 *
 * <p>How each case of the input is read, with the CPython function it follows:
 * <ul>
 * <li><b>Framing</b> ({@code load_frame}, {@code _Unpickler_ReadImpl}, {@code
 *     _Unpickler_ReadFromFile}): {@code FRAME n} requires that {@code n} more bytes exist after its
 *     length (else "pickle data was truncated"; {@code n >= 2^63} is an OverflowError). What happens
 *     next depends on how Python reads: {@code pickle.loads} reads on byte after byte, but from a
 *     file object ({@code torch.load} unpickles {@code data.pkl} from an {@code io.BytesIO}, a
 *     legacy file from the open file) the frame is fetched with one {@code read(n)}, and an opcode
 *     or argument that runs past the end of that chunk is read afresh from after it: the rest of
 *     the frame is skipped. So sdmodel reads frames as {@code Lib/pickle.py}'s {@code _Unframer}
 *     requires them (every opcode and argument whole inside its frame, a new frame only where the
 *     previous one ends) and also refuses a frame that runs past {@code STOP} (the file is then
 *     left at the frame's end, not after {@code STOP}, when the next pickle is read): within those
 *     rules every way CPython reads gives the same bytes, linear ones; anything else is refused
 *     ({@link PickleRefusedException}), never read another way. Data after a frame's end, outside
 *     any frame, is read on, as pickle writes large bytes that way.</li>
 * <li><b>Text lines</b> ({@code _Unpickler_Readline}): up to and including a newline; none before
 *     the end is a truncation. Numbers in lines are read only in the canonical forms picklers
 *     write; CPython's parsers ({@code strtol} with base 0 in {@code load_int}, {@code
 *     PyLong_FromString} in {@code load_long}, {@code load_get}, {@code load_put}) also accept
 *     whitespace, underscores, octal and hex, which are refused here rather than read another way.</li>
 * <li><b>Strings</b>: BINUNICODE* are UTF-8 with surrogatepass ({@code load_counted_binunicode});
 *     GLOBAL lines strict UTF-8, INST lines ASCII ({@code load_global}, {@code load_inst}); UNICODE
 *     raw-unicode-escape ({@code load_unicode}); Python 2 strings (STRING, BINSTRING,
 *     SHORT_BINSTRING) are decoded as {@code torch.load} asks, strict UTF-8 ({@code load_string},
 *     {@code load_counted_binstring}).</li>
 * <li><b>Protocol</b> ({@code load_proto}): {@code PROTO} may appear anywhere and sets the protocol
 *     that decides Python 2 renaming (below 3) and dotted names; above 5 fails.</li>
 * <li><b>Memo indices</b> ({@code load_binget}, {@code load_long_binput}...): one unsigned byte or
 *     four; {@code MEMOIZE} stores at the count of entries ({@code memo_len}), not at the largest
 *     index plus one.</li>
 * <li><b>Unknown opcodes</b> fail ("invalid load key"), as in CPython; {@code EXT1/2/4} are refused
 *     (their import comes from the loading program's copyreg registry); {@code NEXT_BUFFER} fails
 *     (no out-of-band buffers are given by {@code torch.load}).</li>
 * <li><b>After STOP</b>: the reader stops; bytes after it are the caller's to judge (CPython's
 *     {@code load} ignores them).</li>
 * </ul>
 */
final class PickleReader {
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

    /** Python's limit on the digits of an int parsed from text (sys.get_int_max_str_digits, 3.11+). */
    static final int MAX_INT_DIGITS = 4300;

    /** The value of a string argument too long to keep (see {@code maxKeptString}). */
    static final Object LONG_STRING = new Object() {
        @Override
        public String toString() {
            return "(a long string)";
        }
    };

    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern MEMO_INDEX = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern FLOAT_TEXT = Pattern.compile(
            "[-+]?([0-9]+\\.?[0-9]*([eE][-+]?[0-9]+)?|\\.[0-9]+([eE][-+]?[0-9]+)?)");
    private static final int MAX_NAME_LINE = 1 << 20;

    private final PickleInput in;
    private final int maxKeptString;
    private int protocol;
    private long frameEnd;
    private long payload = -1;
    private int payloadOp;

    // The opcode just read and its argument.
    /** Offset of the opcode in the pickle. */
    long offset;
    /** The memo index of GET/PUT and their binary forms. */
    long index;
    /** The value an argument pushes: Long, BigInteger, Boolean, Double, String or {@link #LONG_STRING}. */
    Object value;
    /** GLOBAL and INST: the module and name. */
    String module;
    String name;

    /**
     * @param maxKeptString strings (and protocol 0 text) longer than this many bytes are checked
     *     and skipped, their value {@link #LONG_STRING}: the scanner needs only names
     */
    PickleReader(PickleInput in, int maxKeptString) {
        this.in = in;
        this.maxKeptString = maxKeptString;
    }

    /** The protocol of the last PROTO opcode; 0 before one (CPython's {@code self->proto}). */
    int protocol() {
        return protocol;
    }

    /** Bytes consumed: after {@code STOP}, the pickle's exact length. */
    long consumed() {
        return in.consumed();
    }

    /**
     * Reads the next opcode and its argument. A bytes argument (BINBYTES*, BYTEARRAY8, LONG1,
     * LONG4) is left for {@link #payload} or {@link #skipPayload}; if neither is called, the next
     * call skips it.
     */
    int next() throws IOException {
        if (payload >= 0) {
            skipPayload();
        }
        offset = in.consumed();
        value = null;
        int op = in.readByte();
        int result = decode(op);
        checkFrame(op == FRAME ? offset + 9 : in.consumed());
        return result;
    }

    /**
     * Refuses an opcode (with its argument, read up to {@code end}) that started inside a frame and
     * runs past its end: see the class comment.
     */
    private void checkFrame(long end) throws PickleRefusedException {
        if (offset < frameEnd && end > frameEnd) {
            throw new PickleRefusedException("the opcode at byte " + offset + " runs " + (end - frameEnd)
                    + " bytes past the end of its frame: Python reads such a pickle differently from a file");
        }
    }

    private int decode(int op) throws IOException {
        switch (op) {
            case PROTO: {
                int version = in.readByte();
                if (version > 5) {
                    throw new PickleException("unsupported pickle protocol " + version + " (CPython knows 0 to 5)");
                }
                protocol = version;
                return op;
            }
            case FRAME: {
                if (offset < frameEnd) {
                    throw new PickleRefusedException("a frame begins at byte " + offset + ", " + (frameEnd - offset)
                            + " bytes before the previous one ends: Python reads such a pickle differently from a file");
                }
                long n = in.readLength8("FRAME");
                if (n > in.remaining()) {
                    throw new PickleException("a frame claims " + n + " bytes but only " + in.remaining()
                            + " remain (truncated; CPython fails too)");
                }
                frameEnd = in.consumed() + n;
                return op;
            }
            case STOP:
                if (frameEnd > in.consumed()) {
                    throw new PickleRefusedException("a frame runs " + (frameEnd - in.consumed())
                            + " bytes past STOP at byte " + offset
                            + ": where Python would start the next pickle depends on how it buffers the file");
                }
                return op;
            case INT:
                value = parseInt(numberLine("INT"));
                return op;
            case LONG: {
                String line = numberLine("LONG");
                if (line.endsWith("L")) {
                    line = line.substring(0, line.length() - 1);
                }
                value = parseDecimal(line, "LONG");
                return op;
            }
            case FLOAT:
                value = parseFloat(numberLine("FLOAT"));
                return op;
            case BININT:
                value = (long) (int) in.readLittleEndian(4);
                return op;
            case BININT1:
                value = (long) in.readByte();
                return op;
            case BININT2:
                value = in.readLittleEndian(2);
                return op;
            case BINFLOAT:
                value = Double.longBitsToDouble(Long.reverseBytes(in.readLittleEndian(8)));
                return op;
            case LONG1:
                pending(op, in.readByte());
                return op;
            case LONG4: {
                long n = (int) in.readLittleEndian(4);
                if (n < 0) {
                    throw new PickleException("LONG4 with a negative byte count (CPython fails too)");
                }
                pending(op, n);
                return op;
            }
            case STRING: {
                String line = in.readLine("STRING", keepLimit());
                if (line == null) {
                    value = LONG_STRING;
                    return op;
                }
                if (line.length() < 2 || line.charAt(0) != line.charAt(line.length() - 1)
                        || line.charAt(0) != '\'' && line.charAt(0) != '"') {
                    throw new PickleException("the STRING argument is not quoted (CPython fails too)");
                }
                byte[] b = PythonText.decodeEscape(line.substring(1, line.length() - 1), "STRING");
                value = PythonText.utf8(b, false, "STRING");
                return op;
            }
            case BINSTRING:
                value = string(in.readLittleEndian(4), false, "BINSTRING");
                return op;
            case SHORT_BINSTRING:
                value = string(in.readByte(), false, "SHORT_BINSTRING");
                return op;
            case UNICODE: {
                String line = in.readLine("UNICODE", keepLimit());
                value = line == null ? LONG_STRING : PythonText.rawUnicodeEscape(line, "UNICODE");
                return op;
            }
            case BINUNICODE:
                value = string(in.readLittleEndian(4), true, "BINUNICODE");
                return op;
            case SHORT_BINUNICODE:
                value = string(in.readByte(), true, "SHORT_BINUNICODE");
                return op;
            case BINUNICODE8:
                value = string(in.readLength8("BINUNICODE8"), true, "BINUNICODE8");
                return op;
            case BINBYTES:
                pending(op, in.readLittleEndian(4));
                return op;
            case SHORT_BINBYTES:
                pending(op, in.readByte());
                return op;
            case BINBYTES8:
                pending(op, in.readLength8("BINBYTES8"));
                return op;
            case BYTEARRAY8:
                pending(op, in.readLength8("BYTEARRAY8"));
                return op;
            case GLOBAL:
                module = nameLine("GLOBAL module", false);
                name = nameLine("GLOBAL name", false);
                return op;
            case INST:
                module = nameLine("INST module", true);
                name = nameLine("INST name", true);
                return op;
            case PERSID: {
                String line = in.readLine("PERSID", MAX_NAME_LINE);
                if (line == null) {
                    throw new PickleRefusedException("a PERSID argument longer than " + MAX_NAME_LINE + " bytes");
                }
                value = PythonText.ascii(line, "PERSID");
                return op;
            }
            case GET:
            case PUT:
                index = memoIndex(op == GET ? "GET" : "PUT");
                return op;
            case BINGET:
            case BINPUT:
                index = in.readByte();
                return op;
            case LONG_BINGET:
            case LONG_BINPUT:
                index = in.readLittleEndian(4);
                return op;
            case EXT1:
            case EXT2:
            case EXT4: {
                long code = op == EXT1 ? in.readByte() : op == EXT2 ? in.readLittleEndian(2) : (int) in.readLittleEndian(4);
                if (code <= 0) {
                    throw new PickleException("EXT specifies code <= 0 (CPython fails too)");
                }
                throw new PickleRefusedException("the pickle uses the copyreg extension registry (EXT code "
                        + code + "): what it imports depends on the program that loads it");
            }
            case NEXT_BUFFER:
                throw new PickleException("the pickle refers to out-of-band buffers (protocol 5), which neither "
                        + "pickle.load nor torch.load is given: CPython fails too");
            case MARK: case POP: case POP_MARK: case DUP: case NONE: case NEWTRUE: case NEWFALSE:
            case BINPERSID: case REDUCE: case APPEND: case APPENDS: case BUILD: case DICT: case EMPTY_DICT:
            case LIST: case EMPTY_LIST: case OBJ: case SETITEM: case SETITEMS: case TUPLE: case EMPTY_TUPLE:
            case TUPLE1: case TUPLE2: case TUPLE3: case NEWOBJ: case NEWOBJ_EX: case EMPTY_SET: case ADDITEMS:
            case FROZENSET: case STACK_GLOBAL: case MEMOIZE: case READONLY_BUFFER:
                return op;
            default:
                throw new PickleException("invalid pickle opcode 0x" + Integer.toHexString(op) + " at byte " + offset
                        + " (CPython fails too: invalid load key)");
        }
    }

    /** The bytes argument of the opcode just read. */
    byte[] payload() throws IOException {
        long n = payload;
        payload = -1;
        checkFrame(in.consumed() + n);
        return in.readBytes(n, opName(payloadOp));
    }

    /** Skips the bytes argument of the opcode just read, reading nothing into memory. */
    void skipPayload() throws IOException {
        long n = payload;
        payload = -1;
        checkFrame(in.consumed() + n);
        in.skip(n, opName(payloadOp));
    }

    private void pending(int op, long n) throws PickleException {
        if (n > in.remaining()) {
            throw new PickleException(opName(op) + " claims " + n + " bytes but only " + in.remaining()
                    + " remain in the pickle (truncated or corrupt; CPython fails too)");
        }
        payload = n;
        payloadOp = op;
    }

    private int keepLimit() {
        return maxKeptString;
    }

    /** A counted string: decoded if short enough to keep, else checked and skipped. */
    private Object string(long n, boolean surrogatepass, String what) throws IOException {
        if (n < 0 || n > in.remaining()) {
            throw new PickleException(what + " claims " + n + " bytes but only " + in.remaining()
                    + " remain in the pickle (truncated or corrupt; CPython fails too)");
        }
        if (n <= maxKeptString) {
            return PythonText.utf8(in.readBytes(n, what), surrogatepass, what);
        }
        PythonText.Utf8Check check = new PythonText.Utf8Check(surrogatepass);
        long left = n;
        while (left > 0) {
            int k = (int) Math.min(left, 64 * 1024);
            byte[] chunk = in.readBytes(k, what);
            check.feed(chunk, 0, k, what);
            left -= k;
        }
        check.finish(what);
        return LONG_STRING;
    }

    /** A GLOBAL/INST line: strict UTF-8 (GLOBAL) or ASCII (INST); an empty one is CPython's bad_readline. */
    private String nameLine(String what, boolean ascii) throws IOException {
        String line = in.readLine(what, MAX_NAME_LINE);
        if (line == null) {
            throw new PickleRefusedException(what + " longer than " + MAX_NAME_LINE + " bytes");
        }
        if (line.isEmpty()) {
            throw new PickleException(what + " is empty (CPython fails too: pickle data was truncated)");
        }
        return ascii ? PythonText.ascii(line, what) : PythonText.utf8(PythonText.bytes(line), false, what);
    }

    /** A number line: the bytes before the newline; an empty line is CPython's bad_readline. */
    private String numberLine(String what) throws IOException {
        String line = in.readLine(what, MAX_INT_DIGITS + 8);
        if (line == null) {
            throw new PickleException(what + " with a number of more than " + MAX_INT_DIGITS
                    + " digits (CPython fails too: int_max_str_digits)");
        }
        if (line.isEmpty()) {
            throw new PickleException(what + " is empty (CPython fails too: pickle data was truncated)");
        }
        return line;
    }

    /**
     * INT ({@code load_int}): {@code strtol(s, &end, 0)}, a bool when the line is two characters
     * and the value 0 or 1 ("00", "01", also "-0"), else an int.
     */
    private static Object parseInt(String line) throws IOException {
        if (line.equals("00") || line.equals("01")) {
            return line.equals("01");
        }
        Object v = parseDecimal(line, "INT");
        if (line.equals("-0")) {
            return Boolean.FALSE;
        }
        return v;
    }

    /** A canonical decimal int; other forms CPython would parse are refused, not read another way. */
    private static Object parseDecimal(String line, String what) throws IOException {
        if (!DECIMAL.matcher(line).matches()) {
            throw new PickleRefusedException(what + " argument " + PickleMachine.abbreviate(line)
                    + " is not in the form picklers write (CPython's parser accepts forms sdmodel does not read)");
        }
        int digits = line.length() - (line.startsWith("-") ? 1 : 0);
        if (digits > MAX_INT_DIGITS) {
            throw new PickleException(what + " with a number of " + digits + " digits (CPython fails too: its limit is "
                    + MAX_INT_DIGITS + ")");
        }
        BigInteger v = new BigInteger(line);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** FLOAT ({@code load_float}, {@code PyOS_string_to_double}): overflow is an error in CPython. */
    private static double parseFloat(String line) throws IOException {
        String s = line.toLowerCase(java.util.Locale.ROOT);
        String unsigned = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
        boolean negative = s.startsWith("-");
        if (unsigned.equals("inf") || unsigned.equals("infinity")) {
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (unsigned.equals("nan")) {
            return negative ? -Double.NaN : Double.NaN;
        }
        if (!FLOAT_TEXT.matcher(line).matches()) {
            throw new PickleRefusedException("FLOAT argument " + PickleMachine.abbreviate(line)
                    + " is not in the form picklers write");
        }
        double d = Double.parseDouble(line);
        if (Double.isInfinite(d)) {
            throw new PickleException("FLOAT argument " + PickleMachine.abbreviate(line)
                    + " overflows (CPython fails too: OverflowError)");
        }
        return d;
    }

    /** GET/PUT ({@code load_get}, {@code load_put}: {@code PyLong_FromString(s, NULL, 10)}). */
    private long memoIndex(String what) throws IOException {
        String line = in.readLine(what, 64);
        if (line == null || line.isEmpty() || !MEMO_INDEX.matcher(line).matches()) {
            if (line != null && line.isEmpty()) {
                throw new PickleException(what + " is empty (CPython fails too: pickle data was truncated)");
            }
            throw new PickleRefusedException(what + " index " + (line == null ? "(a long line)" : PickleMachine.abbreviate(line))
                    + " is not in the form picklers write");
        }
        try {
            long v = Long.parseLong(line);
            if (v < 0) {
                throw new PickleException("negative memo index " + v + " in " + what + " (CPython fails too)");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new PickleException(what + " index " + PickleMachine.abbreviate(line)
                    + " is too large (CPython fails too: OverflowError)");
        }
    }

    static String opName(int op) {
        switch (op) {
            case LONG1: return "LONG1";
            case LONG4: return "LONG4";
            case BINBYTES: return "BINBYTES";
            case SHORT_BINBYTES: return "SHORT_BINBYTES";
            case BINBYTES8: return "BINBYTES8";
            case BYTEARRAY8: return "BYTEARRAY8";
            default: return "opcode 0x" + Integer.toHexString(op);
        }
    }
}
