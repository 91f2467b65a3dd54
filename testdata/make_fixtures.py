#!/usr/bin/python3
"""Writes sdmodel's small Stable-Diffusion-shaped fixtures with real PyTorch, and the expectations
torch computes from them (testdata/expected/<fixture>.json).

Run from anywhere:  /usr/bin/python3 testdata/make_fixtures.py
(Debian's python3-torch 1.13 and numpy; the reference `safetensors` library for the
safetensors_sha256 fields.) Everything is seeded, and the legacy format's storage keys (normally
memory addresses) are made deterministic, so re-running reproduces every file byte for byte.

See README.md in this folder for what each fixture holds and the rules behind the expectations.
"""
import builtins
import collections
import json
import math
import os
import pickle
import pickletools
import random
import sys
import types
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in testdata/
import torch_expectations as tx  # noqa: E402

EXPECTED = os.path.join(HERE, "expected")

# The DDPM schedule Stable Diffusion trains with (ldm's "linear" schedule), shortened to 16 steps.
TIMESTEPS = 16
LINEAR_START, LINEAR_END = 0.00085, 0.0120

FP16_MAX = 65504.0
BF16_MAX = 3.3895313892515355e38
FLT_MAX = 3.4028234663852886e38


# --- building blocks ------------------------------------------------------------------------------

class Seeded:
    """Deterministic tensors: one torch.Generator per fixture."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=0.1, dtype=torch.float32):
        return (torch.randn(*shape, generator=self.g) * scale).to(dtype)


def ddpm_schedule(dtype):
    """The twelve schedule buffers exactly as ldm.models.diffusion.ddpm.DDPM.register_schedule
    computes them (numpy float64), converted to `dtype` (ldm itself uses float32)."""
    betas = (torch.linspace(LINEAR_START ** 0.5, LINEAR_END ** 0.5, TIMESTEPS,
                            dtype=torch.float64) ** 2).numpy()
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas, axis=0)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    values = [
        ("betas", betas),
        ("alphas_cumprod", alphas_cumprod),
        ("alphas_cumprod_prev", alphas_cumprod_prev),
        ("sqrt_alphas_cumprod", np.sqrt(alphas_cumprod)),
        ("sqrt_one_minus_alphas_cumprod", np.sqrt(1.0 - alphas_cumprod)),
        ("log_one_minus_alphas_cumprod", np.log(1.0 - alphas_cumprod)),
        ("sqrt_recip_alphas_cumprod", np.sqrt(1.0 / alphas_cumprod)),
        ("sqrt_recipm1_alphas_cumprod", np.sqrt(1.0 / alphas_cumprod - 1)),
        ("posterior_variance", posterior_variance),
        ("posterior_log_variance_clipped", np.log(np.maximum(posterior_variance, 1e-20))),
        ("posterior_mean_coef1", betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)),
        ("posterior_mean_coef2",
         (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)),
    ]
    assert set(n for n, _ in values) == tx.SCHEDULE_BUFFERS
    return [(n, torch.tensor(v, dtype=dtype)) for n, v in values]


def with_values(t, values):
    """t with its first elements replaced by `values` (same dtype), keeping t's layout."""
    flat = t.detach().clone().reshape(-1)
    flat[:len(values)] = torch.tensor(values, dtype=torch.float64).to(t.dtype)
    return flat.reshape(t.shape)


def lit_ema_name(model_key):
    """LitEma's buffer name for a `model.X` parameter: X with the dots removed."""
    assert model_key.startswith("model.")
    return "model_ema." + model_key[len("model."):].replace(".", "")


def module_metadata(names):
    """The `_metadata` nn.Module.state_dict() attaches: {module path: {"version": 1}} for every
    module that owns an entry and all their ancestors, in first-appearance (pre-order) order."""
    meta = collections.OrderedDict([("", {"version": 1})])
    for name in names:
        parts = name.split(".")[:-1]
        for i in range(1, len(parts) + 1):
            meta.setdefault(".".join(parts[:i]), {"version": 1})
    return meta


def state_dict(entries):
    sd = collections.OrderedDict(entries)
    sd._metadata = module_metadata(sd.keys())
    return sd


def add_ema(entries, rng, without=()):
    """LitEma buffers (decay, num_updates, one copy per model.* parameter, values different from the
    model's) appended after the model.* entries; `without` names model keys given no copy."""
    ema = [("model_ema.decay", torch.tensor(0.9999, dtype=torch.float32)),
           ("model_ema.num_updates", torch.tensor(12345, dtype=torch.int32))]
    for name, t in entries:
        if name.startswith("model.") and name not in without:
            copy = t.detach().contiguous() + rng.randn(*t.shape, scale=0.01, dtype=t.dtype)
            ema.append((lit_ema_name(name), copy))
    return ema


