#!/usr/bin/python3
"""Writes an SD 1.x-shaped training checkpoint for benchmarks: the real key names and shapes of
LatentDiffusion (UNet with model_channels 320, channel multipliers 1,2,4,4, attention at the first
three levels, context 768), its LitEma copies, a small Adam state, the AutoencoderKL first stage and
the CLIP ViT-L/14 text encoder, all float32 as in wd-v1-2-full-emma.ckpt (about 7.7 GB at full size).

  /usr/bin/python3 testdata/bench/make_sd_checkpoint.py OUT.ckpt [--width-divisor D] [--seed N]
  /usr/bin/python3 testdata/bench/make_sd_checkpoint.py OUT.safetensors --weights-only --dtype f16 --seed N

--width-divisor divides every channel width (UNet, VAE, text encoder), so the file shrinks by
about D^2: 1 -> 7.7 GB, 2 -> 1.9 GB, 4 -> 0.5 GB. --weights-only writes what a released model holds
(the state dict without EMA copies or optimizer state), in --dtype (float32 or f16: 4.3 or 2.1 GB at
full width), as safetensors when OUT ends in .safetensors: the merge benchmark's inputs, one seed per
model. Never commit its output.
"""
import argparse
import collections
import os
import sys

import torch


def w(c, d):
    """A channel width divided by d, kept a multiple of 8 and at least 8."""
    return max(8, int(round(c / d / 8)) * 8)


def resblock(sd, p, cin, c, emb):
    sd[p + "in_layers.0.weight"] = (cin,)
    sd[p + "in_layers.0.bias"] = (cin,)
    sd[p + "in_layers.2.weight"] = (c, cin, 3, 3)
    sd[p + "in_layers.2.bias"] = (c,)
    sd[p + "emb_layers.1.weight"] = (c, emb)
    sd[p + "emb_layers.1.bias"] = (c,)
    sd[p + "out_layers.0.weight"] = (c,)
    sd[p + "out_layers.0.bias"] = (c,)
    sd[p + "out_layers.3.weight"] = (c, c, 3, 3)
    sd[p + "out_layers.3.bias"] = (c,)
    if cin != c:
        sd[p + "skip_connection.weight"] = (c, cin, 1, 1)
        sd[p + "skip_connection.bias"] = (c,)


def transformer(sd, p, c, ctx):
    sd[p + "norm.weight"] = (c,)
    sd[p + "norm.bias"] = (c,)
    sd[p + "proj_in.weight"] = (c, c, 1, 1)
    sd[p + "proj_in.bias"] = (c,)
    b = p + "transformer_blocks.0."
    for attn, kv in (("attn1", c), ("attn2", ctx)):
        sd[b + attn + ".to_q.weight"] = (c, c)
        sd[b + attn + ".to_k.weight"] = (c, kv)
        sd[b + attn + ".to_v.weight"] = (c, kv)
        sd[b + attn + ".to_out.0.weight"] = (c, c)
        sd[b + attn + ".to_out.0.bias"] = (c,)
    sd[b + "ff.net.0.proj.weight"] = (c * 8, c)
    sd[b + "ff.net.0.proj.bias"] = (c * 8,)
    sd[b + "ff.net.2.weight"] = (c, c * 4)
    sd[b + "ff.net.2.bias"] = (c,)
    for n in ("norm1", "norm2", "norm3"):
        sd[b + n + ".weight"] = (c,)
        sd[b + n + ".bias"] = (c,)
    sd[p + "proj_out.weight"] = (c, c, 1, 1)
    sd[p + "proj_out.bias"] = (c,)


def unet(d):
    sd = collections.OrderedDict()
    p = "model.diffusion_model."
    mc = w(320, d)
    emb = mc * 4
    ctx = 768
    mult = (1, 2, 4, 4)
    attn_levels = (0, 1, 2)
    sd[p + "time_embed.0.weight"] = (emb, mc)
    sd[p + "time_embed.0.bias"] = (emb,)
    sd[p + "time_embed.2.weight"] = (emb, emb)
    sd[p + "time_embed.2.bias"] = (emb,)
    sd[p + "input_blocks.0.0.weight"] = (mc, 4, 3, 3)
    sd[p + "input_blocks.0.0.bias"] = (mc,)
    chans = [mc]
    ch = mc
    i = 1
    for level, m in enumerate(mult):
        for _ in range(2):
            resblock(sd, f"{p}input_blocks.{i}.0.", ch, mc * m, emb)
            ch = mc * m
            if level in attn_levels:
                transformer(sd, f"{p}input_blocks.{i}.1.", ch, ctx)
            chans.append(ch)
            i += 1
        if level != len(mult) - 1:
            sd[f"{p}input_blocks.{i}.0.op.weight"] = (ch, ch, 3, 3)
            sd[f"{p}input_blocks.{i}.0.op.bias"] = (ch,)
            chans.append(ch)
            i += 1
    resblock(sd, p + "middle_block.0.", ch, ch, emb)
    transformer(sd, p + "middle_block.1.", ch, ctx)
    resblock(sd, p + "middle_block.2.", ch, ch, emb)
    o = 0
    for level, m in list(enumerate(mult))[::-1]:
        for k in range(3):
            skip = chans.pop()
            resblock(sd, f"{p}output_blocks.{o}.0.", ch + skip, mc * m, emb)
            ch = mc * m
            j = 1
            if level in attn_levels:
                transformer(sd, f"{p}output_blocks.{o}.1.", ch, ctx)
                j = 2
            if level and k == 2:
                sd[f"{p}output_blocks.{o}.{j}.conv.weight"] = (ch, ch, 3, 3)
                sd[f"{p}output_blocks.{o}.{j}.conv.bias"] = (ch,)
            o += 1
    sd[p + "out.0.weight"] = (ch,)
    sd[p + "out.0.bias"] = (ch,)
    sd[p + "out.2.weight"] = (4, ch, 3, 3)
    sd[p + "out.2.bias"] = (4,)
    return sd


