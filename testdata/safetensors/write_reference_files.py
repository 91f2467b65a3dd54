#!/usr/bin/python3
"""Writes the small safetensors files in reference/ with the reference library.

The Java tests read each file with SafetensorsFile, write it again with SafetensorsWriter and
expect the very same bytes, so these files are the writer's expectations.

Run with Debian's Python (real torch) and the reference safetensors wheel:
    /usr/bin/python3 testdata/safetensors/write_reference_files.py
Written with safetensors 0.8.0 and torch 1.13.
"""
import os

import numpy as np
import torch
from safetensors import TensorSpec, serialize_file
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")


def torch_dtypes():
    """One tensor of each dtype torch 1.13 has, including a scalar and empty tensors."""
    g = torch.Generator().manual_seed(1234)
    tensors = {
        "bool": torch.tensor([[True, False, True], [False, False, True]]),
        "u8": torch.arange(250, 255, dtype=torch.uint8),
        "i8": torch.tensor([[-128, -1], [0, 127]], dtype=torch.int8),
        "i16": torch.tensor([-32768, 1, 32767], dtype=torch.int16),
        "i32": torch.tensor([-2**31, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([[-2**63], [2**63 - 1]], dtype=torch.int64),
        "f16": torch.randn(2, 3, generator=g).half(),
        "bf16": torch.randn(4, generator=g).bfloat16(),
        "f32.scalar": torch.tensor(3.5, dtype=torch.float32),
        "f64": torch.tensor([1e300, -0.0], dtype=torch.float64),
        "f32.empty": torch.zeros(0, dtype=torch.float32),
        "f16.empty": torch.zeros(2, 0, 3, dtype=torch.float16),
        "c64": torch.tensor([1 + 2j, -3.5j], dtype=torch.complex64),
        "i64.scalar": torch.tensor(7, dtype=torch.int64),
    }
    save_file(tensors, os.path.join(OUT, "dtypes-torch.safetensors"), metadata={"format": "pt"})


def raw_dtypes():
    """The dtypes torch 1.13 lacks, through the library's raw interface; no metadata."""
    data = np.arange(1, 33, dtype=np.uint8)
    specs = {}
    for name, dtype, shape, nbytes in [
        ("u16", "uint16", [3], 6),
        ("u32", "uint32", [2], 8),
        ("u64", "uint64", [1, 2], 16),
        ("f8_e4m3", "float8_e4m3fn", [3], 3),
        ("f8_e5m2", "float8_e5m2", [2], 2),
        ("f8_e4m3fnuz", "float8_e4m3fnuz", [1], 1),
        ("f8_e5m2fnuz", "float8_e5m2fnuz", [2], 2),
        ("f8_e8m0", "float8_e8m0fnu", [2], 2),
        ("f4", "float4_e2m1fn_x2", [3], 3),  # stored as F4 of shape [6]
    ]:
        specs[name] = TensorSpec(dtype=dtype, shape=shape, data_ptr=data.ctypes.data, data_len=nbytes)
    serialize_file(specs, os.path.join(OUT, "dtypes-raw.safetensors"))


def names_and_escapes():
    """Names that need escaping or sort differently as UTF-16 and UTF-8; metadata with escapes."""
    names = [
        "a", "b", "B", "a.b", "a b", "\u00e9", "\u4e2d\u6587", "\ue000", "\U0001f600", "\U0001f600x",
        'quote"', "back\\slash", "nl\n", "cr\r", "tab\t", "bs\b", "ff\f", "ctl\x01\x1f\x00",
        "del\x7f", "slash/", "<s1>", "\u2028sep",
    ]
    tensors = {}
    for i, name in enumerate(names):
        dtype = torch.float32 if i % 3 else torch.int64
        tensors[name] = torch.tensor([i], dtype=dtype)
    metadata = {
        'k"ey': "v\\al\nue",
        "unicode \u00e9": "\U0001f600 \u4e2d",
        "controls": "\x00\x01\x1f\x7f\t\r\b\f",
        "": "",
        "json": '{"a": [1, 2]}',
    }
    save_file(tensors, os.path.join(OUT, "names.safetensors"), metadata=metadata)


def small_cases():
    one = {"w": torch.ones(2, 2, dtype=torch.float16)}
    save_file(one, os.path.join(OUT, "empty-metadata.safetensors"), metadata={})
    save_file(one, os.path.join(OUT, "no-metadata.safetensors"))
    save_file({}, os.path.join(OUT, "no-tensors.safetensors"))
    save_file({}, os.path.join(OUT, "metadata-only.safetensors"), metadata={"only": "metadata"})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch_dtypes()
    raw_dtypes()
    names_and_escapes()
    small_cases()
