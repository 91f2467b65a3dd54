#!/usr/bin/python3
"""The torch way of pruning, as the community scripts do it: load everything, swap in the EMA
weights, drop the rest, .half(), save. The benchmark's baseline.

  /usr/bin/python3 testdata/bench/torch_prune.py IN.ckpt OUT.ckpt
"""
import os
import sys

import torch

src, dst = sys.argv[1], sys.argv[2]
ckpt = torch.load(src, map_location="cpu")
sd = ckpt["state_dict"] if "state_dict" in ckpt else ckpt
out = {}
for k, v in sd.items():
    if k.startswith("model_ema."):
        continue
    if k.startswith("model."):
        ema = "model_ema." + k[len("model."):].replace(".", "")
        if ema in sd:
            v = sd[ema]
    out[k] = v.half() if v.is_floating_point() else v
torch.save({"state_dict": out}, dst)
with open(dst, "rb+") as f:  # durable, as sdmodel's output is
    os.fsync(f.fileno())