def vae_resnet(sd, p, cin, c):
    sd[p + "norm1.weight"] = (cin,)
    sd[p + "norm1.bias"] = (cin,)
    sd[p + "conv1.weight"] = (c, cin, 3, 3)
    sd[p + "conv1.bias"] = (c,)
    sd[p + "norm2.weight"] = (c,)
    sd[p + "norm2.bias"] = (c,)
    sd[p + "conv2.weight"] = (c, c, 3, 3)
    sd[p + "conv2.bias"] = (c,)
    if cin != c:
        sd[p + "nin_shortcut.weight"] = (c, cin, 1, 1)
        sd[p + "nin_shortcut.bias"] = (c,)


def vae_attn(sd, p, c):
    sd[p + "norm.weight"] = (c,)
    sd[p + "norm.bias"] = (c,)
    for n in ("q", "k", "v", "proj_out"):
        sd[p + n + ".weight"] = (c, c, 1, 1)
        sd[p + n + ".bias"] = (c,)


def vae(d):
    sd = collections.OrderedDict()
    p = "first_stage_model."
    base = w(128, d)
    mult = (1, 2, 4, 4)
    sd[p + "encoder.conv_in.weight"] = (base, 3, 3, 3)
    sd[p + "encoder.conv_in.bias"] = (base,)
    ch = base
    for level, m in enumerate(mult):
        for b in range(2):
            vae_resnet(sd, f"{p}encoder.down.{level}.block.{b}.", ch, base * m)
            ch = base * m
        if level != len(mult) - 1:
            sd[f"{p}encoder.down.{level}.downsample.conv.weight"] = (ch, ch, 3, 3)
            sd[f"{p}encoder.down.{level}.downsample.conv.bias"] = (ch,)
    vae_resnet(sd, p + "encoder.mid.block_1.", ch, ch)
    vae_attn(sd, p + "encoder.mid.attn_1.", ch)
    vae_resnet(sd, p + "encoder.mid.block_2.", ch, ch)
    sd[p + "encoder.norm_out.weight"] = (ch,)
    sd[p + "encoder.norm_out.bias"] = (ch,)
    sd[p + "encoder.conv_out.weight"] = (8, ch, 3, 3)
    sd[p + "encoder.conv_out.bias"] = (8,)
    sd[p + "decoder.conv_in.weight"] = (ch, 4, 3, 3)
    sd[p + "decoder.conv_in.bias"] = (ch,)
    vae_resnet(sd, p + "decoder.mid.block_1.", ch, ch)
    vae_attn(sd, p + "decoder.mid.attn_1.", ch)
    vae_resnet(sd, p + "decoder.mid.block_2.", ch, ch)
    for level, m in list(enumerate(mult))[::-1]:
        for b in range(3):
            vae_resnet(sd, f"{p}decoder.up.{level}.block.{b}.", ch, base * m)
            ch = base * m
        if level != 0:
            sd[f"{p}decoder.up.{level}.upsample.conv.weight"] = (ch, ch, 3, 3)
            sd[f"{p}decoder.up.{level}.upsample.conv.bias"] = (ch,)
    sd[p + "decoder.norm_out.weight"] = (ch,)
    sd[p + "decoder.norm_out.bias"] = (ch,)
    sd[p + "decoder.conv_out.weight"] = (3, ch, 3, 3)
    sd[p + "decoder.conv_out.bias"] = (3,)
    sd[p + "quant_conv.weight"] = (8, 8, 1, 1)
    sd[p + "quant_conv.bias"] = (8,)
    sd[p + "post_quant_conv.weight"] = (4, 4, 1, 1)
    sd[p + "post_quant_conv.bias"] = (4,)
    return sd


