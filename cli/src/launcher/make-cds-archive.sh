#!/bin/sh
# Makes sdmodel.jsa beside the launcher: a static class-data-sharing archive of the classes a prune,
# a convert and a merge load, parsed and verified once at build time, which the launcher maps at
# start-up instead of loading them from the jar. A static archive (not one layered on the JDK's, as
# -XX:ArchiveClassesAtExit makes) because only a static one can hold picocli's classes, which are
# Java 5 bytecode: about 0.1 s of every run's start-up. It replaces the JDK's own archive, so it is
# used only with the JDK that made it and only for this launcher file where it is (sdmodel.jsa.for
# names both; the launcher checks them), and without it sdmodel works the same, only starts slower.
#
#   make-cds-archive.sh JAVA_HOME LAUNCHER TESTDATA
#
# Runs in the build (cli/pom.xml); a failure leaves no archive and is not an error.
set -eu
java_home=$(readlink -f "$1") launcher=$(readlink -f "$2") testdata=$3
java=$java_home/bin/java
work=$launcher-cds
rm -rf "$work" "$launcher.jsa" "$launcher.jsa.for"
mkdir -p "$work"
run() { # run NAME ARGS...: one training run, its loaded classes listed in $work/NAME.classlist
  name=$1; shift
  "$java" -XX:DumpLoadedClassList="$work/$name.classlist" -Xss4m -jar "$launcher" "$@" >"$work/$name.log" 2>&1
}
run prune prune "$testdata/sd1-train.ckpt" -o "$work/p.safetensors" --quiet
run convert convert "$testdata/sd1-train.ckpt" -o "$work/c.safetensors" --quiet
run merge merge "$testdata/merge/a.ckpt" "$testdata/merge/b.safetensors" "$testdata/merge/c.safetensors" \
  -o "$work/m.safetensors" --quiet
# Not --json: Jackson's printing would add a fifth to the archive, and a JVM maps and relocates all
# of it on every start. Lines in first-seen order, each once: the dump crashes (JDK 17) on a lambda
# listed twice, and needs a class listed before the lambdas it defines. Newer JDKs (25) number the
# classes of each list ("id: 945"), so lists of several runs cannot be joined line by line: where
# the joined list is refused, the archive holds what a prune loads (most of what the others load).
awk '!seen[$0]++' "$work/prune.classlist" "$work/convert.classlist" "$work/merge.classlist" > "$work/all.classlist"
dump() {
  "$java" -Xshare:dump -XX:SharedClassListFile="$1" -XX:SharedArchiveFile="$launcher.jsa" \
    -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$launcher" >"$work/dump.log" 2>&1
}
dump "$work/all.classlist" || dump "$work/prune.classlist"
printf '%s\n%s\n' "$java_home" "$launcher" > "$launcher.jsa.for"
rm -rf "$work"
