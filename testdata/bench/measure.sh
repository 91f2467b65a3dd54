# Sourced by the benchmark scripts (run.sh, merge.sh): needs $work (a scratch folder) and $reps.
#
# measure OUTPUT CMD...: runs CMD $reps times under GNU time; sets WALL CPU RSS_MB of the run with
# the median wall time (single runs vary by 15% or more, mostly in the final fsync). Before each run,
# OUTPUT is deleted and the deletion synced, untimed: every run writes a new file, as a user's first
# run finds no output. (Replacing the previous run's output instead would charge each tool for
# freeing 0.5 to 2 GB of blocks, which on a file system mounted with discard costs 0.2 s or more
# inside the timed fsync.)
measure() {
  local output=$1; shift
  : > "$work/runs.txt"
  for _ in $(seq "$reps"); do
    rm -f "$output"; sync
    if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt"; then
      echo "failed: $*" >&2; cat "$work/err.txt" >&2; exit 1
    fi
    cat "$work/time.txt" >> "$work/runs.txt"
  done
  read -r WALL user sys rss < <(sort -n "$work/runs.txt" | sed -n "$(( (reps + 1) / 2 ))p")
  CPU=$(awk "BEGIN {printf \"%.2f\", $user + $sys}")
  RSS_MB=$((rss / 1024))
}
