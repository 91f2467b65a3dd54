#!/usr/bin/python3
"""Writes the fixtures of `sdmodel inspect` and `sdmodel hash`, and what they are, with real PyTorch
and the reference safetensors library:

* one tiny file per architecture sdmodel names (sd1, sd1-inpainting, sd1-pix2pix, sd2, sd2-inpainting,
  sd2-depth, sdxl, sdxl-refiner, vae, lora in kohya/diffusers/PEFT styles, embedding in the web UI's,
  the plain and the SDXL form) plus a broken merge and an unknown file. Tensors are tiny, but every key
  name is a real one and every shape feature the detection reads is the released model's (UNet input
  channels, text-encoder widths, cross-attention widths). `expected.json` states, per fixture, what it
  is and which keys decide it (the fixture was built around them), and what torch counts in it;
* `realmodels-expected.json`: the same facts for the real LoRA files in ../shared/realmodels (read
  from their headers with Python's json, key order by data offset as sdmodel reads them);
* `hashes-expected.json`: sha256 / autov1 / autov2 / autov3 computed with hashlib exactly as the web
  UI computes them (modules/hashes.py, modules/sd_models.py), for every real file, every fixture
  here, and files made of a formula-defined byte pattern (the Java test regenerates them);
* `webui/cache.json` and `webui/cache-after.json`: a real-looking web UI hash cache, and what the web
  UI's own code (hashes[title] = {...}; json.dump(indent=4)) makes of it after recording two hashes;
  plus `float-repr.json`: Python's repr of doubles, and st_mtime for (seconds, nanoseconds) pairs.

Run from anywhere:  /usr/bin/python3 testdata/arch/make_arch_fixtures.py [REALMODELS_DIR]
Deterministic: re-running reproduces every file byte for byte.
"""
import collections
import hashlib
import json
import math
import os
import random
import struct
import sys
import tempfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REALMODELS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "realmodels")

GEN = torch.Generator().manual_seed(20240606)

UNET = "model.diffusion_model."
INPUT_CONV = UNET + "input_blocks.0.0.weight"
CLIP = "cond_stage_model.transformer.text_model."
OPEN_CLIP = "cond_stage_model.model."


def t(*shape, dtype=torch.float16):
    return (torch.randn(*shape, generator=GEN) * 0.1).to(dtype)


def position_ids():
    """CLIP's position_ids buffer as transformers saves it: int64 arange(77), shape [1, 77]."""
    return torch.arange(77, dtype=torch.int64).expand((1, -1)).contiguous()


# --- components: {key: tensor}, real key names, tiny shapes except the telling dimensions -------------

def unet_sd1(in_channels, context=768, linear_proj=False):
    blocks = UNET + "input_blocks.1.1."
    return collections.OrderedDict([
        (UNET + "time_embed.0.weight", t(8, 4)),
        (UNET + "time_embed.0.bias", t(8)),
        (INPUT_CONV, t(4, in_channels, 3, 3)),
        (UNET + "input_blocks.0.0.bias", t(4)),
        (blocks + "norm.weight", t(4)),
        # SD 2.x made proj_in linear (use_linear_in_transformer), SD 1.x has a 1x1 convolution.
        (blocks + "proj_in.weight", t(4, 4) if linear_proj else t(4, 4, 1, 1)),
        (blocks + "transformer_blocks.0.attn1.to_q.weight", t(4, 4)),
        (blocks + "transformer_blocks.0.attn2.to_k.weight", t(2, context)),
        (UNET + "out.2.weight", t(4, 4, 3, 3)),
        (UNET + "out.2.bias", t(4)),
    ])


def unet_sdxl(label_width, context):
    """SDXL's UNet has no attention at level 1: its first transformer is input_blocks.4.1."""
    return collections.OrderedDict([
        (UNET + "time_embed.0.weight", t(8, 4)),
        (UNET + "label_emb.0.0.weight", t(1, label_width)),
        (INPUT_CONV, t(4, 4, 3, 3)),
        (UNET + "input_blocks.4.1.proj_in.weight", t(4, 4)),
        (UNET + "input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", t(2, context)),
        (UNET + "out.2.weight", t(4, 4, 3, 3)),
    ])