# --- a fake pytorch_lightning, so pickle records the real GLOBAL ----------------------------------

LIGHTNING_MODULES = ["pytorch_lightning", "pytorch_lightning.callbacks",
                     "pytorch_lightning.callbacks.model_checkpoint"]


def install_fake_lightning():
    """Puts pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint in sys.modules (the real
    package is not installed) and returns the class."""
    mods = [types.ModuleType(n) for n in LIGHTNING_MODULES]
    for parent, child in zip(mods, mods[1:]):
        setattr(parent, child.__name__.rsplit(".", 1)[1], child)
    for m in mods:
        sys.modules[m.__name__] = m
    cls = type("ModelCheckpoint", (), {"__module__": LIGHTNING_MODULES[-1]})
    mods[-1].ModelCheckpoint = cls
    return cls


def remove_fake_lightning():
    for n in LIGHTNING_MODULES:
        del sys.modules[n]


class LambdaWarmUpCosineScheduler:
    """Stands in for ldm.lr_scheduler.LambdaWarmUpCosineScheduler: LambdaLR.state_dict() stores a
    callable object's __dict__, so only its attributes reach the checkpoint."""

    def __init__(self, warm_up_steps, lr_min, lr_max, lr_start, max_decay_steps):
        self.lr_warm_up_steps = warm_up_steps
        self.lr_start = lr_start
        self.lr_min = lr_min
        self.lr_max = lr_max
        self.lr_max_decay_steps = max_decay_steps
        self.last_lr = 0.0
        self.verbosity_interval = 0

    def __call__(self, n):
        if n < self.lr_warm_up_steps:
            lr = (self.lr_max - self.lr_start) / self.lr_warm_up_steps * n + self.lr_start
        else:
            t = min((n - self.lr_warm_up_steps) / (self.lr_max_decay_steps - self.lr_warm_up_steps),
                    1.0)
            lr = self.lr_min + 0.5 * (self.lr_max - self.lr_min) * (1 + math.cos(t * math.pi))
        self.last_lr = lr
        return lr


def training_state(rng, params):
    """A real AdamW state (two steps) and LambdaLR state over copies of `params`."""
    copies = [torch.nn.Parameter(p.detach().contiguous().clone()) for p in params]
    opt = torch.optim.AdamW(copies, lr=1e-4, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lr_lambda=LambdaWarmUpCosineScheduler(10, 0.1, 1.0, 1e-6, 100))
    for _ in range(2):
        for p in copies:
            p.grad = rng.randn(*p.shape, scale=1.0)
        opt.step()
        sched.step()
    return opt.state_dict(), sched.state_dict()


# --- the fixtures ---------------------------------------------------------------------------------

