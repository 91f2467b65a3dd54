#!/usr/bin/python3
"""Writes the fixtures of `sdmodel merge`, `extract`, `--bake-vae` and `--fix-clip`, and what the web
UI's Checkpoint Merger makes of them, with real PyTorch and the reference safetensors library.

  /usr/bin/python3 testdata/merge/make_merge_fixtures.py [ORACLES_DIR]

Inputs (tiny SD-shaped models, real key names, every dtype the merger meets):
  a.ckpt           SD 1.x, torch zip, {"state_dict": ...}; float32 with some float16/bfloat16 tensors,
                   int64 CLIP position_ids, int32/float32 0-dim model_ema counters, schedule buffers;
                   a.yaml beside it (the web UI's per-checkpoint config, copied beside merges)
  b.safetensors    float16 with some float32/bfloat16; CLIP under the pre-4.21 `transformers` names the
                   web UI renames; a key A lacks; metadata of an earlier merge (sd_merge_recipe,
                   sd_merge_models), a modelspec.thumbnail and a JSON-object value
  c.safetensors    bfloat16 with some float32; lacks a UNet key B has (its difference is zeros)
  a-inpainting.safetensors, a-pix2pix.safetensors   A with a 9- and an 8-channel UNet input
  b-inpainting.safetensors                          B with a 9-channel input (A normal: refused)
  b-badshape.safetensors                            B with a UNet tensor of another shape (refused)
  vae.pt           a VAE as the web UI's models/VAE holds one: {"state_dict": encoder.*, decoder.*,
                   loss.*, model_ema.decay/num_updates, a key no checkpoint has}
  sd2.ckpt, sdxl.safetensors    for extracting text encoders (OpenCLIP ViT-H; CLIP-L + ViT-bigG)
  sdxl-b.safetensors            another SDXL, to merge with sdxl.safetensors (its int64 CLIP position_ids
                                are merged, and become float32, as the web UI merges them)
  broken-clip.safetensors       float position_ids with 75.99999 at 76 (as merges leave them)

Expected outputs, expected/<case>.safetensors: the web UI's run_modelmerger (modules/extras.py, current
master) transcribed below with torch, on the cases in cases.json. One thing is emulated: torch 2.x
(what the web UI runs) multiplies a float16/bfloat16 tensor by a Python float in float32 with the
multiplier rounded to float32, where the local torch 1.13 rounds the multiplier to the tensor's dtype
first; `mul()` below does it the 2.x way, and is checked against torch 2.11's own results in
../shared/oracles/merge-arith-torch2.11.safetensors when that folder is there. One thing differs on
purpose: the web UI copies an input's metadata values that are JSON objects as parsed objects, and
safetensors then refuses to save them (the merge fails); here they are copied as the strings they were.

Extractions, expected/extract-<model>-<part>.safetensors: the layouts ComfyUI's save nodes write
(VAESave: first_stage_model.X as X; ModelSave: model.diffusion_model.* unchanged; CLIPSave: one file
per text encoder, transformers layout, OpenCLIP converted as comfy.utils.clip_text_transformers_convert
does), computed here with torch from the inputs.

Deterministic: a re-run reproduces every file byte for byte.
"""
import collections
import hashlib
import json
import os
import re
import sys

import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORACLES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "oracles")
EXPECTED = os.path.join(HERE, "expected")
GEN = torch.Generator().manual_seed(20250115)

UNET = "model.diffusion_model."
CLIP = "cond_stage_model.transformer.text_model."
CLIP_OLD = "cond_stage_model.transformer."
F32, F16, BF16 = torch.float32, torch.float16, torch.bfloat16


def t(*shape, dtype=F32, scale=0.1):
    return (torch.randn(*shape, generator=GEN) * scale).to(dtype)


def position_ids():
    return torch.arange(77, dtype=torch.int64).expand((1, -1)).contiguous()