def first_stage(prefix="first_stage_model."):
    return collections.OrderedDict([
        (prefix + "encoder.conv_in.weight", t(4, 3, 3, 3)),
        (prefix + "encoder.conv_in.bias", t(4)),
        (prefix + "decoder.conv_out.weight", t(3, 4, 3, 3)),
        (prefix + "decoder.conv_out.bias", t(3)),
        (prefix + "quant_conv.weight", t(8, 8, 1, 1)),
        (prefix + "post_quant_conv.weight", t(4, 4, 1, 1)),
    ])


def clip_l(prefix=CLIP, ids=None):
    return collections.OrderedDict([
        (prefix + "embeddings.position_ids", position_ids() if ids is None else ids),
        (prefix + "embeddings.token_embedding.weight", t(2, 4)),
        (prefix + "encoder.layers.0.self_attn.q_proj.weight", t(4, 4)),
        (prefix + "final_layer_norm.weight", t(768)),
    ])


def open_clip(prefix, width):
    return collections.OrderedDict([
        (prefix + "positional_embedding", t(77, 4)),
        (prefix + "token_embedding.weight", t(2, 4)),
        (prefix + "transformer.resblocks.0.attn.in_proj_weight", t(12, 4)),
        (prefix + "ln_final.weight", t(width)),
    ])


def depth_model():
    return collections.OrderedDict([
        ("depth_model.model.pretrained.model.cls_token", t(1, 1, 4)),
        ("depth_model.model.scratch.output_conv.0.weight", t(4, 4, 3, 3)),
    ])


def schedule():
    return collections.OrderedDict([("betas", t(16, dtype=torch.float32)),
                                    ("alphas_cumprod", t(16, dtype=torch.float32))])


def stats(tensors):
    return {"tensors": len(tensors),
            "parameters": sum(v.numel() for v in tensors.values()),
            "bytes": sum(v.numel() * v.element_size() for v in tensors.values())}


def merge(*parts):
    out = collections.OrderedDict()
    for p in parts:
        for k, v in p.items():
            assert k not in out, k
            out[k] = v
    return out


# --- the fixtures -----------------------------------------------------------------------------------

FIXTURES = []


def fixture(name, what, architecture, deciding, components, other=None, save="safetensors",
            wrap=None, metadata=None, missing=(), problems=(), prediction="eps"):
    """Records one fixture: `components` maps sdmodel's component names to their tensors, `other`
    holds the state-dict tensors in none (schedule buffers, a LoRA's stray keys)."""
    other = other or collections.OrderedDict()
    sd = merge(*components.values(), other)
    path = os.path.join(HERE, name)
    if save == "safetensors":
        save_file(sd, path, metadata=metadata)
    else:
        torch.save(wrap(sd) if wrap else sd, path)
    FIXTURES.append((name, {
        "what": what,
        "architecture": architecture,
        "deciding_keys": deciding,
        "components": {c: stats(v) for c, v in components.items()},
        "other_tensors": stats(other),
        "missing_components": list(missing),
        "problem_keys": list(problems),
        "prediction": prediction,
        "state_dict": stats(sd),
    }))


def lightning(sd, step=470000):
    """How CompVis and Stability saved their release checkpoints: Lightning's dict around the weights."""
    return {"global_step": step, "state_dict": sd}