def clip(d):
    sd = collections.OrderedDict()
    p = "cond_stage_model.transformer.text_model."
    c = w(768, d)
    sd[p + "embeddings.token_embedding.weight"] = (49408, c)
    sd[p + "embeddings.position_embedding.weight"] = (77, c)
    for layer in range(12):
        q = f"{p}encoder.layers.{layer}."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            sd[q + "self_attn." + n + ".weight"] = (c, c)
            sd[q + "self_attn." + n + ".bias"] = (c,)
        for n in ("layer_norm1", "layer_norm2"):
            sd[q + n + ".weight"] = (c,)
            sd[q + n + ".bias"] = (c,)
        sd[q + "mlp.fc1.weight"] = (c * 4, c)
        sd[q + "mlp.fc1.bias"] = (c * 4,)
        sd[q + "mlp.fc2.weight"] = (c, c * 4)
        sd[q + "mlp.fc2.bias"] = (c,)
    sd[p + "final_layer_norm.weight"] = (c,)
    sd[p + "final_layer_norm.bias"] = (c,)
    return sd


def schedule(sd, steps=1000):
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, steps, dtype=torch.float64) ** 2
    alphas = 1.0 - betas
    ac = torch.cumprod(alphas, 0)
    acp = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    pv = betas * (1.0 - acp) / (1.0 - ac)
    for k, v in (("betas", betas), ("alphas_cumprod", ac), ("alphas_cumprod_prev", acp),
                 ("sqrt_alphas_cumprod", ac.sqrt()), ("sqrt_one_minus_alphas_cumprod", (1 - ac).sqrt()),
                 ("log_one_minus_alphas_cumprod", (1 - ac).log()), ("sqrt_recip_alphas_cumprod", (1 / ac).sqrt()),
                 ("sqrt_recipm1_alphas_cumprod", (1 / ac - 1).sqrt()), ("posterior_variance", pv),
                 ("posterior_log_variance_clipped", torch.log(torch.clamp(pv, min=1e-20))),
                 ("posterior_mean_coef1", betas * acp.sqrt() / (1 - ac)),
                 ("posterior_mean_coef2", (1 - acp) * alphas.sqrt() / (1 - ac))):
        sd[k] = v.float()  # ldm registers them as float32 buffers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--width-divisor", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights-only", action="store_true")
    ap.add_argument("--dtype", choices=("f32", "f16"), default="f32")
    a = ap.parse_args()
    if a.weights_only:
        return weights_only(a)
    torch.manual_seed(a.seed)
    shapes = collections.OrderedDict()
    shapes.update(unet(a.width_divisor))
    sd = collections.OrderedDict()
    schedule(sd)
    for k, s in shapes.items():
        sd[k] = torch.randn(s) * 0.02
    sd["model_ema.decay"] = torch.tensor(0.9999)
    sd["model_ema.num_updates"] = torch.tensor(12345, dtype=torch.int32)
    for k, t in list(sd.items()):
        if k.startswith("model."):
            sd["model_ema." + k[len("model."):].replace(".", "")] = t + torch.randn(t.shape) * 1e-4
    for part in (vae(a.width_divisor), clip(a.width_divisor)):
        for k, s in part.items():
            sd[k] = torch.randn(s) * 0.02
    sd["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77).expand((1, -1))
    # A token optimizer state: real runs keep Adam moments for every weight (2x the UNet again);
    # here only the time embedding's, so the file stays near the 7.7 GB of wd-v1-2-full-emma.ckpt.
    params = [k for k in shapes if "time_embed" in k]
    opt = {"state": {i: {"step": 1000, "exp_avg": torch.zeros(shapes[k]), "exp_avg_sq": torch.zeros(shapes[k])}
                     for i, k in enumerate(params)},
           "param_groups": [{"lr": 1e-6, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                             "params": list(range(len(params)))}]}
    ckpt = {"epoch": 3, "global_step": 120000, "pytorch-lightning_version": "1.6.0", "state_dict": sd,
            "optimizer_states": [opt], "lr_schedulers": [], "callbacks": {}}
    torch.save(ckpt, a.out)
    n = sum(t.numel() for t in sd.values())
    print(f"{a.out}: {len(sd)} tensors, {n:,} elements, {os.path.getsize(a.out):,} bytes", file=sys.stderr)


def weights_only(a):
    """A released checkpoint's content: UNet, VAE, CLIP, schedule buffers; no EMA, no optimizer."""
    torch.manual_seed(a.seed)
    dtype = torch.float16 if a.dtype == "f16" else torch.float32
    sd = collections.OrderedDict()
    schedule(sd)
    for part in (unet(a.width_divisor), vae(a.width_divisor), clip(a.width_divisor)):
        for k, s in part.items():
            sd[k] = (torch.randn(s) * 0.02).to(dtype)
    sd["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77).expand((1, -1)).contiguous()
    if a.out.endswith(".safetensors"):
        from safetensors.torch import save_file
        save_file(sd, a.out, metadata={"format": "pt"})
    else:
        torch.save({"state_dict": sd}, a.out)
    n = sum(t.numel() for t in sd.values())
    print(f"{a.out}: {len(sd)} tensors, {n:,} elements, {os.path.getsize(a.out):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
