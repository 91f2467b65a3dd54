#!/usr/bin/env bash
# The merge benchmark: `sdmodel merge A B C` (add difference) against the torch way (the web UI's
# merger as a script, testdata/bench/torch_merge.py), at several sizes, for time and peak memory.
#
#   testdata/bench/merge.sh [WIDTH_DIVISOR...]        (default: 4 2 1; 1 is three 2.1 GB float16 models)
#
# Needs: JDK 17+, /usr/bin/python3 with torch and safetensors, GNU time (apt-get install -y time).
# Inputs (three SD 1.x-shaped float16 safetensors files per size, different seeds) are generated once
# into $SDMODEL_BENCH_DIR (default target/bench) and reused, about 6.5 GB of disk at full size. Each
# figure is the median of SDMODEL_BENCH_REPS runs (default 3); each run writes a new file, durably.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/testdata/bench
work=${SDMODEL_BENCH_DIR:-$root/target/bench}
mkdir -p "$work"
divisors=("$@")
[ ${#divisors[@]} -gt 0 ] || divisors=(4 2 1)
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
/usr/bin/python3 -c "import torch, safetensors" 2>/dev/null || { echo "needs torch and safetensors for /usr/bin/python3" >&2; exit 1; }
sdmodel=$root/cli/target/sdmodel
[ -x "$sdmodel" ] || (cd "$root" && ./mvnw -q -B package -DskipTests)

reps=${SDMODEL_BENCH_REPS:-3}
. "$bench/measure.sh"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "java: $(java -version 2>&1 | head -1); torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
echo
printf '| inputs | tool | wall s | CPU s | peak RSS MB | vs torch |\n'
printf '|---|---|---:|---:|---:|---:|\n'
for d in "${divisors[@]}"; do
  for m in a b c; do
    seed=$(( $(printf '%d' "'$m") ))
    f=$work/merge-d$d-$m.safetensors
    [ -f "$f" ] || /usr/bin/python3 "$bench/make_sd_checkpoint.py" "$f" --width-divisor "$d" --weights-only --dtype f16 --seed "$seed" 2>/dev/null
  done
  a=$work/merge-d$d-a.safetensors b=$work/merge-d$d-b.safetensors c=$work/merge-d$d-c.safetensors
  size=$(stat -c %s "$a")
  label="3 x $(awk "BEGIN {printf \"%.2f\", $size / 1e9}") GB (÷$d)"
  cat "$a" "$b" "$c" > /dev/null
  out=$work/merged.safetensors
  measure "$out" "$sdmodel" merge "$a" "$b" "$c" --method add-difference -m 0.5 -o "$out" --quiet
  s_wall=$WALL s_cpu=$CPU s_rss=$RSS_MB
  measure "$out" /usr/bin/python3 "$bench/torch_merge.py" "$out" 0.5 "$a" "$b" "$c"
  t_wall=$WALL t_cpu=$CPU t_rss=$RSS_MB
  rm -f "$out"
  printf '| %s | sdmodel merge | %s | %s | %s | %sx faster |\n' "$label" "$s_wall" "$s_cpu" "$s_rss" \
    "$(awk "BEGIN {printf \"%.2f\", $t_wall / $s_wall}")"
  printf '| %s | torch way | %s | %s | %s | 1 |\n' "$label" "$t_wall" "$t_cpu" "$t_rss"
done