def build():
    fixture("sd1.ckpt", "SD 1.x checkpoint as the releases are saved (Lightning dict, torch zip)",
            "sd1", [CLIP + "final_layer_norm.weight", INPUT_CONV],
            {"unet": unet_sd1(4), "vae": first_stage(), "text_encoder": clip_l()},
            other=schedule(), save="torch", wrap=lightning)
    fixture("sd1-inpainting.safetensors", "SD 1.5 inpainting: UNet input 9 channels",
            "sd1-inpainting", [CLIP + "final_layer_norm.weight", INPUT_CONV],
            {"unet": unet_sd1(9), "vae": first_stage(), "text_encoder": clip_l()})
    fixture("sd1-pix2pix.safetensors", "InstructPix2Pix: UNet input 8 channels",
            "sd1-pix2pix", [CLIP + "final_layer_norm.weight", INPUT_CONV],
            {"unet": unet_sd1(8), "vae": first_stage(), "text_encoder": clip_l()})
    fixture("sd2.safetensors", "SD 2.x: OpenCLIP ViT-H text encoder, width 1024; prediction unknowable",
            "sd2", [OPEN_CLIP + "ln_final.weight", INPUT_CONV],
            {"unet": unet_sd1(4, 1024, True), "vae": first_stage(), "text_encoder": open_clip(OPEN_CLIP, 1024)},
            prediction="unknown")
    fixture("sd2-inpainting.ckpt", "SD 2 inpainting (512-inpainting-ema.ckpt layout): 9 channels",
            "sd2-inpainting", [OPEN_CLIP + "ln_final.weight", INPUT_CONV],
            {"unet": unet_sd1(9, 1024, True), "vae": first_stage(), "text_encoder": open_clip(OPEN_CLIP, 1024)},
            save="torch", wrap=lightning, prediction="unknown")
    fixture("sd2-depth.safetensors", "SD 2 depth-to-image: depth_model.* and 5 input channels",
            "sd2-depth", [OPEN_CLIP + "ln_final.weight", "depth_model.model.pretrained.model.cls_token", INPUT_CONV],
            {"unet": unet_sd1(5, 1024, True), "vae": first_stage(), "text_encoder": open_clip(OPEN_CLIP, 1024),
             "depth_model": depth_model()}, prediction="unknown")
    fixture("sdxl.safetensors", "SDXL base: CLIP ViT-L + OpenCLIP ViT-bigG (conditioner.embedders.0/1)",
            "sdxl", ["conditioner.embedders.1.model.ln_final.weight",
                     "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight", INPUT_CONV],
            {"unet": unet_sdxl(2816, 2048), "vae": first_stage(),
             "text_encoder": clip_l("conditioner.embedders.0.transformer.text_model."),
             "text_encoder_2": open_clip("conditioner.embedders.1.model.", 1280)},
            metadata={"modelspec.architecture": "stable-diffusion-xl-v1-base"})
    fixture("sdxl-refiner.safetensors", "SDXL refiner: ViT-bigG alone as conditioner.embedders.0.model",
            "sdxl-refiner", ["conditioner.embedders.0.model.ln_final.weight", INPUT_CONV],
            {"unet": unet_sdxl(2560, 1280), "vae": first_stage(),
             "text_encoder": open_clip("conditioner.embedders.0.model.", 1280)})
    fixture("vae-ft-mse.ckpt", "a standalone VAE as vae-ft-mse-840000-ema-pruned.ckpt has it",
            "vae", ["encoder.conv_in.weight", "decoder.conv_out.weight"],
            {"vae": first_stage("")}, save="torch", wrap=lambda sd: {"global_step": 840001, "state_dict": sd},
            prediction="unknown")
    fixture("vae-first-stage.safetensors", "a VAE extracted with its checkpoint prefix",
            "vae", ["first_stage_model.encoder.conv_in.weight", "first_stage_model.decoder.conv_out.weight"],
            {"vae": first_stage()}, prediction="unknown")

    kohya_unet = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    kohya_te = "lora_te_text_model_encoder_layers_0_self_attn_q_proj"
    # sdmodel names the first key of a kind in file order; the reference writer orders tensors by
    # dtype, then name, so the 0-dim .alpha keys come first here, and text_encoder.* before unet.*.
    fixture("lora-kohya.safetensors", "kohya sd-scripts LoRA (networks.lora) with its ss_* metadata",
            "lora", [kohya_unet + ".alpha", kohya_te + ".alpha"],
            {"unet": collections.OrderedDict([(kohya_unet + ".lora_down.weight", t(2, 8)),
                                               (kohya_unet + ".lora_up.weight", t(8, 2)),
                                               (kohya_unet + ".alpha", torch.tensor(1.0, dtype=torch.float16))]),
             "text_encoder": collections.OrderedDict([(kohya_te + ".lora_down.weight", t(2, 8)),
                                                       (kohya_te + ".lora_up.weight", t(8, 2)),
                                                       (kohya_te + ".alpha", torch.tensor(1.0, dtype=torch.float16))])},
            metadata={"ss_network_module": "networks.lora", "ss_network_dim": "2", "ss_network_alpha": "1.0",
                      "ss_output_name": "fixture_lora", "ss_sd_model_name": "v1-5-pruned-emaonly.safetensors",
                      "ss_num_train_images": "20", "ss_epoch": "2", "ss_num_epochs": "10",
                      "ss_training_started_at": "1700000000.5", "ss_training_finished_at": "1700003723.9",
                      "ss_dataset_dirs": json.dumps({"5_fixture cat": {"n_repeats": 5, "img_count": 4}}),
                      "ss_tag_frequency": json.dumps({"5_fixture cat": {"cat": 4, "sitting": 2, " outdoors": 1}}),
                      "ss_v2": "False"},
            prediction="unknown")
    diff_unet = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"
    diff_te = "text_encoder.text_model.encoder.layers.0.self_attn.q_proj"
    fixture("lora-diffusers.safetensors", "diffusers LoRA (save_lora_weights): .lora.down/.lora.up",
            "lora", [diff_te + ".lora.down.weight"],
            {"unet": collections.OrderedDict([(diff_unet + ".lora.down.weight", t(2, 8)),
                                               (diff_unet + ".lora.up.weight", t(8, 2))]),
             "text_encoder": collections.OrderedDict([(diff_te + ".lora.down.weight", t(2, 8)),
                                                       (diff_te + ".lora.up.weight", t(8, 2))])},
            prediction="unknown")
    fixture("lora-peft.safetensors", "PEFT-style LoRA: .lora_A/.lora_B",
            "lora", [diff_unet + ".lora_A.weight"],
            {"unet": collections.OrderedDict([(diff_unet + ".lora_A.weight", t(2, 8)),
                                               (diff_unet + ".lora_B.weight", t(8, 2))])},
            prediction="unknown")
    fixture("embedding-webui.pt", "a web UI textual inversion .pt: string_to_param {'*': [2, 768]}",
            "embedding", ["string_to_param.*"],
            {"embedding": collections.OrderedDict([("string_to_param.*", t(2, 768, dtype=torch.float32))])},
            save="torch", prediction="unknown",
            wrap=lambda sd: {"string_to_token": {"*": 265}, "string_to_param": {"*": sd["string_to_param.*"]},
                             "name": "fixture-embedding", "step": 1000, "sd_checkpoint": "cc6cb27103",
                             "sd_checkpoint_name": "v1-5-pruned-emaonly"})
    fixture("embedding-sd2.safetensors", "a textual inversion saved as safetensors: emb_params [3, 1024]",
            "embedding", ["emb_params"], {"embedding": collections.OrderedDict([("emb_params", t(3, 1024))])},
            prediction="unknown")
    fixture("embedding-sdxl.safetensors", "an SDXL textual inversion: clip_l [2, 768] and clip_g [2, 1280]",
            "embedding", ["clip_g", "clip_l"],
            {"embedding": collections.OrderedDict([("clip_l", t(2, 768)), ("clip_g", t(2, 1280))])},
            prediction="unknown")

    broken_ids = torch.arange(77, dtype=torch.float32).unsqueeze(0)
    broken_ids[0, 76] = 75.99999
    sha_a = "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516"
    sha_b = "e1441589a6f3c5a53f5f54d0975a18a7feb7cdf0b0dee276dfc3331ae376a053"
    fixture("sd1-merge-broken.safetensors",
            "a web UI merge without VAE whose position_ids became float32 with 75.99999 at 76",
            "sd1", [CLIP + "final_layer_norm.weight", INPUT_CONV],
            {"unet": unet_sd1(4), "text_encoder": clip_l(ids=broken_ids)},
            missing=["vae"], problems=[CLIP + "embeddings.position_ids"],
            metadata={"format": "pt",
                      "sd_merge_recipe": json.dumps({
                          "type": "webui", "primary_model_hash": sha_a, "secondary_model_hash": sha_b,
                          "tertiary_model_hash": None, "interp_method": "Weighted sum", "multiplier": 0.3,
                          "save_as_half": True, "custom_name": "fixture-merge", "config_source": 0,
                          "bake_in_vae": "None", "discard_weights": "", "is_inpainting": False,
                          "is_instruct_pix2pix": False}),
                      "sd_merge_models": json.dumps({
                          sha_a: {"name": "v1-5-pruned-emaonly.ckpt", "legacy_hash": "81761151", "sd_merge_recipe": None},
                          sha_b: {"name": "v1-5-pruned.ckpt", "legacy_hash": "a9263745", "sd_merge_recipe": None}})})
    fixture("unknown.safetensors", "tensors with no Stable Diffusion key names", "unknown", [],
            {}, other=collections.OrderedDict([("encoder.layer.0.weight", t(4, 4)), ("head.bias", t(4))]),
            prediction="unknown")


