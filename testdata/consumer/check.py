#!/usr/bin/env python3
"""Checks one run of the consumer against what torch computed for the same file.

usage: check.py EXPECTED.json STDOUT OUTPUT.safetensors "FIRST LINE"

EXPECTED.json is testdata/expected/<fixture>.json, written by testdata/make_fixtures.py with torch:
its "tensors" are the checkpoint's state dict as torch.load gives it, and its "prune" -> "use/fp16"
the tensors of the pruned file (EMA weights swapped in, floats converted as torch's .half() does),
with the sha256 of each tensor's bytes. The consumer's listing must be torch's state dict in its
order, and its output must hold exactly the pruned tensors, bytes included. Reads the safetensors
file with the standard library only (8-byte little-endian header length, JSON header, data).
"""
import hashlib
import json
import os
import struct
import sys


def fail(message):
    print("consumer check FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def main(expected_path, stdout_path, output_path, first_line):
    expected = json.load(open(expected_path, encoding="utf-8"))
    lines = open(stdout_path, encoding="utf-8").read().splitlines()
    if not lines or lines[0] != first_line:
        fail("first line %r, expected %r" % (lines[0] if lines else None, first_line))
    listed = lines[1:-1]
    summary = lines[-1]
    size = os.path.getsize(output_path)
    overflows = expected["prune"]["use/fp16"]["loss"]["overflow"]
    want_summary = "wrote %s: %d bytes, %d values overflowed to infinity" % (output_path, size, overflows)
    if summary != want_summary:
        fail("last line %r, expected %r" % (summary, want_summary))
    want = ["%s %s[%s]" % (t["name"], t["dtype"], ", ".join(str(d) for d in t["shape"]))
            for t in expected["tensors"]]
    if listed != want:
        missing = sorted(set(want) - set(listed))
        extra = sorted(set(listed) - set(want))
        fail("listing differs from torch's state dict (%d lines, expected %d); missing %s; unexpected %s"
             % (len(listed), len(want), missing[:3], extra[:3]))

    with open(output_path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    written = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        written[name] = (info["dtype"], info["shape"], hashlib.sha256(body[begin:end]).hexdigest())
    pruned = {t["name"]: (t["dtype"], t["shape"], t["sha256"]) for t in expected["prune"]["use/fp16"]["tensors"]}
    if set(written) != set(pruned):
        fail("pruned tensors differ: missing %s, unexpected %s"
             % (sorted(set(pruned) - set(written))[:3], sorted(set(written) - set(pruned))[:3]))
    for name, want_tensor in pruned.items():
        if written[name] != want_tensor:
            fail("%s: wrote %s, torch gives %s" % (name, written[name], want_tensor))
    print("consumer check: %d tensors listed as torch lists them; %d pruned tensors equal torch's, bytes included"
          % (len(listed), len(pruned)))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
