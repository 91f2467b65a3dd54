#!/usr/bin/python3
"""Expectations for the real safetensors files in ../shared/realmodels, by the reference library.

For each file: every tensor's name, dtype, shape and the sha256 of its raw bytes, in the order
the reference reports by offset (safe_open.offset_keys()); the metadata (None if absent) and its
order in the file's header; and what the reference writer makes of the same tensors and metadata
(safetensors.serialize): its header length, the sha256 of its data section, and the sha256 of
its header after the __metadata__ object. The reference writes metadata in hash-map order, which
changes from run to run, so only the metadata object's length is recorded; the rest of its
header is deterministic.

    /usr/bin/python3 testdata/safetensors/expect_safetensors.py
writes testdata/safetensors/realmodels-expected.json (safetensors 0.8.0, numpy 1.24).
"""
import hashlib
import json
import os
import struct

import numpy as np
import safetensors
from safetensors import TensorSpec, deserialize, safe_open, serialize

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "..", "shared", "realmodels")
FILES = [
    "cloneofsimo-lora_disney.safetensors",
    "kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors",
    "safetensors-samples-overall.safetensors",
]
# TensorSpec takes torch's dtype names.
TORCH_NAMES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16", "I32": "int32",
    "U32": "uint32", "I64": "int64", "U64": "uint64", "F16": "float16", "BF16": "bfloat16",
    "F32": "float32", "F64": "float64", "C64": "complex64",
}
METADATA_PREFIX = b'{"__metadata__":'


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def expect(path):
    content = open(path, "rb").read()
    tensors = dict(deserialize(content))
    with safe_open(path, framework="numpy") as f:
        order = f.offset_keys()
        metadata = f.metadata()
    header_len = struct.unpack("<Q", content[:8])[0]
    header = json.loads(content[8:8 + header_len], object_pairs_hook=lambda pairs: pairs)
    metadata_order = [k for k, v in dict(header).get("__metadata__", [])]

    # What the reference writer makes of the same tensors and metadata.
    keep = []
    specs = {}
    for name, t in tensors.items():
        buf = np.frombuffer(bytes(t["data"]), dtype=np.uint8) if len(t["data"]) else np.zeros(1, np.uint8)
        keep.append(buf)
        specs[name] = TensorSpec(dtype=TORCH_NAMES[t["dtype"]], shape=t["shape"],
                                 data_ptr=buf.ctypes.data, data_len=len(t["data"]))
    out = bytes(serialize(specs, metadata=metadata))
    n = struct.unpack("<Q", out[:8])[0]
    new_header = out[8:8 + n]
    metadata_json_length = 0
    if metadata is not None:
        assert new_header.startswith(METADATA_PREFIX)
        text = new_header.decode("utf-8")
        _, end = json.JSONDecoder().raw_decode(text, len(METADATA_PREFIX))
        metadata_json_length = len(text[len(METADATA_PREFIX):end].encode("utf-8"))
    rest = new_header[len(METADATA_PREFIX) + metadata_json_length:] if metadata is not None else new_header

    return {
        "size": len(content),
        # [name, dtype, shape, sha256 of the raw bytes], in file order
        "tensors": [
            [name, tensors[name]["dtype"], list(tensors[name]["shape"]), sha256(bytes(tensors[name]["data"]))]
            for name in order
        ],
        "metadata": metadata,
        "metadata_order": metadata_order,
        "rewrite": {
            "header_length": n,
            "metadata_json_length": metadata_json_length,
            "header_after_metadata_sha256": sha256(rest),
            "data_sha256": sha256(out[8 + n:]),
        },
    }


def main():
    result = {
        "generator": "testdata/safetensors/expect_safetensors.py",
        "safetensors_version": safetensors.__version__,
        "files": {name: expect(os.path.join(MODELS, name)) for name in FILES},
    }
    # One tensor per line: the file stays small and diffs stay readable.
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    lines = ["{", ' "generator": %s,' % dump(result["generator"]),
             ' "safetensors_version": %s,' % dump(result["safetensors_version"]), ' "files": {']
    for i, (name, e) in enumerate(result["files"].items()):
        lines.append("  %s: {" % dump(name))
        lines.append('   "size": %d,' % e["size"])
        lines.append('   "tensors": [')
        lines.append(",\n".join("    " + dump(t) for t in e["tensors"]))
        lines.append("   ],")
        for key in ("metadata", "metadata_order", "rewrite"):
            lines.append("   %s: %s%s" % (dump(key), dump(e[key]), "," if key != "rewrite" else ""))
        lines.append("  }" + ("," if i + 1 < len(result["files"]) else ""))
    lines += [" }", "}"]
    with open(os.path.join(HERE, "realmodels-expected.json"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
