#!/usr/bin/python3
"""Writes testdata/scan/differential.json: for each benign pure-data pickle of the scan corpus
(every protocol 0-5, and the framing variants CPython reads the same from bytes and from a file:
an empty frame, no frames, bytes outside frames), the object tree CPython's unpickler (the C one, as pickle.loads runs
it) builds, in a canonical text the Java test renders sdmodel's tree into too.

Run after make_corpus.py: /usr/bin/python3 testdata/scan/make_differential.py

These pickles are sdmodel's own (make_corpus.py wrote them from plain data); even so they are
loaded by an Unpickler whose find_class allows only the five harmless globals plain data uses.

Canonical text: None, True, False; ints in decimal; floats as "f" + the 8 IEEE bytes in hex; str as
"s" + UTF-16-LE hex (surrogatepass: lone surrogates kept); bytes "b"+hex, bytearray "ba"+hex;
list [..], tuple (..), dict dict{k:v,..} and OrderedDict OrderedDict{..} in insertion order;
set{..} and frozenset{..} with their items sorted (Python's iteration order is its hash order).
"""
import collections
import io
import json
import os
import pickle
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOWED = {("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"), ("builtins", "bytes"),
           ("_codecs", "encode"), ("collections", "OrderedDict")}


class DataOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module.replace("__builtin__", "builtins"), name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


def canon(o):
    if o is None:
        return "None"
    if o is True or o is False:
        return str(o)
    if type(o) is int:
        return str(o)
    if type(o) is float:
        return "f" + struct.pack(">d", o).hex()
    if type(o) is str:
        return "s" + o.encode("utf-16-le", "surrogatepass").hex()
    if type(o) is bytes:
        return "b" + o.hex()
    if type(o) is bytearray:
        return "ba" + o.hex()
    if type(o) is list:
        return "[" + ",".join(canon(x) for x in o) + "]"
    if type(o) is tuple:
        return "(" + ",".join(canon(x) for x in o) + ")"
    if type(o) in (dict, collections.OrderedDict):
        name = "dict" if type(o) is dict else "OrderedDict"
        return name + "{" + ",".join(canon(k) + ":" + canon(v) for k, v in o.items()) + "}"
    if type(o) in (set, frozenset):
        return type(o).__name__ + "{" + ",".join(sorted(canon(x) for x in o)) + "}"
    raise TypeError(type(o))


def main():
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    out = {}
    for e in manifest:
        if e["expect"] != "benign" or not (e["source"].startswith("fickling test/test_benign_edge_cases.py pure data")
                                             or e["source"].startswith("sdmodel issue #13, framing")):
            continue
        data = open(os.path.join(HERE, "corpus", e["file"]), "rb").read()
        # From a file object, as torch.load unpickles data.pkl (an io.BytesIO).
        out[e["file"]] = canon(DataOnly(io.BytesIO(data)).load())
    with open(os.path.join(HERE, "differential.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(out)} expectations")


if __name__ == "__main__":
    main()
