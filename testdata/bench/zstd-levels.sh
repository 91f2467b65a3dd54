#!/bin/sh
# Compression ratio and speed of 'sdmodel compress' at a few zstd levels, on SD-shaped fp16 and
# fp32 checkpoints, to choose the default level (see the README's "zstd" section).
#
#   testdata/bench/zstd-levels.sh                 # generates the inputs (needs /usr/bin/python3 with torch)
#   testdata/bench/zstd-levels.sh A.ckpt B.ckpt   # measures the given files instead (e.g. what the
#                                        # project's testdata/bench/make_sd_checkpoint.py generates)
#
# Environment: SDMODEL (launcher, default cli/target/sdmodel), LEVELS (default "1 3 6 9 19"),
# THREADS (default 2), PARAMS_M (millions of parameters to generate, default 64), WORK (scratch
# folder, default a temporary one). Prints one table row per file, level and window.
#
# About the generated inputs: real SD 1.x shapes (UNet convolutions and attention, CLIP text
# encoder, VAE) filled with normal random values at the scale trained weights have (std
# 1/sqrt(fan_in), norm weights near 1, small biases). Trained weights have the same property that
# matters here: their mantissa bits are close to random, so only the sign/exponent bits compress.
# Random data therefore gives ratios close to those of real checkpoints, not better.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
sdmodel=${SDMODEL:-$root/cli/target/sdmodel}
levels=${LEVELS:-1 3 6 9 19}
threads=${THREADS:-2}
params=${PARAMS_M:-64}
work=${WORK:-$(mktemp -d)}
[ -x "$sdmodel" ] || { echo "build the launcher first: ./mvnw -q -B package -DskipTests" >&2; exit 2; }
timer=/usr/bin/time
[ -x "$timer" ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

if [ $# -eq 0 ]; then
    /usr/bin/python3 - "$work" "$params" <<'PY'
import sys, torch
out, millions = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
sd = {}
def w(name, *shape):
    fan_in = 1
    for d in shape[1:]:
        fan_in *= d
    sd[name] = torch.randn(*shape) / max(1, fan_in) ** 0.5
def norm(name, c):
    sd[name + ".weight"] = 1 + 0.05 * torch.randn(c)
    sd[name + ".bias"] = 0.01 * torch.randn(c)
def bias(name, c):
    sd[name] = 0.01 * torch.randn(c)
# One repeat of the UNet's building blocks at each width, the CLIP layers, the VAE's convolutions.
def unet_level(i, c):
    p = f"model.diffusion_model.input_blocks.{i}."
    norm(p + "0.in_layers.0", c); w(p + "0.in_layers.2.weight", c, c, 3, 3); bias(p + "0.in_layers.2.bias", c)
    w(p + "0.emb_layers.1.weight", c, 1280); bias(p + "0.emb_layers.1.bias", c)
    norm(p + "0.out_layers.0", c); w(p + "0.out_layers.3.weight", c, c, 3, 3); bias(p + "0.out_layers.3.bias", c)
    t = p + "1.transformer_blocks.0."
    for a in ("attn1", "attn2"):
        w(t + a + ".to_q.weight", c, c)
        w(t + a + ".to_k.weight", c, c if a == "attn1" else 768)
        w(t + a + ".to_v.weight", c, c if a == "attn1" else 768)
        w(t + a + ".to_out.0.weight", c, c); bias(t + a + ".to_out.0.bias", c)
    w(t + "ff.net.0.proj.weight", 8 * c, c); bias(t + "ff.net.0.proj.bias", 8 * c)
    w(t + "ff.net.2.weight", c, 4 * c); bias(t + "ff.net.2.bias", c)
    for n in ("norm1", "norm2", "norm3"):
        norm(t + n, c)
def clip_layer(i):
    p = f"cond_stage_model.transformer.text_model.encoder.layers.{i}."
    for x in ("q", "k", "v", "out"):
        w(p + f"self_attn.{x}_proj.weight", 768, 768); bias(p + f"self_attn.{x}_proj.bias", 768)
    w(p + "mlp.fc1.weight", 3072, 768); bias(p + "mlp.fc1.bias", 3072)
    w(p + "mlp.fc2.weight", 768, 3072); bias(p + "mlp.fc2.bias", 768)
    norm(p + "layer_norm1", 768); norm(p + "layer_norm2", 768)
def vae_block(i, c):
    p = f"first_stage_model.decoder.up.{i}.block.0."
    norm(p + "norm1", c); w(p + "conv1.weight", c, c, 3, 3); bias(p + "conv1.bias", c)
    norm(p + "norm2", c); w(p + "conv2.weight", c, c, 3, 3); bias(p + "conv2.bias", c)
w("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", 49408, 768)
w("cond_stage_model.transformer.text_model.embeddings.position_embedding.weight", 77, 768)
i = 0
while sum(t.numel() for t in sd.values()) < millions * 1_000_000:
    unet_level(i, (320, 640, 1280, 1280)[i % 4])
    clip_layer(i % 12)
    vae_block(i, (128, 256, 512, 512)[i % 4])
    i += 1
n = sum(t.numel() for t in sd.values())
torch.save({"state_dict": sd}, f"{out}/sd-shaped-fp32.ckpt")
torch.save({"state_dict": {k: v.half() for k, v in sd.items()}}, f"{out}/sd-shaped-fp16.ckpt")
print(f"generated {len(sd)} tensors, {n / 1e6:.1f} M parameters, in {out}", file=sys.stderr)
PY
    set -- "$work/sd-shaped-fp16.ckpt" "$work/sd-shaped-fp32.ckpt"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); threads $threads"
printf '%-24s %6s %5s %10s %10s %7s %10s %10s %8s\n' file level long in_MiB out_MiB ratio comp_MiB/s dec_MiB/s rss_MiB
for f in "$@"; do
    for spec in $levels "3 27"; do
        level=${spec% *}
        long=0
        [ "$spec" != "$level" ] && long=${spec#* }
        out="$work/$(basename "$f").l$level-w$long.zst"
        longopt=""
        [ "$long" != 0 ] && longopt="--long $long"
        # shellcheck disable=SC2086
        "$timer" -v -o "$work/time.txt" "$sdmodel" compress -q --json --force --level "$level" --threads "$threads" $longopt "$f" -o "$out" > "$work/c.json"
        csec=$(sed -n 's/.*"seconds" : \([0-9.]*\).*/\1/p' "$work/c.json")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
        inb=$(sed -n 's/.*"uncompressed_bytes" : \([0-9]*\).*/\1/p' "$work/c.json")
        outb=$(sed -n 's/.*"compressed_bytes" : \([0-9]*\).*/\1/p' "$work/c.json")
        "$sdmodel" decompress -q --json --force "$out" -o "$work/back" > "$work/d.json"
        dsec=$(sed -n 's/.*"seconds" : \([0-9.]*\).*/\1/p' "$work/d.json")
        awk -v f="$(basename "$f")" -v l="$level" -v w="$long" -v i="$inb" -v o="$outb" -v c="$csec" -v d="$dsec" -v r="$rss" 'BEGIN {
            printf "%-24s %6s %5s %10.1f %10.1f %6.1f%% %10.1f %10.1f %8.0f\n", f, l, w, i/1048576, o/1048576, 100*o/i, i/1048576/c, i/1048576/d, r/1024 }'
        rm -f "$out" "$work/back"
    done
done
echo "(comp_MiB/s: 'sdmodel compress', including its verifying decompression; dec_MiB/s: 'sdmodel decompress', checksum verified on the way; both include JVM start-up)"