def unet(in_channels, dtypes):
    """A few UNet tensors; dtypes maps a short name to the dtype this model stores it in."""
    return collections.OrderedDict([
        (UNET + "time_embed.0.weight", t(16, 8, dtype=dtypes.get("time", F32))),
        (UNET + "time_embed.0.bias", t(16, dtype=dtypes.get("time_bias", F32))),
        (UNET + "input_blocks.0.0.weight", t(8, in_channels, 3, 3, dtype=dtypes.get("conv_in", F32))),
        (UNET + "input_blocks.0.0.bias", t(8, dtype=dtypes.get("conv_in_bias", F32))),
        (UNET + "input_blocks.1.1.proj_in.weight", t(8, 8, 1, 1, dtype=dtypes.get("proj", F32))),
        (UNET + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", t(8, 768, dtype=dtypes.get("to_k", F32))),
        (UNET + "middle_block.0.in_layers.0.weight", t(8, dtype=dtypes.get("norm", F32), scale=1.0)),
        (UNET + "out.2.weight", t(4, 8, 3, 3, dtype=dtypes.get("out", F32))),
        (UNET + "out.2.bias", t(4, dtype=dtypes.get("out_bias", F32))),
    ])


def first_stage(dtype=F32, prefix="first_stage_model."):
    return collections.OrderedDict([
        (prefix + "encoder.conv_in.weight", t(4, 3, 3, 3, dtype=dtype)),
        (prefix + "encoder.conv_in.bias", t(4, dtype=dtype)),
        (prefix + "decoder.conv_out.weight", t(3, 4, 3, 3, dtype=dtype)),
        (prefix + "decoder.conv_out.bias", t(3, dtype=dtype)),
        (prefix + "quant_conv.weight", t(8, 8, 1, 1, dtype=dtype)),
        (prefix + "post_quant_conv.weight", t(4, 4, 1, 1, dtype=dtype)),
    ])


def clip(prefix, dtype=F32, ids=None):
    return collections.OrderedDict([
        (prefix + "embeddings.position_ids", position_ids() if ids is None else ids),
        (prefix + "embeddings.token_embedding.weight", t(10, 16, dtype=dtype)),
        (prefix + "embeddings.position_embedding.weight", t(77, 16, dtype=dtype)),
        (prefix + "encoder.layers.0.self_attn.q_proj.weight", t(16, 16, dtype=dtype)),
        (prefix + "final_layer_norm.weight", t(768, dtype=dtype)),
    ])


def open_clip(prefix, width, layers=2):
    sd = collections.OrderedDict()
    sd[prefix + "positional_embedding"] = t(77, width)
    sd[prefix + "text_projection"] = t(width, 12)
    sd[prefix + "token_embedding.weight"] = t(10, width)
    sd[prefix + "logit_scale"] = torch.tensor(4.6052)
    for i in range(layers):
        r = f"{prefix}transformer.resblocks.{i}."
        sd[r + "attn.in_proj_weight"] = t(3 * width, width)
        sd[r + "attn.in_proj_bias"] = t(3 * width)
        sd[r + "attn.out_proj.weight"] = t(width, width)
        sd[r + "attn.out_proj.bias"] = t(width)
        sd[r + "ln_1.weight"] = t(width)
        sd[r + "ln_1.bias"] = t(width)
        sd[r + "mlp.c_fc.weight"] = t(4 * width, width)
        sd[r + "mlp.c_fc.bias"] = t(4 * width)
        sd[r + "mlp.c_proj.weight"] = t(width, 4 * width)
        sd[r + "mlp.c_proj.bias"] = t(width)
        sd[r + "ln_2.weight"] = t(width)
        sd[r + "ln_2.bias"] = t(width)
    sd[prefix + "ln_final.weight"] = t(width)
    sd[prefix + "ln_final.bias"] = t(width)
    sd[prefix + "attn_mask"] = torch.full((77, 77), float("-inf")).triu(1)
    return sd


def merged(*parts):
    out = collections.OrderedDict()
    for p in parts:
        for k, v in p.items():
            assert k not in out, k
            out[k] = v
    return out


def model_a(in_channels=4, dtypes=None):
    dt = {"norm": F16, "time": BF16} if dtypes is None else dtypes
    return merged(
        unet(in_channels, dt),
        collections.OrderedDict([(UNET + "only_in_a.weight", t(3))]),
        first_stage(F32),
        clip(CLIP),
        collections.OrderedDict([
            ("alphas_cumprod", torch.linspace(0.99, 0.01, 10, dtype=F32)),
            ("betas", torch.linspace(1e-4, 2e-2, 10, dtype=torch.float64)),
            ("model_ema.decay", torch.tensor(0.9999, dtype=F32)),
            ("model_ema.num_updates", torch.tensor(1234, dtype=torch.int32)),
        ]))


def model_b(in_channels=4, conv_shape=None):
    dt = {"time": F16, "time_bias": F16, "conv_in": F16, "conv_in_bias": F16, "proj": F16, "to_k": F16,
          "norm": F16, "out": F32, "out_bias": BF16}
    sd = merged(
        unet(in_channels, dt),
        collections.OrderedDict([(UNET + "only_in_b.weight", t(5, dtype=F16))]),
        first_stage(F16),
        clip(CLIP_OLD, F16),  # pre-4.21 transformers names: the web UI renames them to text_model.*
        collections.OrderedDict([
            ("model_ema.decay", torch.tensor(0.999, dtype=F32)),
            ("model_ema.num_updates", torch.tensor(77, dtype=torch.int32)),
        ]))
    if conv_shape is not None:
        sd[UNET + "out.2.weight"] = t(*conv_shape, dtype=F16)
    return sd


def model_c():
    dt = {"time": BF16, "time_bias": BF16, "conv_in": BF16, "conv_in_bias": F32, "proj": BF16, "to_k": BF16,
          "norm": F32, "out": BF16, "out_bias": BF16}
    sd = merged(unet(4, dt), first_stage(BF16), clip(CLIP, BF16),
                collections.OrderedDict([("model_ema.decay", torch.tensor(0.99, dtype=BF16))]))
    del sd[UNET + "time_embed.0.bias"]  # B has it: its difference is zeros
    return sd


def vae_file():
    sd = first_stage(F32, prefix="")
    sd["decoder.conv_out.bias"] = t(3, dtype=F16)  # a VAE tensor in another dtype than the checkpoint's
    sd["decoder.mid.attn_1.q.weight"] = t(4, 4, 1, 1)  # no checkpoint here has it: ignored
    sd["loss.discriminator.main.0.weight"] = t(4, 3, 4, 4)
    sd["loss.logvar"] = torch.tensor(0.0)
    sd["model_ema.decay"] = torch.tensor(0.9999)
    sd["model_ema.num_updates"] = torch.tensor(300, dtype=torch.int32)
    return {"state_dict": sd}


B_METADATA = collections.OrderedDict([
    ("format", "pt"),
    ("comment", "from b"),
    ("modelspec.thumbnail", "data:image/png;base64,AAAA"),
    ("ss_tag_frequency", '{"tags": {"cat": 3}}'),
    ("sd_merge_recipe", json.dumps({"type": "webui", "primary_model_hash": "1" * 64, "secondary_model_hash": "2" * 64,
                                    "tertiary_model_hash": None, "interp_method": "Weighted sum", "multiplier": 0.5,
                                    "save_as_half": False, "custom_name": "b", "config_source": 0,
                                    "bake_in_vae": "None", "discard_weights": "", "is_inpainting": False,
                                    "is_instruct_pix2pix": False})),
    ("sd_merge_models", json.dumps({"1" * 64: {"name": "x.safetensors", "legacy_hash": "11111111", "sd_merge_recipe": None},
                                    "2" * 64: {"name": "y.ckpt", "legacy_hash": "22222222", "sd_merge_recipe": None}})),
])


# --- the web UI, transcribed (modules/sd_models.py, sd_vae.py, extras.py) ---------------------------

checkpoint_dict_replacements_sd1 = {
    'cond_stage_model.transformer.embeddings.': 'cond_stage_model.transformer.text_model.embeddings.',
    'cond_stage_model.transformer.encoder.': 'cond_stage_model.transformer.text_model.encoder.',
    'cond_stage_model.transformer.final_layer_norm.': 'cond_stage_model.transformer.text_model.final_layer_norm.',
}
checkpoint_dict_replacements_sd2_turbo = {'conditioner.embedders.0.': 'cond_stage_model.'}
checkpoint_dict_skip_on_merge = ["cond_stage_model.transformer.text_model.embeddings.position_ids"]
vae_ignore_keys = {"model_ema.decay", "model_ema.num_updates"}


def transform_checkpoint_dict_key(k, replacements):
    for text, replacement in replacements.items():
        if k.startswith(text):
            k = replacement + k[len(text):]
    return k


def get_state_dict_from_checkpoint(pl_sd):
    pl_sd = pl_sd.pop("state_dict", pl_sd)
    pl_sd.pop("state_dict", None)
    is_sd2_turbo = 'conditioner.embedders.0.model.ln_final.weight' in pl_sd and pl_sd['conditioner.embedders.0.model.ln_final.weight'].size()[0] == 1024
    sd = {}
    for k, v in pl_sd.items():
        new_key = transform_checkpoint_dict_key(k, checkpoint_dict_replacements_sd2_turbo if is_sd2_turbo else checkpoint_dict_replacements_sd1)
        if new_key is not None:
            sd[new_key] = v
    pl_sd.clear()
    pl_sd.update(sd)
    return pl_sd


def read_state_dict(checkpoint_file):
    if os.path.splitext(checkpoint_file)[1].lower() == ".safetensors":
        pl_sd = load_file(checkpoint_file, device="cpu")
    else:
        pl_sd = torch.load(checkpoint_file, map_location="cpu")
    return get_state_dict_from_checkpoint(pl_sd)


def read_metadata_from_safetensors(filename):
    with open(filename, mode="rb") as file:
        metadata_len = int.from_bytes(file.read(8), "little")
        json_obj = json.loads(file.read(metadata_len))
    res = {}
    for k, v in json_obj.get("__metadata__", {}).items():
        res[k] = v
        if isinstance(v, str) and v[0:1] == '{':
            try:
                res[k] = json.loads(v)
            except Exception:
                pass
    return res


class CheckpointInfo:
    """The parts of sd_models.CheckpointInfo the merger reads."""

    def __init__(self, filename):
        self.filename = filename
        self.name = os.path.basename(filename)
        self.model_name = os.path.splitext(self.name)[0]
        self.metadata = {}
        self.raw_metadata = {}
        if os.path.splitext(filename)[1].lower() == ".safetensors":
            self.metadata = read_metadata_from_safetensors(filename)
            self.metadata.pop('modelspec.thumbnail', None)
            with open(filename, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                self.raw_metadata = json.loads(f.read(n)).get("__metadata__", {})
            self.raw_metadata.pop('modelspec.thumbnail', None)
        with open(filename, "rb") as f:
            data = f.read()
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.hash = hashlib.sha256(data[0x100000:0x110000]).hexdigest()[0:8]  # sd_models.model_hash


def load_vae_dict(filename):
    vae_ckpt = read_state_dict(filename)
    return {k: v for k, v in vae_ckpt.items() if k[0:4] != "loss" and k not in vae_ignore_keys}


def mul(alpha, tensor):
    """alpha * tensor as torch 2.x computes it (see the docstring at the top)."""
    if tensor.dtype in (F16, BF16):
        return (tensor.float() * alpha).to(tensor.dtype)
    return alpha * tensor


def to_half(tensor, enable):
    if enable and tensor.dtype == torch.float:
        return tensor.half()
    return tensor


def run_modelmerger(primary, secondary, tertiary, interp_method, multiplier, save_as_half, bake_in_vae, discard_weights,
                    custom_name=""):
    def weighted_sum(theta0, theta1, alpha):
        return mul(1 - alpha, theta0) + mul(alpha, theta1)

    def get_difference(theta1, theta2):
        return theta1 - theta2

    def add_difference(theta0, theta1_2_diff, alpha):
        return theta0 + mul(alpha, theta1_2_diff)

    theta_funcs = {
        "Weighted sum": (None, weighted_sum),
        "Add difference": (get_difference, add_difference),
        "No interpolation": (None, None),
    }
    theta_func1, theta_func2 = theta_funcs[interp_method]
    primary_model_info = CheckpointInfo(primary)
    secondary_model_info = CheckpointInfo(secondary) if theta_func2 else None
    tertiary_model_info = CheckpointInfo(tertiary) if theta_func1 else None
    result_is_inpainting_model = False
    result_is_instruct_pix2pix_model = False

    theta_1 = read_state_dict(secondary_model_info.filename) if theta_func2 else None
    if theta_func1:
        theta_2 = read_state_dict(tertiary_model_info.filename)
        for key in theta_1.keys():
            if key in checkpoint_dict_skip_on_merge:
                continue
            if 'model' in key:
                if key in theta_2:
                    t2 = theta_2.get(key, torch.zeros_like(theta_1[key]))
                    theta_1[key] = theta_func1(theta_1[key], t2)
                else:
                    theta_1[key] = torch.zeros_like(theta_1[key])
        del theta_2

    theta_0 = read_state_dict(primary_model_info.filename)
    for key in theta_0.keys():
        if theta_1 and 'model' in key and key in theta_1:
            if key in checkpoint_dict_skip_on_merge:
                continue
            a = theta_0[key]
            b = theta_1[key]
            if a.shape != b.shape and a.shape[0:1] + a.shape[2:] == b.shape[0:1] + b.shape[2:]:
                if a.shape[1] == 4 and b.shape[1] == 9:
                    raise RuntimeError("When merging inpainting model with a normal one, A must be the inpainting model.")
                if a.shape[1] == 4 and b.shape[1] == 8:
                    raise RuntimeError("When merging instruct-pix2pix model with a normal one, A must be the instruct-pix2pix model.")
                if a.shape[1] == 8 and b.shape[1] == 4:
                    theta_0[key][:, 0:4, :, :] = theta_func2(a[:, 0:4, :, :], b, multiplier)
                    result_is_instruct_pix2pix_model = True
                else:
                    assert a.shape[1] == 9 and b.shape[1] == 4, f"Bad dimensions for merged layer {key}: A={a.shape}, B={b.shape}"
                    theta_0[key][:, 0:4, :, :] = theta_func2(a[:, 0:4, :, :], b, multiplier)
                    result_is_inpainting_model = True
            else:
                theta_0[key] = theta_func2(a, b, multiplier)
            theta_0[key] = to_half(theta_0[key], save_as_half)
    del theta_1

    if bake_in_vae is not None:
        vae_dict = load_vae_dict(bake_in_vae)
        for key in vae_dict.keys():
            theta_0_key = 'first_stage_model.' + key
            if theta_0_key in theta_0:
                theta_0[theta_0_key] = to_half(vae_dict[key], save_as_half)
        del vae_dict

    if save_as_half and not theta_func2:
        for key in theta_0.keys():
            theta_0[key] = to_half(theta_0[key], save_as_half)

    if discard_weights:
        regex = re.compile(discard_weights)
        for key in list(theta_0):
            if re.search(regex, key):
                theta_0.pop(key, None)

    metadata = {}
    for info in (primary_model_info, secondary_model_info, tertiary_model_info):
        if info:
            metadata.update(info.raw_metadata)  # the web UI: info.metadata (parsed JSON objects; see the top)
    metadata["format"] = "pt"
    merge_recipe = {
        "type": "webui",
        "primary_model_hash": primary_model_info.sha256,
        "secondary_model_hash": secondary_model_info.sha256 if secondary_model_info else None,
        "tertiary_model_hash": tertiary_model_info.sha256 if tertiary_model_info else None,
        "interp_method": interp_method,
        "multiplier": multiplier,
        "save_as_half": save_as_half,
        "custom_name": custom_name,
        "config_source": 0,
        "bake_in_vae": os.path.basename(bake_in_vae) if bake_in_vae else "None",
        "discard_weights": discard_weights,
        "is_inpainting": result_is_inpainting_model,
        "is_instruct_pix2pix": result_is_instruct_pix2pix_model,
    }
    sd_merge_models = {}

    def add_model_metadata(checkpoint_info):
        sd_merge_models[checkpoint_info.sha256] = {
            "name": checkpoint_info.name,
            "legacy_hash": checkpoint_info.hash,
            "sd_merge_recipe": checkpoint_info.metadata.get("sd_merge_recipe", None),
        }
        sd_merge_models.update(checkpoint_info.metadata.get("sd_merge_models", {}))

    add_model_metadata(primary_model_info)
    if secondary_model_info:
        add_model_metadata(secondary_model_info)
    if tertiary_model_info:
        add_model_metadata(tertiary_model_info)
    metadata["sd_merge_recipe"] = json.dumps(merge_recipe)
    metadata["sd_merge_models"] = json.dumps(sd_merge_models)
    return theta_0, metadata, result_is_inpainting_model, result_is_instruct_pix2pix_model


# --- torch 2.x arithmetic, checked against torch 2.11 -------------------------------------------------

def check_mul_against_oracle():
    path = os.path.join(ORACLES, "merge-arith-torch2.11.safetensors")
    if not os.path.exists(path):
        print("no", path, "- the torch 2.x emulation is not re-checked")
        return
    o = load_file(path)
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        ms = [float(m) for m in json.loads(f.read(n))["__metadata__"]["multipliers"].split(",")]
    checked = 0
    for x in ("f32", "f16", "bf16"):
        for y in ("f32", "f16", "bf16"):
            k = f"{x}-{y}"
            a, b = o[k + "/a"], o[k + "/b"]
            for m in ms:
                for name, ours in (("ws", mul(1 - m, a) + mul(m, b)), ("ad", a + mul(m, b))):
                    theirs = o[f"{k}/M={m}/{name}"]
                    assert ours.dtype == theirs.dtype, (k, m, name)
                    same = (ours == theirs) | (ours.isnan() & theirs.isnan())
                    assert bool(same.all()), (k, m, name)  # NaN payloads aside (1.13 drops them)
                    checked += 1
    print("torch 2.x multiplication emulated: matches torch 2.11 on", checked, "oracle tensors")


# --- ComfyUI's save layouts (comfy_extras/nodes_model_merging.py, comfy/utils.py) ----------------------

def comfy_clip_text_transformers_convert(sd, prefix_from, layers=32):
    """comfy.utils.clip_text_transformers_convert(sd, p, p + "transformer.") then CLIPSave's prefix removal,
    keeping only the weights ComfyUI's CLIP model has."""
    out = collections.OrderedDict()
    ren = {"positional_embedding": "text_model.embeddings.position_embedding.weight",
           "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
           "ln_final.weight": "text_model.final_layer_norm.weight", "ln_final.bias": "text_model.final_layer_norm.bias"}
    for k, v in ren.items():
        if prefix_from + k in sd:
            out[v] = sd[prefix_from + k]
    block = {"ln_1": "layer_norm1", "ln_2": "layer_norm2", "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2",
             "attn.out_proj": "self_attn.out_proj"}
    for i in range(layers):
        for x, y in block.items():
            for w in ("weight", "bias"):
                k = f"{prefix_from}transformer.resblocks.{i}.{x}.{w}"
                if k in sd:
                    out[f"text_model.encoder.layers.{i}.{y}.{w}"] = sd[k]
        for w in ("weight", "bias"):
            k = f"{prefix_from}transformer.resblocks.{i}.attn.in_proj_{w}"
            if k in sd:
                weights = sd[k]
                third = weights.shape[0] // 3
                for j, p in enumerate(["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]):
                    out[f"text_model.encoder.layers.{i}.{p}.{w}"] = weights[third * j:third * (j + 1)].contiguous()
    if prefix_from + "text_projection" in sd:
        out["text_projection.weight"] = sd[prefix_from + "text_projection"].transpose(0, 1).contiguous()
    if prefix_from + "logit_scale" in sd:
        out["logit_scale"] = sd[prefix_from + "logit_scale"]
    return out


def strip(sd, prefix, replacement="", leave=()):
    return collections.OrderedDict((replacement + k[len(prefix):], v) for k, v in sd.items()
                                   if k.startswith(prefix) and replacement + k[len(prefix):] not in leave)


# --- writing ------------------------------------------------------------------------------------------

def fix_metadata_order(path, metadata):
    """The safetensors library writes __metadata__ in its hash map's random order; rewrite the header
    with the entries in the order given (same bytes otherwise), so that re-runs are byte-identical."""
    if not metadata:
        return
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n], object_pairs_hook=collections.OrderedDict)
    header["__metadata__"] = collections.OrderedDict(metadata)
    header.move_to_end("__metadata__", last=False)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (n - len(text))
    assert len(text) == n
    with open(path, "wb") as f:
        f.write(data[:8] + text + data[8 + n:])


def save(sd, name, metadata=None):
    path = os.path.join(HERE, name)
    if name.endswith(".safetensors"):
        save_file({k: v.contiguous() for k, v in sd.items()}, path, metadata=metadata)
        fix_metadata_order(path, metadata)
    else:
        torch.save(sd, path)
    return path


def main():
    check_mul_against_oracle()
    os.makedirs(EXPECTED, exist_ok=True)
    save({"state_dict": model_a(), "global_step": 100}, "a.ckpt")
    with open(os.path.join(HERE, "a.yaml"), "w") as f:
        f.write("model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n    parameterization: \"v\"\n")
    save(model_b(), "b.safetensors", B_METADATA)
    save(model_c(), "c.safetensors", {"format": "pt", "comment": "from c"})
    save(model_a(9, {"conv_in": F16}), "a-inpainting.safetensors")
    save(model_a(8), "a-pix2pix.safetensors")
    save(model_b(9), "b-inpainting.safetensors")
    save(model_b(conv_shape=(4, 8, 1, 1)), "b-badshape.safetensors")
    save(vae_file(), "vae.pt")
    sd2 = merged(unet(4, {}), first_stage(), open_clip("cond_stage_model.model.", 24))
    save({"state_dict": sd2}, "sd2.ckpt")
    sdxl = merged(unet(4, {}), first_stage(F16),
                  clip("conditioner.embedders.0.transformer.text_model.", F16),
                  open_clip("conditioner.embedders.1.model.", 32, layers=1))
    save(sdxl, "sdxl.safetensors")
    sdxl_b = merged(unet(4, {"time": F16}), first_stage(F16),
                    clip("conditioner.embedders.0.transformer.text_model.", BF16),
                    open_clip("conditioner.embedders.1.model.", 32, layers=1))
    save(sdxl_b, "sdxl-b.safetensors")
    ids = position_ids().float()
    ids[0, 76] = 75.99999
    save(merged(unet(4, {}), first_stage(), clip(CLIP, ids=ids)), "broken-clip.safetensors")

    cases = json.load(open(os.path.join(HERE, "cases.json")))
    for case in cases["merges"]:
        p = lambda n: os.path.join(HERE, n) if n else None
        theta, metadata, inpainting, pix2pix = run_modelmerger(
            p(case["a"]), p(case.get("b")), p(case.get("c")), case["method"], case["multiplier"],
            case["save_as_half"], p(case.get("bake_vae")), case.get("discard", ""))
        save(theta, os.path.join("expected", case["name"] + ".safetensors"), metadata)
        print(case["name"], len(theta), "tensors", "inpainting" if inpainting else "", "pix2pix" if pix2pix else "")

    ex = {}
    a = get_state_dict_from_checkpoint(torch.load(os.path.join(HERE, "a.ckpt")))
    ex["extract-a-vae"] = strip(a, "first_stage_model.")
    ex["extract-a-unet"] = strip(a, UNET, UNET)
    ex["extract-a-clip_l"] = strip(a, CLIP_OLD, "", ["text_model.embeddings.position_ids"])
    b = get_state_dict_from_checkpoint(load_file(os.path.join(HERE, "b.safetensors")))
    ex["extract-b-clip_l"] = strip(b, CLIP_OLD, "", ["text_model.embeddings.position_ids"])
    s2 = get_state_dict_from_checkpoint(torch.load(os.path.join(HERE, "sd2.ckpt")))
    ex["extract-sd2-clip_h"] = comfy_clip_text_transformers_convert(s2, "cond_stage_model.model.")
    sx = get_state_dict_from_checkpoint(load_file(os.path.join(HERE, "sdxl.safetensors")))
    ex["extract-sdxl-clip_l"] = strip(sx, "conditioner.embedders.0.transformer.", "", ["text_model.embeddings.position_ids"])
    ex["extract-sdxl-clip_g"] = comfy_clip_text_transformers_convert(sx, "conditioner.embedders.1.model.")
    for name, sd in ex.items():
        save(sd, os.path.join("expected", name + ".safetensors"))
        print(name, len(sd), "tensors")


if __name__ == "__main__":
    main()
