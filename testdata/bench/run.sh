#!/usr/bin/env bash
# sdmodel's benchmark: prune and convert against the torch way and the copy floor, at several sizes.
#
#   testdata/bench/run.sh [WIDTH_DIVISOR...]        (default: 8 4 2 1; 1 is the full 7.7 GB)
#
# Needs: JDK 17+, /usr/bin/python3 with torch (apt-get install -y python3-torch), GNU time
# (apt-get install -y time). Inputs are generated once into $SDMODEL_BENCH_DIR (default target/bench)
# and reused; outputs are deleted after each size. Each tool runs on the same warm input (read once
# before measuring) and writes its output durably (fsync), as sdmodel does. Each figure is the
# median of SDMODEL_BENCH_REPS runs (default 3). "fixed s" is sdmodel prune's fixed cost: from the
# JVM's start to the first tensor byte, by its trace (-Dsdmodel.trace=1), in more runs of its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/testdata/bench
work=${SDMODEL_BENCH_DIR:-$root/target/bench}
mkdir -p "$work"
divisors=("$@")
[ ${#divisors[@]} -gt 0 ] || divisors=(8 4 2 1)
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs torch: apt-get install -y python3-torch" >&2; exit 1; }
sdmodel=$root/cli/target/sdmodel
[ -x "$sdmodel" ] || (cd "$root" && ./mvnw -q -B package -DskipTests)

reps=${SDMODEL_BENCH_REPS:-3}
. "$bench/measure.sh"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "java: $(java -version 2>&1 | head -1); torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
echo
printf '| input | tool | wall s | fixed s | CPU s | peak RSS MB | output | vs torch | vs floor |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|\n'
for d in "${divisors[@]}"; do
  in=$work/sd-d$d.ckpt
  [ -f "$in" ] || /usr/bin/python3 "$bench/make_sd_checkpoint.py" "$in" --width-divisor "$d" 2>/dev/null
  size=$(stat -c %s "$in")
  label="$(awk "BEGIN {printf \"%.2f\", $size / 1e9}") GB (÷$d)"
  cat "$in" > /dev/null
  out=$work/out.safetensors
  rm -f "$out" "$work/conv.safetensors" "$work/torch.ckpt" "$work/floor.bin"

  measure "$out" "$sdmodel" prune "$in" -o "$out" --quiet
  p_wall=$WALL p_cpu=$CPU p_rss=$RSS_MB
  outsize=$(stat -c %s "$out")
  : > "$work/fixed.txt"
  for _ in $(seq "$reps"); do
    rm -f "$out"; sync
    SDMODEL_JAVA_OPTS="${SDMODEL_JAVA_OPTS:-} -Dsdmodel.trace=1" "$sdmodel" prune "$in" -o "$out" --quiet 2>&1 >/dev/null \
      | awk '/the first tensor byte/ {printf "%.2f\n", $2 / 1000}' >> "$work/fixed.txt"
  done
  p_fixed=$(sort -n "$work/fixed.txt" | sed -n "$(( (reps + 1) / 2 ))p")
  measure "$work/conv.safetensors" "$sdmodel" convert "$in" -o "$work/conv.safetensors" --quiet
  c_wall=$WALL c_cpu=$CPU c_rss=$RSS_MB
  rm -f "$work/conv.safetensors"
  measure "$work/torch.ckpt" /usr/bin/python3 "$bench/torch_prune.py" "$in" "$work/torch.ckpt"
  t_wall=$WALL t_cpu=$CPU t_rss=$RSS_MB
  rm -f "$work/torch.ckpt"
  measure "$work/floor.bin" sh -c "cat '$in' > /dev/null && head -c $outsize '$in' > '$work/floor.bin' && sync '$work/floor.bin'"
  f_wall=$WALL f_cpu=$CPU f_rss=$RSS_MB
  rm -f "$work/floor.bin" "$out"

  ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
  printf '| %s | sdmodel prune | %s | %s | %s | %s | %s MB | %sx faster | %s |\n' "$label" "$p_wall" "$p_fixed" "$p_cpu" \
    "$p_rss" $((outsize / 1000000)) "$(ratio "$t_wall" "$p_wall")" "$(ratio "$p_wall" "$f_wall")"
  printf '| %s | sdmodel convert | %s | | %s | %s | %s MB | | |\n' "$label" "$c_wall" "$c_cpu" "$c_rss" $((size / 1000000))
  printf '| %s | torch way | %s | | %s | %s | %s MB | 1 | %s |\n' "$label" "$t_wall" "$t_cpu" "$t_rss" \
    $((outsize / 1000000)) "$(ratio "$t_wall" "$f_wall")"
  printf '| %s | copy floor | %s | | %s | %s | %s MB | | 1 |\n' "$label" "$f_wall" "$f_cpu" "$f_rss" $((outsize / 1000000))
done
