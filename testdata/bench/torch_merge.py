#!/usr/bin/python3
"""The torch way of merging: the web UI's Checkpoint Merger (modules/extras.py, run_modelmerger, with
"Add difference" or "Weighted sum" and its default settings) as a script, the merge benchmark's
baseline. Like the web UI it holds all three models in memory; like the web UI it hashes every input
(sha256, for the recipe); like sdmodel it writes the output durably (fsync).

  /usr/bin/python3 testdata/bench/torch_merge.py OUT.safetensors M A B [C]
"""
import hashlib
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file

checkpoint_dict_skip_on_merge = ["cond_stage_model.transformer.text_model.embeddings.position_ids"]


def read_state_dict(path):
    pl_sd = load_file(path, device="cpu") if path.endswith(".safetensors") else torch.load(path, map_location="cpu")
    pl_sd = pl_sd.pop("state_dict", pl_sd)
    pl_sd.pop("state_dict", None)
    return pl_sd


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    out, multiplier, *models = sys.argv[1:]
    multiplier = float(multiplier)
    a, b = models[0], models[1]
    c = models[2] if len(models) > 2 else None
    theta_1 = read_state_dict(b)
    if c:
        theta_2 = read_state_dict(c)
        for key in theta_1.keys():
            if key in checkpoint_dict_skip_on_merge:
                continue
            if 'model' in key:
                theta_1[key] = theta_1[key] - theta_2[key] if key in theta_2 else torch.zeros_like(theta_1[key])
        del theta_2
    theta_0 = read_state_dict(a)
    for key in theta_0.keys():
        if theta_1 and 'model' in key and key in theta_1 and key not in checkpoint_dict_skip_on_merge:
            if c:
                theta_0[key] = theta_0[key] + (multiplier * theta_1[key])
            else:
                theta_0[key] = ((1 - multiplier) * theta_0[key]) + (multiplier * theta_1[key])
    del theta_1
    recipe = {"type": "webui", "primary_model_hash": sha256(a), "secondary_model_hash": sha256(b),
              "tertiary_model_hash": sha256(c) if c else None,
              "interp_method": "Add difference" if c else "Weighted sum", "multiplier": multiplier}
    save_file(theta_0, out, metadata={"format": "pt", "sd_merge_recipe": json.dumps(recipe)})
    with open(out, "rb+") as f:
        os.fsync(f.fileno())


if __name__ == "__main__":
    main()