def build_sd1():
    rng = Seeded(1)
    unet = "model.diffusion_model."
    blk = unet + "input_blocks.1.1."
    tb = blk + "transformer_blocks.0."
    # to_k and to_v share one storage; to_v starts 64 elements in.
    kv = rng.randn(16, 8)
    model = [
        # Non-contiguous: a transposed view, saved as is (stride (1, 32)).
        (unet + "time_embed.0.weight", rng.randn(8, 32).t()),
        (unet + "time_embed.0.bias", rng.randn(32)),
        (unet + "time_embed.2.weight", rng.randn(32, 32)),
        (unet + "time_embed.2.bias", rng.randn(32)),
        (unet + "input_blocks.0.0.weight", rng.randn(8, 4, 3, 3)),
        (unet + "input_blocks.0.0.bias", rng.randn(8)),
        (blk + "norm.weight", torch.ones(8) + rng.randn(8)),
        (blk + "norm.bias", rng.randn(8)),
        (blk + "proj_in.weight", rng.randn(8, 8, 1, 1)),
        (tb + "attn1.to_q.weight", rng.randn(8, 8)),
        (tb + "attn1.to_k.weight", kv[:8]),
        (tb + "attn1.to_v.weight", kv[8:]),
        (tb + "attn1.to_out.0.weight", rng.randn(8, 8)),
        (tb + "attn1.to_out.0.bias", rng.randn(8)),
        (tb + "attn2.to_k.weight", rng.randn(8, 16)),
        (tb + "attn2.to_v.weight", rng.randn(8, 16)),
        (unet + "out.0.weight", torch.ones(8)),
        (unet + "out.0.bias", torch.zeros(8)),
        (unet + "out.2.weight", rng.randn(4, 8, 3, 3)),
        (unet + "out.2.bias", rng.randn(4)),
    ]
    ema = add_ema(model, rng)
    ema_d = dict(ema)
    # fp16 overflow in the model's out.2.weight (1e5, -70000 and 65520, which rounds to inf; 65504
    # and 65519 do not overflow); its EMA copy overflows only once (1e5).
    model = [(n, with_values(t, [1e5, -70000.0, FP16_MAX, 65519.0, 65520.0])
              if n == unet + "out.2.weight" else t) for n, t in model]
    ema_d[lit_ema_name(unet + "out.2.weight")] = with_values(
        ema_d[lit_ema_name(unet + "out.2.weight")], [1e5])
    ema = list(ema_d.items())

    fs = "first_stage_model."
    first_stage = [
        # -inf, and an fp32 subnormal that underflows in both fp16 and bf16.
        (fs + "encoder.conv_in.weight", with_values(rng.randn(8, 3, 3, 3), [-math.inf, 1e-44])),
        (fs + "encoder.conv_in.bias", rng.randn(8)),
        # fp16 underflow (1e-9, -1e-9 to -0.0, 2**-25 ties to zero) and fp16 subnormals that survive
        # (3e-8 rounds up to 2**-24; 1e-7; 6e-5); 2**-14 is fp16's smallest normal.
        (fs + "decoder.conv_out.weight",
         with_values(rng.randn(3, 8, 3, 3), [1e-9, -1e-9, 2.0 ** -25, 3e-8, 1e-7, 6e-5, 2.0 ** -14])),
        (fs + "decoder.conv_out.bias", rng.randn(3)),
        # FLT_MAX overflows both fp16 and bf16; bf16's largest finite value only fp16.
        (fs + "quant_conv.weight", with_values(rng.randn(8, 8, 1, 1), [FLT_MAX, BF16_MAX])),
        # float64 on purpose (not in real SD files): torch converts double to half/bfloat16 through
        # float, so 1+2^-11+2^-40 becomes 1.0 in fp16 and 1+2^-8+2^-30 becomes 1.0 in bf16 (double
        # rounding); 1e300 overflows even fp32, 1e-300 underflows even fp32. No NaN here: which
        # bits a double NaN becomes in bf16 depends on the element's position (see README).
        (fs + "quant_conv.bias",
         with_values(rng.randn(8, dtype=torch.float64),
                     [1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -8 + 2.0 ** -30, 1e300, 1e-300,
                      -math.inf, 5e-324])),
        # bfloat16 on purpose: 1e10 and 70000 overflow fp16, 1e-20 underflows it.
        (fs + "post_quant_conv.weight",
         with_values(rng.randn(4, 4, 1, 1, dtype=torch.bfloat16), [1e10, 70000.0, 1e-20])),
        # float16 on purpose: fp16's max rounds to 65536 in bf16; 2^-24, NaN, -inf.
        (fs + "post_quant_conv.bias",
         with_values(rng.randn(4, dtype=torch.float16), [FP16_MAX, 2.0 ** -24, math.nan, -math.inf])),
    ]
    te = "cond_stage_model.transformer.text_model."
    cond_stage = [
        # As HF CLIPTextEmbeddings registers it: arange(77).expand((1, -1)), saved as is. (torch
        # 1.13 gives the new size-1 leading dim stride 77, so this one is in fact contiguous.)
        (te + "embeddings.position_ids", torch.arange(77).expand((1, -1))),
        (te + "embeddings.token_embedding.weight", with_values(rng.randn(32, 16), [-70000.0])),
        (te + "embeddings.position_embedding.weight", rng.randn(77, 16)),
        (te + "encoder.layers.0.self_attn.k_proj.weight", rng.randn(16, 16)),
        (te + "encoder.layers.0.self_attn.q_proj.weight", rng.randn(16, 16)),
        (te + "encoder.layers.0.layer_norm1.weight", torch.ones(16)),
        (te + "final_layer_norm.weight", torch.ones(16)),
        # A broadcast view: 16 elements over a 1-element storage, stride (0,).
        (te + "final_layer_norm.bias", torch.zeros(1).expand(16)),
    ]
    logvar = torch.zeros(TIMESTEPS)
    logvar[3], logvar[5] = math.nan, math.inf
    entries = (ddpm_schedule(torch.float64) + [("logvar", logvar)] + model + ema + first_stage
               + cond_stage)
    sd = state_dict(entries)

    opt_state, sched_state = training_state(rng, [t for n, t in model][3:6])
    checkpoint_cls = install_fake_lightning()
    ckpt_dir = "/logs/2022-08-10T09-31-07_txt2img-1p4/checkpoints"
    best = ckpt_dir + "/epoch=000002.ckpt"
    return collections.OrderedDict([
        ("epoch", 2),
        ("global_step", 12345),
        ("pytorch-lightning_version", "1.4.2"),
        ("state_dict", sd),
        ("callbacks", {checkpoint_cls: {
            "monitor": "val/loss_simple_ema",
            "best_model_score": torch.tensor(0.1234),
            "best_model_path": best,
            "current_score": torch.tensor(0.1301),
            "dirpath": ckpt_dir,
            "best_k_models": {best: torch.tensor(0.1234)},
            "kth_best_model_path": best,
            "kth_value": torch.tensor(0.1234),
            "last_model_path": ckpt_dir + "/last.ckpt",
        }}),
        ("optimizer_states", [opt_state]),
        ("lr_schedulers", [{"scheduler": sched_state, "name": None, "interval": "step",
                            "frequency": 1, "reduce_on_plateau": False, "monitor": None,
                            "strict": True, "opt_idx": None}]),
        ("hparams_name", "kwargs"),
        ("hyper_parameters", {
            "linear_start": LINEAR_START, "linear_end": LINEAR_END, "num_timesteps_cond": 1,
            "log_every_t": 200, "timesteps": TIMESTEPS, "first_stage_key": "jpg",
            "cond_stage_key": "txt", "image_size": 64, "channels": 4,
            "cond_stage_trainable": False, "conditioning_key": "crossattn",
            "monitor": "val/loss_simple_ema", "scale_factor": 0.18215, "use_ema": True,
            "unet_config": {"target": "ldm.modules.diffusionmodules.openaimodel.UNetModel",
                            "params": {"image_size": 32, "in_channels": 4, "out_channels": 4,
                                       "model_channels": 8, "attention_resolutions": [4, 2, 1],
                                       "channel_mult": [1, 2, 4, 4], "num_heads": 8,
                                       "context_dim": 16, "use_checkpoint": True}},
            "ckpt_path": None, "ignore_keys": [],
        }),
    ])


