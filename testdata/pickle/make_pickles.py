#!/usr/bin/python3
"""Writes pickles of Python values at protocols 0-5 with CPython's own pickle module, and for each
a canonical rendering of the value, which sdmodel's PickleMachine tests must reproduce.

Run: /usr/bin/python3 testdata/pickle/make_pickles.py   (writes beside this script)

Rendering (exact, no float formatting differences): None, True, False; int as decimal;
float as 'f:' + big-endian IEEE hex; str as 's:' + UTF-8 hex; bytes 'b:' + hex; bytearray 'ba:' + hex;
list [a,b]; tuple (a,b); dict {k:v,...} in insertion order; set/frozenset 'set{...}'/'fset{...}'
with items sorted by their rendering. OrderedDict renders as a dict.
"""
import collections
import json
import os
import pickle
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def render(v):
    if v is None:
        return "None"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "f:" + struct.pack(">d", v).hex()
    if isinstance(v, str):
        return "s:" + v.encode("utf-8", "surrogatepass").hex()
    if isinstance(v, bytearray):
        return "ba:" + bytes(v).hex()
    if isinstance(v, bytes):
        return "b:" + v.hex()
    if isinstance(v, list):
        return "[" + ",".join(render(x) for x in v) + "]"
    if isinstance(v, tuple):
        return "(" + ",".join(render(x) for x in v) + ")"
    if isinstance(v, dict):
        return "{" + ",".join(render(k) + ":" + render(x) for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "fset{" + ",".join(sorted(render(x) for x in v)) + "}"
    if isinstance(v, set):
        return "set{" + ",".join(sorted(render(x) for x in v)) + "}"
    raise TypeError(type(v))


shared = [1, 2]
VALUES = {
    "scalars": [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, -65536, 2**31 - 1, -2**31, 2**31,
                2**63 - 1, -2**63, 2**64, -2**64 - 5, 2**200, 0.0, -0.0, 1.5, -2.25e-300, float("inf"),
                float("-inf"), 1e308, 5e-324],
    "strings": ["", "a", "hello world", "üñíçødé", "日本語", "emoji \U0001F600", "quote ' and \" and \\",
                "newline\nand\ttab", "x" * 300, "\x00\x01\x7f"],
    "bytes": [b"", b"\x00\xff\x80", bytes(range(256)), bytearray(b"abc"), bytearray()],
    "containers": {"list": [1, [2, [3, []]]], "tuple": (1, (2, 3), ()), "t1": (1,), "t2": (1, 2),
                   "t3": (1, 2, 3), "t4": (1, 2, 3, 4), "set": {1, 2, 3}, "fset": frozenset({"a", "b"}),
                   "empty_set": set(), "dict_int_keys": {1: "a", -2: "b", 2**70: "c"},
                   "tuple_key": {(1, "x"): 1}, "nested": {"a": {"b": {"c": [1, 2, {"d": None}]}}}},
    "shared_refs": [shared, shared, (shared, shared)],
    "ordered": collections.OrderedDict([("z", 1), ("a", 2), ("m", [3])]),
    "many_items": list(range(2500)),
    "big_dict": {f"k{i}": i for i in range(1100)},
}


def main():
    # expected.json maps each value's name to its rendering; the files are <name>_p<protocol>.pkl.
    expected = {}
    for name, value in VALUES.items():
        for proto in range(0, 6):
            data = pickle.dumps(value, protocol=proto)
            fname = f"{name}_p{proto}.pkl"
            with open(os.path.join(HERE, fname), "wb") as f:
                f.write(data)
        expected[name] = render(value)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
