#!/bin/sh
# Captures sdmodel's help and usage-error output for every command, one file per case
# (NAME.txt: standard output, then standard error, then the exit code), from a built launcher:
#
#   testdata/cli-usage/make_usage.sh cli/target/sdmodel
#
# The files committed here were made by the build of commit d24980d, whose commands were declared
# with picocli's annotations; UsageTextTest checks that today's commands, declared with picocli's
# programmatic API (CommandSpecs), print the same, byte for byte. Cases list: cases.txt.
set -eu
launcher=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cd /  # no case may depend on the folder it runs in
while IFS='|' read -r name args; do
  case $name in ''|'#'*) continue ;; esac
  # shellcheck disable=SC2086
  { "$launcher" $args 2>"$here/$name.err"; echo "exit $?"; } >"$here/$name.out" || true
  { cat "$here/$name.out" | sed '$d'; echo "--- stderr"; cat "$here/$name.err"; tail -n 1 "$here/$name.out"; } >"$here/$name.txt"
  rm -f "$here/$name.out" "$here/$name.err"
done < "$here/cases.txt"
