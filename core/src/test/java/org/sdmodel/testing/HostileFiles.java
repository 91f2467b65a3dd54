package org.sdmodel.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hostile and broken model files, made in memory: what sdmodel must refuse, and how. Core tests
 * open each with the library; CLI tests run each through every command. Every case is small: the
 * hostility is in what the bytes claim (lengths, nesting, imports), not in their size.
 */
public final class HostileFiles {
    private HostileFiles() {
    }

    /** How a case must be refused. */
    public enum Refusal {
        /** A dangerous import: {@code UnsafeModelException}, exit code 3. */
        UNSAFE,
        /** Not a valid model file: {@code ModelFormatException}, exit code 1. */
        INVALID
    }

    /**
     * One hostile file.
     *
     * @param name what is wrong, for test names
     * @param fileName a file name with the extension such a file would have
     * @param content the bytes
     * @param refusal how it must be refused
     * @param mentions a word the one-line message must contain (the import, the rule)
     */
    public record Case(String name, String fileName, byte[] content, Refusal refusal, String mentions) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The imports the issue names as dangerous, with a Python 2 or 3 spelling where both exist:
     * each must be refused wherever it appears.
     */
    public static final List<String[]> DANGEROUS_IMPORTS = List.of(
            new String[] {"builtins", "eval"}, new String[] {"__builtin__", "eval"},
            new String[] {"builtins", "exec"}, new String[] {"builtins", "compile"},
            new String[] {"builtins", "open"}, new String[] {"builtins", "getattr"},
            new String[] {"builtins", "__import__"}, new String[] {"__builtin__", "apply"},
            new String[] {"builtins", "breakpoint"}, new String[] {"os", "system"},
            new String[] {"posix", "system"}, new String[] {"nt", "system"},
            new String[] {"subprocess", "Popen"}, new String[] {"subprocess", "check_output"},
            new String[] {"sys", "exit"}, new String[] {"socket", "create_connection"},
            new String[] {"shutil", "rmtree"}, new String[] {"runpy", "run_path"}, new String[] {"pty", "spawn"},
            new String[] {"pickle", "loads"}, new String[] {"pdb", "set_trace"}, new String[] {"bdb", "Bdb"},
            new String[] {"asyncio", "create_subprocess_shell"}, new String[] {"webbrowser", "open"},
            new String[] {"requests", "get"}, new String[] {"urllib.request", "urlopen"},
            new String[] {"operator", "attrgetter"}, new String[] {"operator", "methodcaller"},
            new String[] {"functools", "partial"}, new String[] {"torch", "load"},
            new String[] {"torch.serialization", "load"});

    /** Every case. */
    public static List<Case> all() {
        List<Case> cases = new ArrayList<>();
        cases.addAll(dangerous());
        cases.addAll(brokenPickles());
        cases.addAll(brokenTorch());
        cases.addAll(brokenZips());
        cases.addAll(brokenSafetensors());
        cases.addAll(notModels());
        return cases;
    }

    // ---- dangerous imports ----