def build_sd2():
    rng = Seeded(2)
    unet = "model.diffusion_model."
    blk = unet + "input_blocks.1.1."
    tb = blk + "transformer_blocks.0."
    model = [
        (unet + "time_embed.0.weight", rng.randn(32, 8)),
        (unet + "time_embed.0.bias", rng.randn(32)),
        (unet + "time_embed.2.weight", rng.randn(32, 32)),
        (unet + "time_embed.2.bias", rng.randn(32)),
        (unet + "input_blocks.0.0.weight", rng.randn(8, 4, 3, 3)),
        (unet + "input_blocks.0.0.bias", rng.randn(8)),
        (blk + "norm.weight", torch.ones(8)),
        (blk + "norm.bias", torch.zeros(8)),
        # SD 2.x uses linear projections (use_linear_in_transformer): 2-D proj_in/proj_out.
        (blk + "proj_in.weight", rng.randn(8, 8)),
        (blk + "proj_in.bias", with_values(rng.randn(8), [-70000.0])),
        (tb + "attn1.to_q.weight", rng.randn(8, 8)),
        # Tiny like the rest: only ln_final below has the real (1024) text width.
        (tb + "attn2.to_k.weight", with_values(rng.randn(8, 16), [1e5])),
        (tb + "attn2.to_v.weight", rng.randn(8, 16)),
        (tb + "norm1.weight", torch.ones(8)),
        (blk + "proj_out.weight", rng.randn(8, 8)),
        (unet + "out.0.weight", torch.ones(8)),
        (unet + "out.0.bias", torch.zeros(8)),
        (unet + "out.2.weight", rng.randn(4, 8, 3, 3)),
        (unet + "out.2.bias", rng.randn(4)),
    ]
    # One parameter without an EMA copy: `--ema use` keeps the model's own value for it.
    ema = add_ema(model, rng, without={blk + "proj_in.bias"})
    fs = "first_stage_model."
    first_stage = [
        (fs + "encoder.conv_in.weight", rng.randn(8, 3, 3, 3)),
        (fs + "encoder.conv_in.bias", rng.randn(8)),
        (fs + "decoder.conv_out.weight", rng.randn(3, 8, 3, 3)),
        (fs + "decoder.conv_out.bias", rng.randn(3)),
        (fs + "quant_conv.weight", rng.randn(8, 8, 1, 1)),
        (fs + "quant_conv.bias", rng.randn(8)),
        (fs + "post_quant_conv.weight", rng.randn(4, 4, 1, 1)),
        (fs + "post_quant_conv.bias", rng.randn(4)),
    ]
    oc = "cond_stage_model.model."
    res = oc + "transformer.resblocks.0."
    cond_stage = [
        (oc + "positional_embedding", rng.randn(77, 16)),
        (oc + "text_projection", rng.randn(16, 16)),
        (oc + "logit_scale", torch.tensor(math.log(1 / 0.07))),  # 0-dim
        (res + "ln_1.weight", torch.ones(16)),
        (res + "ln_1.bias", torch.zeros(16)),
        (res + "attn.in_proj_weight", rng.randn(48, 16)),
        (res + "attn.in_proj_bias", rng.randn(48)),
        (res + "attn.out_proj.weight", rng.randn(16, 16)),
        (res + "attn.out_proj.bias", rng.randn(16)),
        (res + "mlp.c_fc.weight", rng.randn(64, 16)),
        (oc + "token_embedding.weight", rng.randn(32, 16)),
        # The text encoder's width as a detector reads it: 1024 (OpenCLIP ViT-H/14).
        (oc + "ln_final.weight", torch.ones(1024) + rng.randn(1024, scale=0.01)),
        (oc + "ln_final.bias", rng.randn(1024, scale=0.01)),
    ]
    # SD 2.x's ldm stores the schedule as float32, as ldm's register_schedule does.
    entries = (ddpm_schedule(torch.float32) + [("logvar", torch.zeros(TIMESTEPS))] + model + ema
               + first_stage + cond_stage)
    return collections.OrderedDict([
        ("epoch", 5),
        ("global_step", 875000),
        ("pytorch-lightning_version", "1.5.0"),
        ("state_dict", state_dict(entries)),
        ("loops", {"fit_loop": {"state_dict": {}, "epoch_progress": {
            "total": {"ready": 6, "started": 6, "processed": 5, "completed": 5},
            "current": {"ready": 6, "started": 6, "processed": 5, "completed": 5}}}}),
        ("callbacks", {
            "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 5000, "
            "'every_n_epochs': 0, 'train_time_interval': None, 'save_on_train_epoch_end': False}": {
                "monitor": None, "best_model_score": None, "best_model_path": "",
                "current_score": None, "dirpath": "/logs/sd2-v/checkpoints",
                "best_k_models": {}, "kth_best_model_path": "", "kth_value": torch.tensor(math.inf),
                "last_model_path": "/logs/sd2-v/checkpoints/last.ckpt"}}),
        ("optimizer_states", []),
        ("lr_schedulers", []),
        ("hparams_name", "kwargs"),
        ("hyper_parameters", {"parameterization": "v", "linear_start": LINEAR_START,
                              "linear_end": LINEAR_END, "timesteps": TIMESTEPS,
                              "use_ema": True, "scale_factor": 0.18215}),
    ])


