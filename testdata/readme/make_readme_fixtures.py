"""Stand-ins for the README's command examples (ReadmeExamplesIT), written by torch.

* sd2-768-v.ckpt: a tiny SD 2.x checkpoint laid out as the 768-v releases are (a Lightning dict
  around an EMA-only state dict, torch zip): OpenCLIP text encoder of width 1024, linear proj_in,
  4 input channels, no model_ema.* copies. It stands for 768-v-ema.ckpt, v2-1_768-ema-pruned.ckpt
  and the other SD 2 files the README's install-v2 examples name. Not an official release: its
  sha256 is nobody's.

Run from anywhere:  /usr/bin/python3 testdata/readme/make_readme_fixtures.py
Deterministic: it reuses testdata/arch/make_arch_fixtures.py's seeded generator and components.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "arch"))
import make_arch_fixtures as arch  # noqa: E402  (its main() does not run on import)


def main():
    sd = arch.merge(arch.unet_sd1(4, 1024, True), arch.first_stage(), arch.open_clip(arch.OPEN_CLIP, 1024),
                    arch.schedule())
    torch.save({"global_step": 875000, "state_dict": sd}, os.path.join(HERE, "sd2-768-v.ckpt"))


if __name__ == "__main__":
    main()
