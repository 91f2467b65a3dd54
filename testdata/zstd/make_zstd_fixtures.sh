#!/bin/sh
# Writes the zstd fixtures with the zstd command line tool (an implementation independent of
# zstd-jni's Java side), each a different kind of zstd file sdmodel must read. Run from anywhere:
#   sh testdata/zstd/make_zstd_fixtures.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
td=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# zip checkpoint: one frame, content size and checksum in the header (what 'zstd FILE' writes)
zstd -q -f -19 --check "$td/sd1-train.ckpt" -o "$here/sd1-train.ckpt.zst"

# legacy checkpoint, streamed through a pipe: no content size, and no checksum
zstd -q -3 --no-check -c < "$td/sd1-train-legacy.ckpt" > "$here/sd1-train-legacy.ckpt.zst"

# safetensors as pzstd-style pieces: a skippable frame first, then two frames of two halves
src="$td/safetensors/reference/dtypes-torch.safetensors"
size=$(wc -c < "$src")
half=$((size / 2))
head -c "$half" "$src" > "$tmp/a"
tail -c +$((half + 1)) "$src" > "$tmp/b"
# skippable frame: magic 0x184D2A50 little-endian, 4-byte length 4, 4 bytes of payload
printf '\120\052\115\030\004\000\000\000sdmd' > "$tmp/skip"
zstd -q -5 --check -c "$tmp/a" > "$tmp/a.zst"
zstd -q -5 --check -c "$tmp/b" > "$tmp/b.zst"
cat "$tmp/skip" "$tmp/a.zst" "$tmp/b.zst" > "$here/dtypes-torch.safetensors.zst"

# torch zip with a long-distance-matching window of 2 GiB declared (zstd's largest), streamed
zstd -q -3 --long=31 -c < "$td/misc-objects.pt" > "$here/misc-objects.pt.zst"

ls -l "$here"/*.zst