def build_misc():
    rng = Seeded(3)
    return collections.OrderedDict([
        ("bool", torch.tensor([True, False, True])),
        ("uint8", torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8)),
        ("int8", torch.tensor([-128, -1, 0, 127], dtype=torch.int8)),
        ("int16", torch.tensor([-32768, -1, 0, 32767], dtype=torch.int16)),
        ("int32", torch.tensor([-2 ** 31, -1, 0, 2 ** 31 - 1], dtype=torch.int32)),
        ("int64", torch.tensor([-2 ** 63, -1, 0, 2 ** 63 - 1], dtype=torch.int64)),
        ("float16", torch.tensor([1.0, -2.5, FP16_MAX, 2.0 ** -24, math.nan, -math.inf, -0.0],
                                 dtype=torch.float16)),
        ("bfloat16", torch.tensor([1.0, -2.5, BF16_MAX, 1e-40, math.nan, math.inf, -0.0],
                                  dtype=torch.bfloat16)),
        ("float32", torch.tensor([1.0, -2.5, FLT_MAX, 1e-45, math.nan, math.inf, -0.0],
                                 dtype=torch.float32)),
        ("float64", torch.tensor([1.0, -2.5, 1e308, 5e-324, math.nan, -math.inf, -0.0],
                                 dtype=torch.float64)),
        ("scalar", torch.tensor(3.5)),
        ("scalar_int", torch.tensor(7)),
        ("empty", torch.zeros(0, 3)),
        # A broadcast view: stride (0, 1), 3 stored elements for 6.
        ("expanded", torch.arange(3, dtype=torch.float32).expand(2, 3)),
        ("parameter", torch.nn.Parameter(rng.randn(2, 2))),
        ("set", {1, 2, 3}),
        ("frozenset", frozenset(["a"])),
        ("bytearray", bytearray(b"\x00\x01\xfe\xff")),
        ("bytes", b"\x00abc\xff"),
        ("tuple", (1, "two", 3.0, None, True)),
        ("tuple_with_tensor", (rng.randn(3), "meta")),
        ("nested", {0: {"weight": rng.randn(2, 3), 1: [rng.randn(2), {"deep": rng.randn(1)}]},
                    1: [1, 2, []],
                    "empty_dict": {},
                    -2: "minus two",
                    2 ** 70: "big key"}),
        ("list", [rng.randn(2), "x", [rng.randn(1, 1)]]),
        ("none", None),
        ("true", True),
        ("big_int", 2 ** 70),
        ("negative_big_int", -2 ** 70),
        ("float", 0.1),
        ("nan", math.nan),
        ("negative_zero", -0.0),
        ("numpy_float64", np.float64(2.5)),
        ("numpy_int64", np.int64(-7)),
        ("numpy_array", np.arange(6, dtype=np.float32).reshape(2, 3)),
        ("size", torch.Size([2, 3])),
        ("dtype", torch.float16),
        ("unicode", "Stable Diffusion \u2014 \u00fcn\u00efc\u00f6d\u00e9 \U0001d516\U0001d507 \u2713"),
    ])


