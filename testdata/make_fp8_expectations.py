#!/usr/bin/python3
"""What `prune --precision fp8-e4m3fn` and `fp8-e5m2` must write for the SD fixtures, as torch 2.x
computes it: writes expected/fp8-prune.json.

    /usr/bin/python3 testdata/make_fp8_expectations.py [ORACLE_DIR]

The local torch (Debian's 1.13) has no float8 types, and its .half() differs from torch 2.x for NaN
payloads. So the fixtures are loaded and flattened by torch 1.13 (as make_fixtures.py does), and
every conversion is looked up in torch 2.11's tables of its conversions over every input bit
pattern (ORACLE_DIR, default ../shared/oracles/float-conversions-torch2.11 beside the project;
see the README there). float64 goes through torch's .float() first, as torch's half and float8
types are built from a float.

The rule (the issue's, restated here independently of sdmodel's code): floating tensors named
model.diffusion_model.* with two or more dimensions become float8; every other floating tensor
becomes float16; integer tensors and the twelve DDPM schedule buffers keep their dtype. Loss
counts as in torch_expectations.prune: overflow = finite inputs that became infinite or NaN
(e4m3fn has no infinity), underflow = non-zero finite inputs that became zero, nonfinite_in =
NaN and infinite inputs, over converted tensors only. No "safetensors_sha256": the reference
safetensors library cannot write float8 without torch 2.x.
"""
import bisect
import hashlib
import json
import os
import sys

import numpy as np
import torch

import torch_expectations as tx

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = (sys.argv[1] if len(sys.argv) > 1 else
          os.path.join(HERE, "..", "..", "shared", "oracles", "float-conversions-torch2.11"))
UNET = "model.diffusion_model."
FLOAT8 = {"fp8-e4m3fn": ("f8_e4m3fn", "F8_E4M3"), "fp8-e5m2": ("f8_e5m2", "F8_E5M2")}
SOURCE = {torch.float32: ("f32", torch.int32, np.uint32), torch.float16: ("f16", torch.int16, np.uint16),
          torch.bfloat16: ("bf16", torch.int16, np.uint16)}
_tables = {}


def table(src, dst):
    key = f"{src}-to-{dst}"
    if key not in _tables:
        with open(os.path.join(ORACLE, key + ".json")) as f:
            d = json.load(f)
        assert d["torch"].startswith("2.") and not d["truncated"], key
        steps = d["steps"]
        _tables[key] = (d["torch"], np.array([s[0] for s in steps], dtype=np.uint64),
                        np.array([s[1] for s in steps], dtype=np.uint64))
    return _tables[key]


def torch2_convert(t, dst):
    """torch 2.x's t.to(dst) as raw bits (numpy, little-endian on this machine) via the tables."""
    if t.dtype == torch.float64:
        t = t.float()
    src, int_type, unsigned = SOURCE[t.dtype]
    bits = t.detach().contiguous().reshape(-1).view(int_type).numpy().view(unsigned).astype(np.uint64)
    _, inputs, outputs = table(src, dst)
    out = outputs[np.searchsorted(inputs, bits, side="right") - 1]
    return out.astype(np.uint8 if dst.startswith("f8") else np.uint16), list(t.shape)


def is_zero(bits, dst):
    return (bits & (0x7F if dst.startswith("f8") else 0x7FFF)) == 0


def is_nonfinite(bits, dst):
    m = bits & (0x7F if dst.startswith("f8") else 0x7FFF)
    return {"f16": m >= 0x7C00, "f8_e4m3fn": m == 0x7F, "f8_e5m2": m >= 0x7C}[dst]


def prune_fp8(tensors, ema_mode, precision):
    oracle_name, dtype_name = FLOAT8[precision]
    kept, _ = tx.prune(tensors, ema_mode, "keep")  # EMA handling only; nothing converted
    loss = {"overflow": 0, "underflow": 0, "nonfinite_in": 0, "converted": [], "overflowed": [],
            "per_tensor": {}}
    result = []
    for name, t in kept:
        last = name.rsplit(".", 1)[-1]
        entry = tx.describe(name, t)
        if t.is_floating_point() and last not in tx.SCHEDULE_BUFFERS:
            to8 = name.startswith(UNET) and t.dim() >= 2
            dst, out_name = (oracle_name, dtype_name) if to8 else ("f16", "F16")
            if t.dtype != torch.float16 or to8:
                bits, shape = torch2_convert(t, dst)
                a = t.detach().double().reshape(-1)
                finite = torch.isfinite(a).numpy()
                o = int((finite & is_nonfinite(bits, dst)).sum())
                u = int((finite & (a != 0).numpy() & is_zero(bits, dst)).sum())
                n = int((~finite).sum())
                loss["overflow"] += o
                loss["underflow"] += u
                loss["nonfinite_in"] += n
                loss["converted"].append(name)
                if o:
                    loss["overflowed"].append(name)
                if o or u or n:
                    loss["per_tensor"][name] = {"overflow": o, "underflow": u, "nonfinite_in": n}
                entry = {"name": name, "dtype": out_name, "shape": shape,
                         "sha256": hashlib.sha256(bits.tobytes()).hexdigest()}
        result.append(entry)
    result.sort(key=lambda e: (-tx.DTYPE_ORDER.index(e["dtype"]), e["name"].encode("utf-8")))
    return result, loss


def main():
    out = {"generated_by": "testdata/make_fp8_expectations.py",
           "written_with": {"torch (loading)": torch.__version__,
                            "torch (conversions)": table("f32", "f16")[0]},
           "fixtures": {}}
    for fixture in ("sd1-train.ckpt", "sd2-v-train.ckpt"):
        loaded = tx.torch_load(os.path.join(HERE, fixture))
        tensors, _ = tx.flatten(tx.find_state_dict(loaded)[1])
        cases = {}
        for mode in tx.EMA_MODES:
            for precision in FLOAT8:
                try:
                    named, loss = prune_fp8(tensors, mode, precision)
                except AssertionError:
                    continue
                cases[mode + "/" + precision] = {"ema": mode, "precision": precision, "tensors": named,
                                                 "loss": loss}
        out["fixtures"][fixture] = cases
    path = os.path.join(HERE, "expected", "fp8-prune.json")
    with open(path, "w") as f:
        f.write(tx.json_text(out))
    print("wrote", path)


if __name__ == "__main__":
    main()
