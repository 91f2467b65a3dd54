#!/usr/bin/python3
"""Writes a safetensors file with the tensor names, shapes and dtypes of an SD 1.x inference
checkpoint (v1-5-pruned-emaonly's layout, float32: the UNet, VAE and CLIP text encoder of
make_sd_checkpoint.py at full width, the twelve schedule buffers, int64 position_ids), whose data
is a hole: the file is sparse and takes no disk space. `sdmodel inspect` and `prune --dry-run` read
only the header, so they give the sizes each --precision writes for a real SD 1.x model.

  /usr/bin/python3 testdata/bench/sd_shapes.py OUT.safetensors

Run it with /usr/bin/python3 (make_sd_checkpoint.py imports torch). Never commit its output.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_sd_checkpoint as sd  # noqa: E402  (the shapes; its torch import is only used to write)

SCHEDULE = ["betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
            "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
            "sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
            "posterior_mean_coef1", "posterior_mean_coef2"]


def main():
    out = sys.argv[1]
    tensors = {}
    for name in SCHEDULE:
        tensors[name] = ("F32", [1000])
    for part in (sd.unet(1), sd.vae(1), sd.clip(1)):
        for name, shape in part.items():
            tensors[name] = ("F32", list(shape))
    tensors["cond_stage_model.transformer.text_model.embeddings.position_ids"] = ("I64", [1, 77])
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in sorted(tensors):
        dtype, shape = tensors[name]
        n = 1
        for d in shape:
            n *= d
        size = n * (8 if dtype == "I64" else 4)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        f.truncate(8 + len(text) + offset)
    print(f"{out}: {len(tensors)} tensors, {offset:,} bytes of (sparse) data", file=sys.stderr)


if __name__ == "__main__":
    main()