# --- writing ---------------------------------------------------------------------------------------

class _LegacyKeyPickler(pickle.Pickler):
    """Legacy torch.save names each storage by its memory address (str(storage._cdata)), so two
    runs write different files. This pickler renames those keys to fixed address-like numbers,
    assigned by a seeded RNG in order of first appearance (so the storages' sorted order, which
    is their order in the file, still differs from their order in the pickle, as in real files)."""

    renames = {}
    rng = random.Random(0)

    def persistent_id(self, obj):
        torch_persistent_id = self.__dict__["persistent_id"]  # what torch assigned
        record = torch_persistent_id(obj)
        if record is None or record[0] != "storage":
            return record
        assert record[5] is None  # torch 1.13 never writes storage views
        return record[:2] + (self.rename(record[2]),) + record[3:]

    @classmethod
    def rename(cls, key):
        if key not in cls.renames:
            taken = set(cls.renames.values())
            new = key
            while new in taken or new == key:
                new = str(0x7F0000000000 + cls.rng.randrange(1 << 32) * 64)
            cls.renames[key] = new
        return cls.renames[key]


def _legacy_dump(obj, f, protocol):
    if isinstance(obj, list) and obj and all(k in _LegacyKeyPickler.renames for k in obj):
        obj = [_LegacyKeyPickler.renames[k] for k in obj]  # the storage key list
    pickle.dump(obj, f, protocol=protocol)


def save_legacy(obj, path):
    """torch.save(..., _use_new_zipfile_serialization=False) with deterministic storage keys."""
    module = types.ModuleType("deterministic_legacy_pickle")
    module.Pickler = _LegacyKeyPickler
    module.dump = _legacy_dump
    _LegacyKeyPickler.renames = {}
    _LegacyKeyPickler.rng = random.Random(0)
    # _legacy_save orders storages with the global `sorted`; order them by their new keys.
    torch.serialization.sorted = lambda keys: builtins.sorted(keys, key=_LegacyKeyPickler.rename)
    try:
        torch.save(obj, path, pickle_module=module, _use_new_zipfile_serialization=False)
    finally:
        del torch.serialization.sorted


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        f.write(tx.json_text(value))


def pickle_of(path):
    """The object pickle torch wrote: data.pkl of a zip file; of a legacy file, the fourth pickle
    (after the magic number, the protocol version and sys_info)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    with open(path, "rb") as f:
        for _ in range(3):
            for _ in pickletools.genops(f):
                pass
        start = f.tell()
        for _ in pickletools.genops(f):
            pass
        end = f.tell()
        f.seek(start)
        return f.read(end - start)


def globals_of(data):
    """(module, name) pairs the pickle's GLOBAL opcodes name (protocol 2)."""
    return {tuple(arg.split(" ", 1)) for op, arg, _ in pickletools.genops(data)
            if op.name == "GLOBAL"}


# --- spot checks ------------------------------------------------------------------------------------

def check_same_tensors(original, loaded):
    a, _ = tx.flatten(tx.find_state_dict(original)[1])
    b, _ = tx.flatten(tx.find_state_dict(loaded)[1])
    assert list(a) == list(b)
    for name in a:
        assert tx.dense_bytes(a[name]) == tx.dense_bytes(b[name]), name
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name


