"""What real PyTorch says about a model file: the expectations sdmodel's tests compare against.

Shared by make_fixtures.py and make_realmodel_expectations.py. Run with /usr/bin/python3 (Debian's
python3-torch 1.13), never with our own Java code: these values are the reference.

The rules mirror the ones the project documents in org.sdmodel.StateDict (where the state dict is,
how nested containers are flattened) and for `prune`; the README of this folder spells them out.
"""
import collections
import hashlib
import io
import json
import pickle
import types

import torch

# torch dtype -> safetensors dtype name (only the dtypes both have).
SAFETENSORS_NAMES = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int16: "I16",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float32: "F32",
    torch.float64: "F64",
}

# The safetensors reference Dtype enum in declaration order; its writer sorts tensors by this
# order descending (U64 first, BOOL last), then by name.
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
               "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
               "C64", "F64", "I64", "U64"]

# The DDPM noise-schedule buffers prune never converts, matched by the last name component.
SCHEDULE_BUFFERS = frozenset([
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
    "sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
    "posterior_mean_coef1", "posterior_mean_coef2",
])

PRECISIONS = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32, "keep": None}
EMA_MODES = ["use", "drop", "keep"]
EMA_PREFIX = "model_ema."
MODEL_PREFIX = "model."


def dense_bytes(t):
    """The tensor's elements, row-major, little-endian (this machine is little-endian), as bytes.

    Reshaping to 1-D first lets 0-dim tensors be viewed as bytes; viewing as uint8 handles bool and
    bfloat16, which numpy cannot represent.
    """
    assert torch.tensor([1], dtype=torch.int16).numpy().tobytes() == b"\x01\x00"
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def sha256(t):
    return hashlib.sha256(dense_bytes(t)).hexdigest()


def describe(name, t):
    return {"name": name, "dtype": SAFETENSORS_NAMES[t.dtype], "shape": list(t.shape),
            "sha256": sha256(t)}


def key_name(k):
    """A dict key as part of a flattened name: strings as they are, ints in decimal."""
    if isinstance(k, bool):
        return "True" if k else "False"
    if isinstance(k, (str, int)):
        return str(k)
    if isinstance(k, type):
        return k.__module__ + "." + k.__qualname__
    return repr(k)


def _is_dict(v):
    return type(v) in (dict, collections.OrderedDict)


def _is_sequence(v):
    # Exact types only: torch.Size is a tuple subclass but is a leaf (sdmodel sees a torch.Size
    # global, not a tuple).
    return type(v) in (list, tuple)


def find_state_dict(root):
    """(location, state dict, root keys other than the state dict) the way sdmodel finds them."""
    sd, location, others = root, "", []
    for depth in range(2):
        if not _is_dict(sd) or not _is_dict(sd.get("state_dict")):
            break
        if depth == 0:
            others = [key_name(k) for k in sd.keys() if k != "state_dict"]
        location = "state_dict" if not location else location + ".state_dict"
        sd = sd["state_dict"]
    return location, sd, others


def flatten(sd):
    """(ordered {name: tensor}, [names of non-tensor leaves]): dicts, lists and tuples are walked
    depth-first in iteration order, names joined with "."; empty containers yield nothing."""
    tensors, skipped = collections.OrderedDict(), []

    def walk(prefix, value):
        if _is_dict(value):
            items = [(key_name(k), v) for k, v in value.items()]
        else:
            items = [(str(i), v) for i, v in enumerate(value)]
        for name, v in items:
            full = prefix + name
            if isinstance(v, torch.Tensor):
                assert full not in tensors, full
                tensors[full] = v
            elif _is_dict(v) or _is_sequence(v):
                walk(full + ".", v)
            else:
                skipped.append(full)

    if _is_dict(sd) or _is_sequence(sd):
        walk("", sd)
    return tensors, skipped


def state_dict_expectations(root):
    location, sd, others = find_state_dict(root)
    tensors, skipped = flatten(sd)
    return {
        "state_dict_location": location,
        "top_level_keys": others,
        "tensors": [describe(n, t) for n, t in tensors.items()],
        "skipped": skipped,
    }