def training_fixture_facts():
    """Facts about the Lightning training fixtures one folder up (written by ../make_fixtures.py)."""
    sys.path.insert(0, ROOT + "/testdata")
    sys.dont_write_bytecode = True
    import torch_expectations as tx
    facts = {}
    for name in ["sd1-train.ckpt", "sd2-v-train.ckpt"]:
        root = tx.torch_load(os.path.join(ROOT, "testdata", name))
        _, sd, _ = tx.find_state_dict(root)
        tensors, _ = tx.flatten(sd)
        unet = [k for k in tensors if k.startswith(UNET)]
        ema_names = {"model_ema." + k[len("model."):].replace(".", "") for k in unet}
        facts[name] = {
            "architecture": "sd1" if name.startswith("sd1") else "sd2",
            "prediction": root["hyper_parameters"].get("parameterization", "eps") if name.startswith("sd2") else "eps",
            "unet_weights": len(unet),
            "unet_covered": len([n for n in ema_names if n in tensors]),
            "ema_copies": len([k for k in tensors if k.startswith("model_ema.")
                               and k not in ("model_ema.decay", "model_ema.num_updates")]),
            "has_optimizer": len(root.get("optimizer_states", [])) > 0,
        }
    return facts


# --- real files ---------------------------------------------------------------------------------------

