package org.sdmodel.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand, for pickles no Python object would produce: hostile lengths,
 * deep nesting, imports followed by garbage. Opcode names and encodings are those of CPython's
 * {@code pickle.py}.
 */
public final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Starts with {@code PROTO protocol} (nothing for protocol 0 or 1). */
    public static PickleBuilder protocol(int protocol) {
        PickleBuilder b = new PickleBuilder();
        if (protocol >= 2) {
            b.op(0x80).raw(protocol);
        }
        return b;
    }

    /** One opcode byte (or any byte). */
    public PickleBuilder op(int opcode) {
        out.write(opcode);
        return this;
    }

    /** The same opcode {@code times} times. */
    public PickleBuilder repeat(int opcode, int times) {
        for (int i = 0; i < times; i++) {
            out.write(opcode);
        }
        return this;
    }

    /** Raw bytes. */
    public PickleBuilder raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    /** Raw bytes. */
    public PickleBuilder raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A little-endian integer of {@code n} bytes. */
    public PickleBuilder le(long value, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (value >>> (8 * i)));
        }
        return this;
    }

    /** {@code GLOBAL module\nname\n}. */
    public PickleBuilder global(String module, String name) {
        return op('c').raw(line(module)).raw(line(name));
    }

    /** {@code INST module\nname\n} (calls the class with the items above the top mark). */
    public PickleBuilder inst(String module, String name) {
        return op('i').raw(line(module)).raw(line(name));
    }

    /** Two strings and {@code STACK_GLOBAL} (protocol 4). */
    public PickleBuilder stackGlobal(String module, String name) {
        return string(module).string(name).op(0x93);
    }

    /** {@code SHORT_BINUNICODE} or {@code BINUNICODE}, as the length needs. */
    public PickleBuilder string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length < 256) {
            return op(0x8c).raw(b.length).raw(b);
        }
        return op('X').le(b.length, 4).raw(b);
    }

    /** {@code BININT1}, {@code BININT2}, {@code BININT} or (beyond 32 bits) {@code LONG1}. */
    public PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').raw((int) v);
        }
        if (v >= 0 && v < 65536) {
            return op('M').le(v, 2);
        }
        if (v == (int) v) {
            return op('J').le(v, 4);
        }
        return op(0x8a).raw(8).le(v, 8);
    }

    /** {@code BINPUT index} (or {@code LONG_BINPUT} beyond 255). */
    public PickleBuilder put(long index) {
        return index < 256 ? op('q').raw((int) index) : op('r').le(index, 4);
    }

    /** {@code BINGET index} (or {@code LONG_BINGET} beyond 255). */
    public PickleBuilder get(long index) {
        return index < 256 ? op('h').raw((int) index) : op('j').le(index, 4);
    }

    /** A call of {@code module.name(arg)} with one string argument: GLOBAL, the argument, TUPLE1, REDUCE. */
    public PickleBuilder call(String module, String name, String arg) {
        return global(module, name).string(arg).op(0x85).op('R');
    }

    /**
     * A tensor as torch pickles it: {@code torch._utils._rebuild_tensor_v2(storage, offset, size,
     * stride, False, OrderedDict())} whose storage is the persistent id {@code ('storage',
     * torch.<storageType>, key, 'cpu', numel)}.
     */
    public PickleBuilder tensor(String storageType, String key, long numel, long offset, long[] shape, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').string("storage").global("torch", storageType).string(key).string("cpu").integer(numel).op('t').op('Q');
        integer(offset);
        op('(');
        for (long d : shape) {
            integer(d);
        }
        op('t').op('(');
        for (long s : stride) {
            integer(s);
        }
        return op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    }

    /** A contiguous F32 tensor of {@code numel} elements over the whole storage {@code key}. */
    public PickleBuilder floatTensor(String key, long numel) {
        return tensor("FloatStorage", key, numel, 0, new long[] {numel}, new long[] {1});
    }

    /** {@code STOP}. */
    public PickleBuilder stop() {
        return op('.');
    }

    /** The bytes so far. */
    public byte[] bytes() {
        return out.toByteArray();
    }

    private static byte[] line(String s) {
        return (s + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