def check_sd1_layout(loaded):
    sd = loaded["state_dict"]
    tb = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0."
    k, v = sd[tb + "attn1.to_k.weight"], sd[tb + "attn1.to_v.weight"]
    assert k.storage().data_ptr() == v.storage().data_ptr(), "to_k/to_v no longer share storage"
    assert (k.storage_offset(), v.storage_offset()) == (0, 64)
    t = sd["model.diffusion_model.time_embed.0.weight"]
    assert t.stride() == (1, 32) and not t.is_contiguous()
    p = sd["cond_stage_model.transformer.text_model.embeddings.position_ids"]
    assert p.stride() == (77, 1) and p.storage().size() == 77 and p.shape == (1, 77)
    b = sd["cond_stage_model.transformer.text_model.final_layer_norm.bias"]
    assert b.stride() == (0,) and b.storage().size() == 1 and b.shape == (16,)
    assert list(sd._metadata)[:3] == ["", "model", "model.diffusion_model"]
    ((cls, cb),) = loaded["callbacks"].items()
    assert (cls.__module__, cls.__qualname__) == (LIGHTNING_MODULES[-1], "ModelCheckpoint")
    assert isinstance(cb["best_model_score"], torch.Tensor)


def check_prune_order(exp, loaded):
    """Our safetensors order against the reference writer's: the order of its data offsets."""
    import safetensors.torch
    tensors, _ = tx.flatten(tx.find_state_dict(loaded)[1])
    for key, case in exp["prune"].items():
        named, _ = tx.prune(tensors, case["ema"], case["precision"])
        raw = safetensors.torch.save({n: t.contiguous().clone() for n, t in named})
        header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
        header.pop("__metadata__", None)
        # No empty tensors here, so every offset is distinct.
        by_offset = sorted(header, key=lambda n: header[n]["data_offsets"][0])
        assert by_offset == [t["name"] for t in case["tensors"]], key
        for t in case["tensors"]:
            assert [header[t["name"]][f] for f in ("dtype", "shape")] == [t["dtype"], t["shape"]]


def check_sd1_prune(exp):
    p = exp["prune"]
    drop, use = p["drop/fp16"]["loss"], p["use/fp16"]["loss"]
    # out.2.weight 3 (1e5, -70000, 65520), token_embedding 1, quant_conv.weight 2 (FLT_MAX,
    # BF16_MAX), quant_conv.bias 1 (1e300), post_quant_conv.weight 2 (1e10, 70000 as bf16).
    assert drop["overflow"] == 9, drop
    assert use["overflow"] == 7, use  # the EMA out.2.weight overflows once
    # conv_out.weight 3 (1e-9, -1e-9, 2^-25), conv_in.weight 1 (1e-44), quant_conv.bias 2 (1e-300,
    # 5e-324), post_quant_conv.weight 1 (1e-20).
    assert drop["underflow"] == 7, drop
    # conv_in.weight -inf, quant_conv.bias -inf, logvar NaN and inf (post_quant_conv.bias is already
    # fp16: not converted, not counted).
    assert drop["nonfinite_in"] == 4, drop
    bf = p["drop/bf16"]["loss"]
    # FLT_MAX, and 1e300 (via float: inf); BF16_MAX fits.
    assert bf["overflow"] == 2 and bf["overflowed"] == ["first_stage_model.quant_conv.weight",
                                                        "first_stage_model.quant_conv.bias"], bf
    # 1e-44 (fp32 subnormal), 1e-300 and 5e-324 (via float: 0).
    assert bf["underflow"] == 3, bf
    fp32 = p["drop/fp32"]["loss"]
    assert fp32["converted"] == ["first_stage_model.quant_conv.bias",
                                 "first_stage_model.post_quant_conv.weight",
                                 "first_stage_model.post_quant_conv.bias"], fp32
    assert (fp32["overflow"], fp32["underflow"]) == (1, 2), fp32
    keep = p["keep/keep"]
    assert keep["loss"]["converted"] == [] and len(keep["tensors"]) == len(exp["tensors"])
    names = [t["name"] for t in p["use/fp16"]["tensors"]]
    assert not any(n.startswith("model_ema.") for n in names) and "betas" in names
    by_name = {t["name"]: t for t in p["use/fp16"]["tensors"]}
    assert by_name["betas"]["dtype"] == "F64"
    assert by_name["cond_stage_model.transformer.text_model.embeddings.position_ids"]["dtype"] == "I64"
    assert by_name["logvar"]["dtype"] == "F16"
    assert names[0] == "cond_stage_model.transformer.text_model.embeddings.position_ids"  # I64 first
    assert p["drop/fp16"]["tensors"] != p["use/fp16"]["tensors"]