def safetensors_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    metadata = header.pop("__metadata__", {})
    # sdmodel lists tensors in file order: by data offset.
    ordered = sorted(header.items(), key=lambda kv: (kv[1]["data_offsets"][0], kv[1]["data_offsets"][1]))
    return ordered, metadata


def real_lora_facts():
    facts = {}
    path = os.path.join(REALMODELS, "cloneofsimo-lora_disney.safetensors")
    keys, _ = safetensors_header(path)
    import re
    first = next(k for k, _ in keys if re.fullmatch(r"(unet|text_encoder)(_\d+)?:\d+:(up|down)", k))
    facts["cloneofsimo-lora_disney.safetensors"] = {
        "architecture": "lora", "deciding_keys": [first],
        "component_tensors": {"unet": len([k for k, _ in keys if k.startswith("unet:")]),
                              "text_encoder": len([k for k, _ in keys if k.startswith("text_encoder:")])},
        "other_tensors": len([k for k, _ in keys if not k.startswith(("unet:", "text_encoder:"))]),
    }
    path = os.path.join(REALMODELS, "kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors")
    keys, metadata = safetensors_header(path)
    unet = [k for k, _ in keys if k.startswith("lora_unet_")]
    te = [k for k, _ in keys if k.startswith(("lora_te_", "lora_te1_", "lora_te2_"))]
    tags = collections.Counter()
    for dataset in json.loads(metadata["ss_tag_frequency"]).values():
        for tag, n in dataset.items():
            tags[tag.strip()] += n
    facts["kohya-lycoris-smart_falcon_4_lokr-fp16.safetensors"] = {
        "architecture": "lora", "deciding_keys": [unet[0], te[0]],
        "component_tensors": {"unet": len(unet), "text_encoder": len(te)},
        "other_tensors": len(keys) - len(unet) - len(te),
        "network_module": metadata["ss_network_module"],
        "tag_count": len(tags),
        "top_tag": max(sorted(tags), key=lambda k: tags[k]),
    }
    return facts


# --- hashes, as the web UI computes them ----------------------------------------------------------------