    static List<Case> dangerous() {
        List<Case> cases = new ArrayList<>();
        for (String[] imp : DANGEROUS_IMPORTS) {
            String q = imp[0] + "." + imp[1];
            // A state dict with one real tensor, and the call stored under a second key.
            byte[] pkl = stateDictWith(new PickleBuilder().string("hook").call(imp[0], imp[1], "echo pwned").op('s'));
            cases.add(new Case("zip " + q, "evil-" + q + ".ckpt", floatCheckpoint(pkl), Refusal.UNSAFE, q));
        }
        cases.add(new Case("legacy posix.system in the data pickle", "evil-legacy.pt",
                legacy(PickleBuilder.protocol(2).call("posix", "system", "echo pwned").stop().bytes()),
                Refusal.UNSAFE, "posix.system"));
        cases.add(new Case("legacy os.system in the system-info pickle", "evil-sysinfo.pt",
                legacy(PickleBuilder.protocol(2).op('}').stop().bytes(),
                        PickleBuilder.protocol(2).call("os", "system", "echo pwned").stop().bytes()),
                Refusal.UNSAFE, "os.system"));
        cases.add(new Case("os.system then garbage", "garbage-after.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(2).global("os", "system").raw(0xff, 0xfe, 0x00).bytes()),
                Refusal.UNSAFE, "os.system"));
        cases.add(new Case("os.system in a truncated pickle", "truncated-after.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(2).global("os", "system").string("echo").bytes()),
                Refusal.UNSAFE, "os.system"));
        // str('posix') computed by a call, then STACK_GLOBAL: Python would import posix.system.
        cases.add(new Case("STACK_GLOBAL of a computed name", "computed.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(4).call("builtins", "str", "posix").string("system")
                        .op(0x93).string("echo").op(0x85).op('R').stop().bytes()),
                Refusal.UNSAFE, "computed"));
        cases.add(new Case("os.system reached as an attribute of torch", "torch-os.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(4).stackGlobal("torch", "os.system").stop().bytes()),
                Refusal.UNSAFE, "torch.os.system"));
        cases.add(new Case("a function's __globals__", "globals.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(4)
                        .stackGlobal("torch._utils", "_rebuild_tensor.__globals__").stop().bytes()),
                Refusal.UNSAFE, "__globals__"));
        cases.add(new Case("INST subprocess.Popen", "inst.ckpt",
                ZipBuilder.checkpoint(PickleBuilder.protocol(0).op('(').string("ls").inst("subprocess", "Popen")
                        .stop().bytes()),
                Refusal.UNSAFE, "subprocess.Popen"));
        return cases;
    }

    // ---- pickles that lie about lengths, nest too deep, read what was never stored ----

    static List<Case> brokenPickles() {
        List<Case> cases = new ArrayList<>();
        long huge = 1L << 62;
        invalid(cases, "BINBYTES8 of 2^62 bytes", PickleBuilder.protocol(4).op(0x8e).le(huge, 8).stop(), "BINBYTES8");
        invalid(cases, "BINUNICODE8 of 2^62 bytes", PickleBuilder.protocol(4).op(0x8d).le(huge, 8).stop(), "BINUNICODE8");
        invalid(cases, "BYTEARRAY8 of 2^63-1 bytes", PickleBuilder.protocol(5).op(0x96).le(Long.MAX_VALUE, 8).stop(),
                "BYTEARRAY8");
        invalid(cases, "BINBYTES8 of a negative length", PickleBuilder.protocol(4).op(0x8e).le(-1, 8).stop(), "BINBYTES8");
        invalid(cases, "LONG4 of 2^31-1 bytes", PickleBuilder.protocol(2).op(0x8b).le(0x7fffffffL, 4).stop(), "LONG4");
        invalid(cases, "BINUNICODE of 4 GiB", PickleBuilder.protocol(2).op('X').le(0xffffffffL, 4).stop(), "BINUNICODE");
        invalid(cases, "BINSTRING of 2 GiB", PickleBuilder.protocol(2).op('T').le(0x7fffffffL, 4).stop(), "BINSTRING");
        invalid(cases, "FRAME of 2^62 bytes", PickleBuilder.protocol(4).op(0x95).le(huge, 8).op('}').stop(), "frame");
        invalid(cases, "text LONG of a million digits",
                PickleBuilder.protocol(0).op('L').raw("9".repeat(1_000_000).getBytes(StandardCharsets.US_ASCII))
                        .raw('L', '\n').stop(), "digits");
        invalid(cases, "memo entry never stored", PickleBuilder.protocol(2).op('}').get(7).stop(), "memo");
        invalid(cases, "a negative memo index", PickleBuilder.protocol(0).op('}').op('p').raw('-', '1', '\n').stop(), "memo");
        invalid(cases, "300,000 MARKs", PickleBuilder.protocol(2).repeat('(', 300_000).op('}').stop(), "nesting");
        invalid(cases, "STACK_GLOBAL of two ints", PickleBuilder.protocol(4).integer(1).integer(2).op(0x93).stop(),
                "STACK_GLOBAL");
        invalid(cases, "an unknown opcode", PickleBuilder.protocol(2).op('}').op(0xff).stop(), "opcode");
        invalid(cases, "stack underflow", PickleBuilder.protocol(2).op('s').stop(), "empty stack");
        invalid(cases, "protocol 6", PickleBuilder.protocol(6).op('}').stop(), "protocol");
        invalid(cases, "truncated in a string", PickleBuilder.protocol(2).op('}').string("state_dict").raw(0x8c, 200)
                .raw("short".getBytes(StandardCharsets.US_ASCII)), "truncated");
        // Nesting: lists by EMPTY_LIST and APPEND (no marks), dicts by SETITEM, tuples by TUPLE1.
        int deep = 300_000;
        invalid(cases, "lists nested 300,000 deep",
                PickleBuilder.protocol(2).repeat(']', deep).repeat('a', deep - 1).stop(), "deep");
        PickleBuilder dicts = PickleBuilder.protocol(2);
        for (int i = 0; i < deep; i++) {
            dicts.op('}').integer(0);
        }
        invalid(cases, "dicts nested 300,000 deep", dicts.op('}').repeat('s', deep).stop(), "deep");
        invalid(cases, "a dict key of tuples nested 300,000 deep",
                PickleBuilder.protocol(2).op('}').op('N').repeat(0x85, deep).op('N').op('s').stop(), "deep");
        int frozen = 50_000;
        invalid(cases, "a set item of frozensets nested 50,000 deep",
                PickleBuilder.protocol(4).op(0x8f).op('(').repeat('(', frozen).repeat(0x91, frozen).op(0x90).stop(), "deep");
        invalid(cases, "a list holding itself", PickleBuilder.protocol(2).op(']').put(0).get(0).op('a').stop(), "itself");
        invalid(cases, "a dict holding itself",
                PickleBuilder.protocol(2).op('}').put(0).string("self").get(0).op('s').stop(), "itself");
        // [l59, l59] where l59 = [l58, l58] ...: 2^60 paths through 60 small lists.
        PickleBuilder dag = PickleBuilder.protocol(2).op(']').op('N').op('a').put(0);
        for (int i = 1; i < 60; i++) {
            dag.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i);
        }
        invalid(cases, "a list of 60 levels each holding the level below twice", dag.stop(), "same");
        return cases;
    }

    private static void invalid(List<Case> cases, String name, PickleBuilder pickle, String mentions) {
        cases.add(new Case(name, name.replaceAll("[^A-Za-z0-9]+", "-") + ".ckpt",
                ZipBuilder.checkpoint(pickle.bytes()), Refusal.INVALID, mentions));
    }

    // ---- torch structure: storages and views ----

    static List<Case> brokenTorch() {
        List<Case> cases = new ArrayList<>();
        byte[] sixteen = new byte[16]; // four floats
        cases.add(torch("a storage the archive does not hold", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "7", 4, 0, new long[] {4}, new long[] {1})),
                Map.of("0", sixteen), "storage '7'"));
        cases.add(torch("a storage smaller than it declares", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 1000, 0, new long[] {4}, new long[] {1})),
                Map.of("0", sixteen), "declares"));
        cases.add(torch("a storage of 2^62 elements", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 1L << 62, 0, new long[] {4}, new long[] {1})),
                Map.of("0", sixteen), "storage '0'"));
        cases.add(torch("a shape reaching outside the storage", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 0, new long[] {5}, new long[] {1})),
                Map.of("0", sixteen), "reaches"));
        cases.add(torch("a stride reaching outside the storage", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {3, 1})),
                Map.of("0", sixteen), "reaches"));
        cases.add(torch("an offset reaching outside the storage", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 3, new long[] {2}, new long[] {1})),
                Map.of("0", sixteen), "reaches"));
        cases.add(torch("a shape whose element count overflows", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 0, new long[] {1L << 31, 1L << 31, 1L << 31},
                        new long[] {0, 0, 0})),
                Map.of("0", sixteen), "overflow"));
        cases.add(torch("a negative stride", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 3, new long[] {4}, new long[] {-1})),
                Map.of("0", sixteen), "negative"));
        cases.add(torch("an expanded view of a terabyte", oneTensor(
                new PickleBuilder().tensor("FloatStorage", "0", 4, 0, new long[] {1L << 38}, new long[] {0})),
                Map.of("0", sixteen), "expanded"));
        cases.add(torch("a persistent id that is not a storage", oneTensor(
                new PickleBuilder().op('(').string("module").string("x").op('t').op('Q')),
                Map.of(), "persistent id"));
        return cases;
    }

    private static Case torch(String name, byte[] pkl, Map<String, byte[]> storages, String mentions) {
        return new Case(name, name.replaceAll("[^A-Za-z0-9]+", "-") + ".ckpt",
                ZipBuilder.checkpoint("archive", pkl, storages), Refusal.INVALID, mentions);
    }

    /** {@code {'w': <value>}}. */
    private static byte[] oneTensor(PickleBuilder value) {
        return PickleBuilder.protocol(2).op('}').string("w").raw(value.bytes()).op('s').stop().bytes();
    }

    /** {@code {'model.w': <F32 tensor of 4 over storage '0'>, <more>}}. */
    /** A state dict with one real tensor and {@code more} (a key and a value, then SETITEM) after it. */
    public static byte[] stateDictWith(PickleBuilder more) {
        return PickleBuilder.protocol(2).op('}').string("model.w").floatTensor("0", 4).op('s').raw(more.bytes())
                .stop().bytes();
    }

    /** A zip checkpoint of {@code pkl} with the storage its tensor uses. */
    public static byte[] floatCheckpoint(byte[] pkl) {
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", new byte[16]);
        return ZipBuilder.checkpoint("archive", pkl, storages);
    }

    /**
     * A legacy torch file: magic number, protocol version, system info, the data pickle, the
     * storage key list (empty), as {@code torch.save(..., _use_new_zipfile_serialization=False)}
     * lays them out.
     */
    public static byte[] legacy(byte[] data) {
        return legacy(data, PickleBuilder.protocol(2).op('}').stop().bytes());
    }

    private static byte[] legacy(byte[] data, byte[] systemInfo) {
        byte[] magic = PickleBuilder.protocol(2).op(0x8a).raw(10)
                .raw(0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
        byte[] version = PickleBuilder.protocol(2).integer(1001).stop().bytes();
        byte[] keys = PickleBuilder.protocol(2).op(']').stop().bytes();
        ByteBuffer b = ByteBuffer.allocate(magic.length + version.length + systemInfo.length + data.length + keys.length);
        return b.put(magic).put(version).put(systemInfo).put(data).put(keys).array();
    }

    // ---- zip archives that lie ----

    static List<Case> brokenZips() {
        List<Case> cases = new ArrayList<>();
        byte[] pkl = PickleBuilder.protocol(2).op('}').stop().bytes();
        byte[] version = "3\n".getBytes(StandardCharsets.US_ASCII);
        cases.add(zip("entries that overlap", new ZipBuilder()
                .add("archive/data.pkl", pkl, e -> e.claimedSize = pkl.length + 10)
                .add("archive/version", version), "overlap"));
        cases.add(zip("two directory records for one entry (a loop)", new ZipBuilder().add("archive/data.pkl", pkl)
                .add("archive/version", version, e -> e.sameHeaderAs = 0), "overlap"));
        cases.add(zip("an entry beyond the end", new ZipBuilder()
                .add("archive/data.pkl", pkl, e -> e.claimedSize = 0x7fffffffL), "beyond"));
        cases.add(zip("a compressed entry", new ZipBuilder().add("archive/data.pkl", pkl, e -> e.method = 8),
                "compressed"));
        cases.add(zip("an encrypted entry", new ZipBuilder().add("archive/data.pkl", pkl, e -> e.flags = 1),
                "encrypted"));
        ZipBuilder count = new ZipBuilder().add("archive/data.pkl", pkl);
        count.claimedCount = 65535;
        cases.add(zip("a directory claiming 65535 entries", count, "entries"));
        ZipBuilder selfPointing = new ZipBuilder().add("archive/data.pkl", pkl);
        selfPointing.claimedDirectoryOffset = 0x7ffffff0L;
        cases.add(zip("a directory offset beyond the end", selfPointing, "outside"));
        cases.add(zip("a zip without data.pkl", new ZipBuilder().add("archive/version", version), "data.pkl"));
        byte[] whole = ZipBuilder.checkpoint(pkl);
        cases.add(new Case("a zip cut before its directory", "cut.ckpt",
                java.util.Arrays.copyOf(whole, whole.length / 2), Refusal.INVALID, "end-of-central-directory"));
        return cases;
    }

    private static Case zip(String name, ZipBuilder zip, String mentions) {
        return new Case(name, name.replaceAll("[^A-Za-z0-9]+", "-") + ".ckpt", zip.bytes(), Refusal.INVALID, mentions);
    }

    // ---- safetensors headers that lie (each rule also has its own test in SafetensorsRulesTest) ----

    static List<Case> brokenSafetensors() {
        List<Case> cases = new ArrayList<>();
        String t = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        cases.add(st("a header length of 2^62", safetensors(1L << 62, "{}", new byte[0]), "header"));
        cases.add(st("a header length of 99,999,999 in a small file", safetensors(99_999_999, "{}", new byte[0]),
                "header"));
        cases.add(st("a header length over the limit", safetensors(100_000_001, "{}", new byte[0]), "header"));
        cases.add(st("overlapping offsets", safetensors("{\"a\":" + t + ",\"b\":" + t + "}", new byte[8]), "offset"));
        cases.add(st("a gap between tensors", safetensors("{\"a\":" + t
                + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", new byte[20]), "offset"));
        cases.add(st("an element count that overflows", safetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", new byte[8]),
                "too large"));
        cases.add(st("an unknown dtype", safetensors("{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8]), "dtype"));
        cases.add(st("non-string metadata", safetensors("{\"__metadata__\":{\"n\":1},\"a\":" + t + "}", new byte[8]),
                "metadata"));
        cases.add(st("duplicate keys", safetensors("{\"a\":" + t + ",\"a\":" + t + "}", new byte[8]), "two tensors"));
        cases.add(st("trailing bytes", safetensors("{\"a\":" + t + "}", new byte[12]), "bytes"));
        cases.add(st("truncated data", safetensors("{\"a\":" + t + "}", new byte[4]), "bytes"));
        cases.add(st("a shape of a million dimensions", safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":["
                + "1,".repeat(1_000_000) + "2],\"data_offsets\":[0,8]}}", new byte[8]), "shape"));
        cases.add(st("a header of a million nested lists", safetensors("{\"a\":" + "[".repeat(1_000_000), new byte[0]),
                "list"));
        return cases;
    }

    private static Case st(String name, byte[] content, String mentions) {
        return new Case(name, name.replaceAll("[^A-Za-z0-9]+", "-") + ".safetensors", content, Refusal.INVALID, mentions);
    }

    /** A safetensors file: the header's length, the header, the data. */
    public static byte[] safetensors(String header, byte[] data) {
        return safetensors(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    /** A safetensors file whose length field claims {@code claimed}, whatever the header really is. */
    public static byte[] safetensors(long claimed, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(claimed).put(h).put(data).array();
    }

    // ---- not model files at all ----

    static List<Case> notModels() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("an empty file", "empty.ckpt", new byte[0], Refusal.INVALID, "empty"));
        cases.add(new Case("a web page", "page.ckpt",
                "<!DOCTYPE html><html><body>404</body></html>".getBytes(StandardCharsets.US_ASCII), Refusal.INVALID,
                "HTML"));
        cases.add(new Case("a zstd file", "model.ckpt.zst", new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0},
                Refusal.INVALID, "zstd"));
        return cases;
    }
}
