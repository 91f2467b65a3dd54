#!/usr/bin/python3
"""Computes, with real PyTorch on CPU, the expected results of the precision conversions that
org.sdmodel.convert implements, and writes them next to this script.

Run with the Debian torch (not a venv python):

    /usr/bin/python3 testdata/convert/make_conversion_expectations.py               # quick suite
    /usr/bin/python3 testdata/convert/make_conversion_expectations.py --exhaustive  # + 2^32 counts

Writes conversion-expectations.json: edge values with torch's outputs, sha256 digests of torch's
outputs for deterministic input samples (the Java tests rebuild the same inputs), digests over all
2^16 inputs of the 16-bit types, and with --exhaustive the loss counts of .half() and .bfloat16()
over all 2^32 float32 patterns ("all32").

This is torch 1.13, the local torch. Users run torch 2.x, which differs in one place: a NaN
converted to half keeps its payload (1.13 writes 0x7E00 with the sign). The Java tests compare
with these expectations outside that difference, and compare every output with torch 2.11's
tables in ../shared/oracles (the exhaustive 2^32 sweep included).

"Torch's result" is what a contiguous tensor gives, the way a pruning script calls
tensor.half() on a state dict. torch's CPU copy kernel has two paths, a vectorised one for
contiguous runs and a scalar one (used for strided views and for the tail of each thread's range
in some kernels). They agree except for how NaN is encoded in some bfloat16 conversions; the
script measures where, and records it under "scalarPathDifferences".
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
# torch splits big copies between threads, and the split decides which elements take the scalar
# path in the float64 -> bfloat16 kernel; one thread makes the "contiguous" results well defined.
torch.set_num_threads(1)

SAMPLE_COUNT = 1 << 20  # a multiple of 16, so no element falls in a vector loop's scalar tail
GOLDEN_32 = 2654435761
GOLDEN_64 = 0x9E3779B97F4A7C15
M64 = (1 << 64) - 1

TORCH_DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
                "f64": torch.float64}
BITS_DTYPES = {"f16": np.dtype("<u2"), "bf16": np.dtype("<u2"), "f32": np.dtype("<u4"),
               "f64": np.dtype("<u8")}
INT_VIEW = {"f16": torch.int16, "bf16": torch.int16, "f32": torch.int32, "f64": torch.int64}


def to_tensor(bits, kind):
    """A contiguous tensor of dtype `kind` holding the given bit patterns."""
    raw = np.ascontiguousarray(bits, dtype=BITS_DTYPES[kind])
    signed = raw.view(raw.dtype.str.replace("u", "i"))
    return torch.from_numpy(signed.copy()).view(TORCH_DTYPES[kind])


def to_bits(tensor, kind):
    return tensor.contiguous().view(INT_VIEW[kind]).numpy().view(BITS_DTYPES[kind]).copy()


def convert_contiguous(bits, src, dst):
    """torch's result for a contiguous tensor. Padded to a multiple of 16 elements so every
    element goes through the vectorised loop, as the elements of a large tensor do."""
    n = len(bits)
    padded = np.zeros((n + 15) // 16 * 16, dtype=BITS_DTYPES[src])
    padded[:n] = bits
    return to_bits(to_tensor(padded, src).to(TORCH_DTYPES[dst]), dst)[:n]


def convert_strided(bits, src, dst):
    """torch's result through the scalar loop: the same values as a strided view."""
    spaced = np.zeros(2 * len(bits), dtype=BITS_DTYPES[src])
    spaced[::2] = bits
    return to_bits(to_tensor(spaced, src)[::2].to(TORCH_DTYPES[dst]), dst)


def loss_counts(inputs, src, outputs, dst):
    """What a conversion lost, counted by torch: NaN and infinite inputs, finite inputs that
    became infinite (overflows) and non-zero finite inputs that became zero (underflows)."""
    x = to_tensor(inputs, src).double()
    y = to_tensor(outputs, dst).double()
    finite = torch.isfinite(x)
    return {"nanInputs": int(torch.isnan(x).sum()), "infinityInputs": int(torch.isinf(x).sum()),
            "overflows": int((torch.isinf(y) & finite).sum()),
            "underflows": int(((y == 0) & (x != 0) & finite).sum())}