def webui_hashes(path):
    """modules/hashes.py calculate_sha256, sd_models.model_hash (autov1), hashes.addnet_hash_safetensors."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    sha = h.hexdigest()
    with open(path, "rb") as f:
        m = hashlib.sha256()
        f.seek(0x100000)
        m.update(f.read(0x10000))
        autov1 = m.hexdigest()[0:8]
    autov3 = None
    with open(path, "rb") as f:
        head = f.read(9)
        size = os.path.getsize(path)
        if len(head) == 9:
            n = int.from_bytes(head[:8], "little")
            # sdmodel decides "safetensors" by content; every such file here is also named .safetensors
            if 2 <= n <= size - 8 and head[8:9] == b"{":
                assert path.endswith(".safetensors") or "pattern" in path, path
                a = hashlib.sha256()
                f.seek(n + 8)
                for chunk in iter(lambda: f.read(1024 * 1024), b""):
                    a.update(chunk)
                autov3 = a.hexdigest()[0:12]
            else:
                assert not path.endswith(".safetensors"), path
    return {"size": os.path.getsize(path), "sha256": sha, "autov1": autov1, "autov2": sha[0:10], "autov3": autov3}


PATTERN_SIZES = [0, 1, 0x100000 - 1, 0x100000, 0x100000 + 1000, 0x110000, 0x110000 + 5, 3 * (8 << 20) + 123]


def pattern(size):
    """The bytes the Java test regenerates: byte i is (i * 31 + (i >> 11)) mod 256."""
    i = torch.arange(size, dtype=torch.int64)
    return ((i * 31 + (i >> 11)) & 0xFF).to(torch.uint8).numpy().tobytes()


def pattern_safetensors(size):
    """A safetensors-shaped pattern file: 8-byte header length, a JSON header, then pattern(size)."""
    header = json.dumps({"p": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}},
                        separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + pattern(size)


def hash_expectations():
    out = collections.OrderedDict()
    real = collections.OrderedDict()
    if os.path.isdir(REALMODELS):
        for dirpath, _, files in sorted(os.walk(REALMODELS)):
            for f in sorted(files):
                if f == "README.md":
                    continue
                p = os.path.join(dirpath, f)
                real[os.path.relpath(p, REALMODELS)] = webui_hashes(p)
    out["realmodels"] = real
    out["fixtures"] = collections.OrderedDict(
        (name, webui_hashes(os.path.join(HERE, name))) for name, _ in FIXTURES)
    patterns = collections.OrderedDict()
    with tempfile.TemporaryDirectory() as tmp:
        for size in PATTERN_SIZES:
            p = os.path.join(tmp, "pattern-%d" % size)
            with open(p, "wb") as f:
                f.write(pattern(size))
            patterns["plain/%d" % size] = webui_hashes(p)
        for size in [0x100000, 2 * (8 << 20) + 7]:
            p = os.path.join(tmp, "pattern-st-%d" % size)
            with open(p, "wb") as f:
                f.write(pattern_safetensors(size))
            patterns["safetensors/%d" % size] = webui_hashes(p)
    out["patterns"] = patterns
    return out


# --- the web UI's cache.json ----------------------------------------------------------------------------

def webui_cache():
    """A cache.json as the web UI (1.x) leaves it, then what the web UI's hashes.sha256() makes of it
    after hashing two checkpoints: `hashes[title] = {"mtime": ..., "sha256": ...}` and
    `json.dump(cache_data, file, indent=4)` (modules/hashes.py, modules/cache.py)."""
    cache = collections.OrderedDict()
    cache["hashes"] = collections.OrderedDict([
        ("checkpoint/v1-5-pruned-emaonly.safetensors",
         {"mtime": 1697011200.8840168, "sha256": "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"}),
        # a LoRA saved as .pt: the web UI's LoRA code hashes it whole, under "lora/" + its file name's stem
        ("lora/old_style",
         {"mtime": 1689422400.0, "sha256": "7c6bad76eb54e80ab7b6b1bb1f4c18d1e8a0a0ec4e29f9f2e4c8db1cc9f35a4b"}),
    ])
    cache["hashes-addnet"] = collections.OrderedDict([
        ("lora/add_detail", {"mtime": 1689422400.0, "sha256": "47aaaf0d2945ca937151d61304946dd229b3f072140b85484bc93e38f2a6e2f7"}),
    ])
    cache["safetensors-metadata"] = collections.OrderedDict([
        ("checkpoint/v1-5-pruned-emaonly.safetensors", {"mtime": 1697011200.8840168, "value": {}}),
        ("lora/add_detail", {"mtime": 1689422400.0, "value": {
            "ss_output_name": "add_detail", "ss_training_comment": "caf\u00e9 \u2014 \U0001f600 \"quoted\"\n\ttabbed",
            "ss_num_train_images": "1000", "ss_learning_rate": 1e-05, "ss_scale": 1e+16, "ss_tiny": 5e-324,
            "ss_list": [1, 2.5, None, True, False, [], {}], "ss_ctrl": "\u0001\u007f"}}),
    ])
    cache["extensions-git"] = collections.OrderedDict([
        ("sd-webui-controlnet", {"mtime": 1700000123.4567891, "value": {
            "remote": "https://github.com/Mikubill/sd-webui-controlnet.git",
            "commit_date": 1699999999, "branch": "main",
            "commit_hash": "10bd9b25f62deab9acb256301bbf3363c42645e7", "version": "10bd9b25"}}),
    ])
    os.makedirs(os.path.join(HERE, "webui"), exist_ok=True)
    before = os.path.join(HERE, "webui", "cache.json")
    with open(before, "w", encoding="utf8") as f:
        json.dump(cache, f, indent=4)
    updates = [
        ("checkpoint/v1-5-pruned-emaonly.safetensors", "1712345678.1234567",
         "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516"),
        ("checkpoint/sub/sd1.safetensors", "1700000000.25",
         "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556"),
    ]
    with open(before, "r", encoding="utf8") as f:
        cache_data = json.load(f)
    hashes = cache_data.get("hashes", {})
    cache_data["hashes"] = hashes
    for title, mtime, sha in updates:
        hashes[title] = {"mtime": float(mtime), "sha256": sha}
    with open(os.path.join(HERE, "webui", "cache-after.json"), "w", encoding="utf8") as f:
        json.dump(cache_data, f, indent=4)
    return [{"title": title, "mtime": mtime, "sha256": sha} for title, mtime, sha in updates]


def float_reprs():
    """repr() of doubles (identified by float.hex(), which Java's parseDouble reads), and st_mtime
    as os.stat gives it for (seconds, nanoseconds) pairs set with os.utime(ns=...)."""
    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, 0.1, 1e-4, 1e-5, 0.00012345, 1e15, 1e16, 1.5e16, 123456789012345678.0, 5e-324,
              1.7976931348623157e308, 2.2250738585072014e-308, 1700000000.25, 1712345678.1234567, 1697011200.8840168,
              -2.5, 100.0, 9007199254740993.0, 0.3, 2.0 / 3.0]
    for _ in range(150):
        values.append(rng.uniform(1.5e9, 1.8e9))
    for _ in range(50):
        values.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))[0])
    values = [v for v in values if math.isfinite(v)]
    reprs = [{"hex": v.hex(), "repr": repr(v)} for v in values]
    mtimes = []
    with tempfile.NamedTemporaryFile() as f:
        for sec, nsec in [(1700000000, 250000000), (1712345678, 123456789), (1697011200, 884016800),
                          (1600000000, 0), (1700000000, 999999999), (1, 1), (2000000000, 500)]:
            os.utime(f.name, ns=(sec * 10**9 + nsec, sec * 10**9 + nsec))
            st = os.stat(f.name).st_mtime
            assert st == sec + nsec * 1e-9, (sec, nsec, st)
            mtimes.append({"seconds": sec, "nanos": nsec, "repr": repr(os.path.getmtime(f.name))})
    return {"reprs": reprs, "mtimes": mtimes}


def main():
    build()
    expected = collections.OrderedDict()
    expected["written_with"] = {"torch": torch.__version__, "safetensors": __import__("safetensors").__version__}
    expected["fixtures"] = collections.OrderedDict(FIXTURES)
    expected["training_fixtures"] = training_fixture_facts()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    if os.path.isdir(REALMODELS):
        with open(os.path.join(HERE, "realmodels-expected.json"), "w") as f:
            json.dump(real_lora_facts(), f, indent=1)
            f.write("\n")
    hashes = hash_expectations()
    hashes["webui_updates"] = webui_cache()
    hashes["python"] = float_reprs()
    with open(os.path.join(HERE, "hashes-expected.json"), "w") as f:
        json.dump(hashes, f, indent=1)
        f.write("\n")
    for name, facts in FIXTURES:
        print("%-30s %-15s %s" % (name, facts["architecture"], facts["what"]))


if __name__ == "__main__":
    main()