def check_ema_use(exp, loaded):
    """`use` output for a model key equals the EMA copy converted, hashed independently here."""
    sd = loaded["state_dict"]
    name = "model.diffusion_model.out.2.weight"
    out = {t["name"]: t for t in exp["prune"]["use/fp16"]["tensors"]}[name]
    assert out["sha256"] == tx.sha256(sd[lit_ema_name(name)].half())
    assert out["sha256"] != tx.sha256(sd[name].half())


def check_conversions():
    """The double-rounding values in sd1's quant_conv.bias really do round through float."""
    x = torch.tensor([1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -8 + 2.0 ** -30], dtype=torch.float64)
    assert x.half().tolist()[0] == 1.0 and x.bfloat16().tolist()[1] == 1.0
    assert torch.tensor([65520.0]).half().isinf().all()
    assert torch.tensor([65519.0]).half().item() == FP16_MAX


# --- main -------------------------------------------------------------------------------------------

def expectations(path, written_with, with_prune):
    loaded = tx.torch_load(path)
    exp = {"fixture": os.path.basename(path), "written_with": written_with}
    exp.update(tx.state_dict_expectations(loaded))
    if with_prune:
        tensors, _ = tx.flatten(tx.find_state_dict(loaded)[1])
        exp["prune"] = tx.prune_expectations(tensors)
        check_prune_order(exp, loaded)
    return exp, loaded


# Fixtures holding the same object as another, written differently.
VARIANTS = {"sd1-train-legacy.ckpt": "sd1-train.ckpt", "sd1-train-proto2.ckpt": "sd1-train.ckpt",
            "misc-objects-proto4.pt": "misc-objects.pt"}


def content(exp):
    return {k: v for k, v in exp.items() if k not in ("fixture", "written_with")}


def main():
    torch.manual_seed(0)
    check_conversions()
    os.makedirs(EXPECTED, exist_ok=True)
    import safetensors
    torch_info = {"torch": torch.__version__, "safetensors": safetensors.__version__,
                  "default_pickle_protocol": torch.serialization.DEFAULT_PROTOCOL}

    def path(name):
        return os.path.join(HERE, name)

    sd1 = build_sd1()
    try:
        torch.save(sd1, path("sd1-train.ckpt"))
        save_legacy(sd1, path("sd1-train-legacy.ckpt"))
        torch.save(sd1, path("sd1-train-proto2.ckpt"), pickle_protocol=2)
    finally:
        remove_fake_lightning()
    sd2 = build_sd2()
    torch.save(sd2, path("sd2-v-train.ckpt"))
    misc = build_misc()
    torch.save(misc, path("misc-objects.pt"))
    torch.save(misc, path("misc-objects-proto4.pt"), pickle_protocol=4)

    plan = [
        ("sd1-train.ckpt", sd1, "zip", 2, True),
        ("sd1-train-legacy.ckpt", sd1, "legacy", 2, True),
        ("sd1-train-proto2.ckpt", sd1, "zip", 2, True),
        ("sd2-v-train.ckpt", sd2, "zip", 2, True),
        ("misc-objects.pt", misc, "zip", 2, False),
        ("misc-objects-proto4.pt", misc, "zip", 4, False),
    ]
    results = {}
    for name, original, fmt, protocol, with_prune in plan:
        written = dict(torch_info, format=fmt, pickle_protocol=protocol)
        exp, loaded = expectations(path(name), written, with_prune)
        check_same_tensors(original, loaded)
        data = pickle_of(path(name))
        assert data[:2] == bytes([0x80, protocol]), name
        assert zipfile.is_zipfile(path(name)) == (fmt == "zip"), name
        if name.startswith("sd1"):
            check_sd1_layout(loaded)
            assert ("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint") \
                in globals_of(data), name
        if name == "sd1-train.ckpt":
            check_sd1_prune(exp)
            check_ema_use(exp, loaded)
        results[name] = exp

    for variant, base in VARIANTS.items():
        assert content(results[variant]) == content(results[base]), variant
        if "prune" in results[variant]:
            # Identical by the assertion above; kept once, in the base file, to save space.
            results[variant]["prune"] = {"same_as": base + ".json"}
    for name, exp in results.items():
        write_json(os.path.join(EXPECTED, name + ".json"), exp)
    # torch's default protocol is 2, so the explicit-protocol-2 file pickles identically.
    assert pickle_of(path("sd1-train.ckpt")) == pickle_of(path("sd1-train-proto2.ckpt"))
    for name, *_ in plan:
        print(f"{os.path.getsize(path(name)):8d}  {name}")


if __name__ == "__main__":
    main()