def json_text(value):
    """JSON with one line per tensor record and per list of scalars: diffable, and about half the
    size of fully indented JSON."""
    def inline(v):
        return (isinstance(v, dict) and "sha256" in v) or (
            isinstance(v, (list, dict)) and not any(isinstance(x, (list, dict)) for x in
                                                    (v.values() if isinstance(v, dict) else v)))

    def render(v, depth):
        if inline(v) or not isinstance(v, (list, dict)):
            return json.dumps(v, ensure_ascii=False, allow_nan=False)
        pad, inner = " " * depth, " " * (depth + 1)
        if isinstance(v, dict):
            items = [inner + json.dumps(k, ensure_ascii=False) + ": " + render(x, depth + 1)
                     for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        return "[\n" + ",\n".join(inner + render(x, depth + 1) for x in v) + "\n" + pad + "]"

    return render(value, 0) + "\n"


def safetensors_sort_key(name_and_tensor):
    name, t = name_and_tensor
    return (-DTYPE_ORDER.index(SAFETENSORS_NAMES[t.dtype]), name.encode("utf-8"))


def _conversion_loss(src, dst):
    """(overflow, underflow, nonfinite_in) element counts of converting src to dst."""
    a = src.detach().double()
    b = dst.detach().double()
    finite_in = torch.isfinite(a)
    overflow = int((finite_in & torch.isinf(b)).sum())
    underflow = int((finite_in & (a != 0) & (b == 0)).sum())
    nonfinite_in = int((~finite_in).sum())
    return overflow, underflow, nonfinite_in


def prune(tensors, ema_mode, precision):
    """The tensors prune writes, in safetensors order, and what converting them lost.

    tensors: the flattened state dict (ordered {name: tensor}).
    """
    out = collections.OrderedDict()
    for name, t in tensors.items():
        if name.startswith(EMA_PREFIX) and ema_mode != "keep":
            continue
        if ema_mode == "use" and name.startswith(MODEL_PREFIX):
            ema_name = EMA_PREFIX + name[len(MODEL_PREFIX):].replace(".", "")
            if ema_name in tensors:
                ema = tensors[ema_name]
                assert ema.shape == t.shape and ema.dtype == t.dtype, name
                t = ema
        out[name] = t

    target = PRECISIONS[precision]
    loss = {"overflow": 0, "underflow": 0, "nonfinite_in": 0, "converted": [], "overflowed": [],
            "per_tensor": {}}
    result = []
    for name, t in out.items():
        last = name.rsplit(".", 1)[-1]
        converts = (target is not None and t.is_floating_point() and last not in SCHEDULE_BUFFERS
                    and t.dtype != target)
        if converts:
            c = t.to(target)
            o, u, n = _conversion_loss(t, c)
            loss["overflow"] += o
            loss["underflow"] += u
            loss["nonfinite_in"] += n
            loss["converted"].append(name)
            if o:
                loss["overflowed"].append(name)
            if o or u or n:
                loss["per_tensor"][name] = {"overflow": o, "underflow": u, "nonfinite_in": n}
            t = c
        result.append((name, t))
    result.sort(key=safetensors_sort_key)
    return result, loss


def safetensors_file_sha256(named_tensors):
    """sha256 of the file the reference safetensors library writes for these tensors (no
    metadata). Required: a missing library must not silently change the expectations."""
    import safetensors.torch
    # Clone: the reference writer refuses tensors that share storage.
    data = {n: t.detach().contiguous().clone() for n, t in named_tensors}
    return hashlib.sha256(safetensors.torch.save(data)).hexdigest()


def prune_expectations(tensors):
    result = {}
    for mode in EMA_MODES:
        for precision in PRECISIONS:
            named, loss = prune(tensors, mode, precision)
            result[mode + "/" + precision] = {
                "ema": mode,
                "precision": precision,
                "tensors": [describe(n, t) for n, t in named],
                "loss": loss,
                "safetensors_sha256": safetensors_file_sha256(named),
            }
    return result


# --- Loading files whose pickles name classes that are not installed -----------------------------

class Placeholder:
    """Stands in for any class or function a pickle names whose module does not import here."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        self._args = args

    def __setstate__(self, state):
        self._state = state

    def __reduce__(self):  # never written back; here so pickling a loaded tree fails loudly
        raise TypeError("placeholder for " + type(self).__module__ + "." + type(self).__qualname__)


class LenientUnpickler(pickle.Unpickler):
    placeholders = {}

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            key = (module, name)
            if key not in self.placeholders:
                cls = type(name, (Placeholder,), {"__module__": module, "__qualname__": name})
                self.placeholders[key] = cls
            return self.placeholders[key]


def _lenient_load(f, **kwargs):
    return LenientUnpickler(f, **kwargs).load()


# A stand-in for the pickle module: everything pickle has, with the lenient Unpickler and load().
lenient_pickle = types.ModuleType("lenient_pickle")
lenient_pickle.__dict__.update({k: v for k, v in vars(pickle).items() if not k.startswith("__")})
lenient_pickle.Unpickler = LenientUnpickler
lenient_pickle.load = _lenient_load
lenient_pickle.loads = lambda b, **kw: _lenient_load(io.BytesIO(b), **kw)


def torch_load(path):
    """torch.load with unknown classes replaced by placeholders.

    torch 1.13 ignores load()'s pickle_module argument unless weights_only is set (it assigns
    `pickle_module = pickle` in the other branch), so the module-global `pickle` it reads is
    swapped for the duration of the call instead.
    """
    original = torch.serialization.pickle
    torch.serialization.pickle = lenient_pickle
    try:
        return torch.load(path, map_location="cpu")
    finally:
        torch.serialization.pickle = original