def add_counts(total, counts):
    for k, v in counts.items():
        total[k] = total.get(k, 0) + v


def digest(bits):
    return hashlib.sha256(np.ascontiguousarray(bits).tobytes()).hexdigest()


def hexes(values, width):
    return ["0x%0*x" % (width, int(v)) for v in values]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f64_value(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


F32_SPECIAL = [
    0x477FE000, 0x477FE001, 0x477FEFFF, 0x477FF000, 0x477FF001,  # 65504 .. 65520
    0x3F801000, 0x3F800FFF, 0x3F801001, 0x3F803000, 0x3F802FFF, 0x3F803001,  # fp16 ties at 1
    0x33800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x33C00000, 0x34200000,  # fp16 subnormals
    0x387FC000, 0x387FBFFF, 0x387FC001, 0x387FE000, 0x387FDFFF, 0x38800000,  # near 2^-14
    0x3F808000, 0x3F807FFF, 0x3F808001, 0x3F818000, 0x3F817FFF, 0x3F818001,  # bf16 ties at 1
    0x7F7F8000, 0x7F7F7FFF, 0x7F7FFFFF, 0x7F7F0000,  # bf16 overflow
    0x00008000, 0x00008001, 0x00007FFF, 0x00018000, 0x00010000, 0x00000001,  # bf16 subnormals
    0x7F800000, 0x00000000,  # inf, zero
    0x7F800001, 0x7FC00000, 0x7FFFFFFF, 0x7FA00000, 0x7F802000, 0x7F801FFF, 0x7FBFFFFF,
    0x7FC00001, 0x7FFF0000, 0x7F810000,  # NaN payloads
]


def f32_edges():
    s = set(F32_SPECIAL)
    for e in range(256):  # every exponent: its first and last encodings
        s.update({e << 23, (e << 23) | 0x7FFFFF})
    return sorted(s | {b ^ 0x80000000 for b in s})


def f64_edges():
    s = set()
    for e in range(256):  # each float32 exponent's first encoding, exactly
        s.add(f64_bits(float(np.frombuffer(struct.pack("<I", e << 23), dtype="<f4")[0])))
    for fb in F32_SPECIAL:  # each special float, and the doubles either side of it
        d = float(np.frombuffer(struct.pack("<I", fb), dtype="<f4")[0])
        if d != d:
            continue
        db = f64_bits(d)
        s.update({db, db + 1, db - 1} if db else {db, 1})
    for x in [1 + 2**-11 + 2**-40, 1 + 2**-11 - 2**-40, 1 + 3 * 2**-11 - 2**-40,
              1 + 3 * 2**-11 + 2**-40, 1 + 2**-8 + 2**-40, 1 + 2**-8 - 2**-40,
              1 + 3 * 2**-8 - 2**-40, 1 + 3 * 2**-8 + 2**-40,  # double rounding probes
              65520 - 2**-30, 65504 + 8 - 2**-40, 2**-25 + 2**-60, 1.5 * 2**-24 - 2**-70,
              1e300, 1e-300, 5e-324, 1.7976931348623157e308, 2.0**-150, 2.0**-150 * (1 + 2**-40),
              2.0**128 * (1 - 2**-25), 2.0**128 * (1 - 2**-25 - 2**-50),
              2.0**128 * (1 - 2**-25 + 2**-50)]:
        s.add(f64_bits(x))
    s.update([0x7FF0000000000001, 0x7FF8000000000000, 0x7FF0000020000000, 0x7FF0000010000000,
              0x7FF4000000000000, 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000, 0x0000000000000001,
              0x000FFFFFFFFFFFFF, 0x0010000000000000])
    return sorted(s | {b ^ 0x8000000000000000 for b in s})


def f32_sample():
    """bits_i = i * 2654435761 mod 2^32: a permutation step that spreads over all exponents."""
    i = np.arange(SAMPLE_COUNT, dtype=np.uint64)
    return ((i * np.uint64(GOLDEN_32)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def splitmix64(i):
    z = (i + np.uint64(1)) * np.uint64(GOLDEN_64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def f64_sample():
    """z = splitmix64(i); by i mod 4: 0 -> z itself; 1 -> z's sign and mantissa with an exponent
    inside float32's range; 2 -> exponent within 2^-32..2^31 and the mantissa bits that become
    float32's low 13 bits forced to a binary16 tie (1 then 12 zeros); 3 -> float32's range with
    float32's low 16 bits forced to a bfloat16 tie (0x8000). The last two probe double rounding."""
    i = np.arange(SAMPLE_COUNT, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = splitmix64(i)
    u = np.uint64
    sign = z & u(0x8000000000000000)
    mant = z & u(0x000FFFFFFFFFFFFF)
    sel = (z >> u(52))
    wide = sign | ((u(1023 - 127) + (sel & u(0xFF))) << u(52)) | mant
    near16 = sign | ((u(1023 - 32) + (sel & u(0x3F))) << u(52)) \
        | (mant & ~(u(0x1FFF) << u(29))) | (u(0x1000) << u(29))
    nearb16 = sign | ((u(1023 - 127) + (sel & u(0xFF))) << u(52)) \
        | (mant & ~(u(0xFFFF) << u(29))) | (u(0x8000) << u(29))
    k = i & u(3)
    return np.where(k == 0, z, np.where(k == 1, wide, np.where(k == 2, near16, nearb16)))


def scalar_difference(inputs, src, dst, contiguous, width_in, width_out, limit=64):
    strided = convert_strided(inputs, src, dst)
    diff = np.nonzero(strided != contiguous)[0]
    if len(diff) == 0:
        return None
    src_float = to_tensor(inputs[diff], src).float()
    return {"count": int(len(diff)), "allNaNInputs": bool(torch.isnan(src_float).all()),
            "scalarOutputs": sorted({"0x%0*x" % (width_out, int(v)) for v in strided[diff]}),
            "examples": [{"input": "0x%0*x" % (width_in, int(inputs[j])),
                          "contiguous": "0x%0*x" % (width_out, int(contiguous[j])),
                          "scalar": "0x%0*x" % (width_out, int(strided[j]))}
                         for j in diff[:limit]]}


WIDTH = {"f16": 4, "bf16": 4, "f32": 8, "f64": 16}


def main():
    exhaustive = "--exhaustive" in sys.argv[1:]
    out = {
        "generatedBy": "testdata/convert/make_conversion_expectations.py",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "note": "outputs are torch's results for contiguous CPU tensors (tensor.to(dtype))",
        "edges": {}, "samples": {}, "all16": {}, "all32": {}, "scalarPathDifferences": {},
    }
    e32 = np.array(f32_edges(), dtype=np.uint32)
    e64 = np.array(f64_edges(), dtype=np.uint64)
    out["edges"]["f32_inputs"] = hexes(e32, 8)
    out["edges"]["f64_inputs"] = hexes(e64, 16)
    pairs = [("f32", "f16", e32), ("f32", "bf16", e32), ("f64", "f16", e64),
             ("f64", "bf16", e64), ("f64", "f32", e64)]
    for src, dst, inputs in pairs:
        name = f"{src}_to_{dst}"
        res = convert_contiguous(inputs, src, dst)
        out["edges"][name] = hexes(res, WIDTH[dst])
        out["edges"][name + "_counts"] = loss_counts(inputs, src, res, dst)
        d = scalar_difference(inputs, src, dst, res, WIDTH[src], WIDTH[dst], limit=4)
        if d:
            out["scalarPathDifferences"][name + " (edges)"] = d

    s32, s64 = f32_sample(), f64_sample()
    out["samples"]["f32"] = {"count": SAMPLE_COUNT,
                             "generator": "bits_i = (i * 2654435761) mod 2^32, i = 0 .. count-1"}
    out["samples"]["f64"] = {"count": SAMPLE_COUNT, "generator": f64_sample.__doc__.strip()
                             + " splitmix64(i): z = (i+1)*0x9E3779B97F4A7C15;"
                             " z = (z^(z>>>30))*0xBF58476D1CE4E5B9;"
                             " z = (z^(z>>>27))*0x94D049BB133111EB; z^(z>>>31)"}
    for src, dst, inputs in [("f32", "f16", s32), ("f32", "bf16", s32), ("f64", "f16", s64),
                             ("f64", "bf16", s64), ("f64", "f32", s64)]:
        name = f"{src}_to_{dst}"
        res = convert_contiguous(inputs, src, dst)
        out["samples"][src][name + "_sha256"] = digest(res)
        out["samples"][src][name + "_counts"] = loss_counts(inputs, src, res, dst)
        d = scalar_difference(inputs, src, dst, res, WIDTH[src], WIDTH[dst], limit=4)
        if d:
            out["scalarPathDifferences"][name + " (sample)"] = d
    # A few sample outputs in clear, to make a digest mismatch easier to chase.
    out["samples"]["f64"]["first_inputs"] = hexes(s64[:8], 16)
    out["samples"]["f32"]["first_inputs"] = hexes(s32[:8], 8)

    all16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    for src, dst in [("f16", "f32"), ("bf16", "f32"), ("f16", "bf16"), ("bf16", "f16")]:
        name = f"{src}_to_{dst}"
        res = convert_contiguous(all16, src, dst)
        out["all16"][name + "_sha256"] = digest(res)
        out["all16"][name + "_counts"] = loss_counts(all16, src, res, dst)
        d = scalar_difference(all16, src, dst, res, WIDTH[src], WIDTH[dst], limit=4)
        if d:
            out["scalarPathDifferences"][name + " (all 2^16)"] = d

    if exhaustive:
        sweep(out)
    path = HERE / "conversion-expectations.json"
    if not exhaustive and path.exists():  # keep the sweep's findings from an earlier run
        old = json.loads(path.read_text())
        out["all32"] = old.get("all32", {})
        for k, v in old.get("scalarPathDifferences", {}).items():
            if k.endswith("(all 2^32)"):
                out["scalarPathDifferences"][k] = v
    path.write_text(dump(out))
    print("wrote", path)


def dump(value, indent=""):
    """JSON with objects spread over lines and lists of scalars kept on one line each."""
    if isinstance(value, dict):
        inner = indent + "  "
        items = [f"{inner}{json.dumps(k)}: {dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" + ("\n" if not indent else "")
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + json.dumps(v) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


def sweep(out):
    """All 2^32 float32 bit patterns -> fp16 and bf16, 2^24 per chunk: loss counts, and where the
    scalar path differs."""
    diffs = {"f16": [0, set(), True], "bf16": [0, set(), True]}
    counts = {"f16": {}, "bf16": {}}
    for k in range(256):
        bits = np.arange(k << 24, (k + 1) << 24, dtype=np.uint64).astype(np.uint32)
        x = to_tensor(bits, "f32")
        spaced = torch.zeros(2 << 24, dtype=torch.float32)
        spaced[::2] = x
        for dst in ("f16", "bf16"):
            res = to_bits(x.to(TORCH_DTYPES[dst]), dst)
            add_counts(counts[dst], loss_counts(bits, "f32", res, dst))
            scalar = to_bits(spaced[::2].to(TORCH_DTYPES[dst]), dst)
            idx = np.nonzero(scalar != res)[0]
            if len(idx):
                diffs[dst][0] += len(idx)
                diffs[dst][1].update(int(v) for v in np.unique(scalar[idx]))
                diffs[dst][2] &= bool(torch.isnan(x[idx]).all())
        print("chunk", k, file=sys.stderr, flush=True)
    for dst in ("f16", "bf16"):
        out["all32"][f"f32_to_{dst}_counts"] = counts[dst]
        n, outs, all_nan = diffs[dst]
        if n:
            out["scalarPathDifferences"][f"f32_to_{dst} (all 2^32)"] = {
                "count": n, "allNaNInputs": all_nan,
                "scalarOutputs": sorted("0x%04x" % v for v in outs)}


if __name__ == "__main__":
    main()
