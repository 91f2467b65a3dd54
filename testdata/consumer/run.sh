#!/usr/bin/env bash
# Proves that another project can use sdmodel-core as a dependency: installs it (`./mvnw install`)
# into a throw-away local repository, builds this consumer project against it by its coordinates,
# and runs it on the module path and on the class path with each JDK given (default: JAVA_HOME or
# the java on PATH, and /usr/lib/jvm/temurin-25-jdk-amd64 when present). Each run lists the tensors
# of testdata/sd1-train.ckpt and prunes it through the public API; check.py compares both with
# torch's results. Also checks that a module reaching into an unexported package does not compile,
# and that the javadoc and sources jars were installed.
#
# usage: testdata/consumer/run.sh [JDK_HOME...]
#
# The shared ~/.m2/repository is only read (as Maven's "tail" repository, for plugins and
# dependencies already there): sdmodel's artifacts and anything downloaded go to the temporary one,
# so other builds on the machine never see this install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

jdks=("$@")
if [ ${#jdks[@]} -eq 0 ]; then
  jdks=("${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}")
  if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then jdks+=(/usr/lib/jvm/temurin-25-jdk-amd64); fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sdmodel-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
repo="$work/repository"
mvn_repo=(-Dmaven.repo.local="$repo" -Dmaven.repo.local.tail="${SDMODEL_M2_TAIL:-$HOME/.m2/repository}")
version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root/pom.xml" | head -1)
fixture="$root/testdata/sd1-train.ckpt"
expected="$root/testdata/expected/sd1-train.ckpt.json"
fail() { echo "consumer: FAILED: $*" >&2; exit 1; }

echo "consumer: installing sdmodel-core $version (./mvnw install -pl core -am -DskipTests) into a temporary repository"
(cd "$root" && ./mvnw -B -q install -pl core -am -DskipTests "${mvn_repo[@]}")
installed="$repo/org/sdmodel/sdmodel-core/$version"
for suffix in .jar .pom -sources.jar -javadoc.jar; do
  [ -f "$installed/sdmodel-core-$version$suffix" ] || fail "install did not put sdmodel-core-$version$suffix in the repository"
done
# The javadoc documents the exported packages only (its package list is the module's exports).
jar_list=$(cd "$work" && "${jdks[0]}/bin/jar" tf "$installed/sdmodel-core-$version-javadoc.jar")
grep -q '^org.sdmodel.core/org/sdmodel/ModelFile.html$' <<<"$jar_list" || fail "javadoc jar has no page for ModelFile"
if grep -q '/org/sdmodel/torch/' <<<"$jar_list"; then fail "javadoc jar documents org.sdmodel.torch, an internal package"; fi

passed=0
for jdk in "${jdks[@]}"; do
  [ -x "$jdk/bin/java" ] || fail "no JDK at $jdk"
  jdk_name=$("$jdk/bin/java" -version 2>&1 | head -1)
  build="$work/build-$passed"
  mkdir -p "$build" && cp -r "$here/pom.xml" "$here/src" "$build/"
  echo "consumer: building with $jdk_name ($jdk)"
  (cd "$build" && JAVA_HOME="$jdk" "$root/mvnw" -B -q -nsu "${mvn_repo[@]}" -Dsdmodel.version="$version" \
      compile dependency:build-classpath -Dmdep.outputFile="$build/classpath.txt" -Dmdep.includeScope=runtime)
  classpath=$(cat "$build/classpath.txt")
  core_jar=$(tr ':' '\n' <<<"$classpath" | grep '/sdmodel-core-' || true)
  [ "$core_jar" = "$installed/sdmodel-core-$version.jar" ] || fail "sdmodel-core resolved to '$core_jar', not the installed artifact"

  for mode in module classpath; do
    out="$build/$mode.safetensors"
    if [ "$mode" = module ]; then
      launch=(--module-path "$build/target/classes:$classpath" --module com.example.consumer/com.example.consumer.Main)
      first="sdmodel-core: module org.sdmodel.core"
    else
      launch=(-cp "$build/target/classes:$classpath" com.example.consumer.Main)
      first="sdmodel-core: class path"
    fi
    "$jdk/bin/java" "${launch[@]}" "$fixture" "$out" >"$build/$mode.out" 2>"$build/$mode.err" \
      || { cat "$build/$mode.err" >&2; fail "$mode run on $jdk_name exited non-zero"; }
    [ ! -s "$build/$mode.err" ] || { cat "$build/$mode.err" >&2; fail "$mode run on $jdk_name printed to standard error"; }
    python3 "$here/check.py" "$expected" "$build/$mode.out" "$out" "$first"
    echo "consumer: ran on the ${mode/classpath/class} path with $jdk_name"
  done

  # A module that uses an internal package must not compile: only the exports are API.
  probe="$build/probe"
  mkdir -p "$probe/src/probe"
  printf 'module probe { requires org.sdmodel.core; }\n' >"$probe/src/module-info.java"
  printf 'package probe;\npublic class Probe { Class<?> c = org.sdmodel.torch.TorchZipFile.class; }\n' >"$probe/src/probe/Probe.java"
  if "$jdk/bin/javac" -d "$probe/classes" --module-path "$classpath" "$probe/src/module-info.java" "$probe/src/probe/Probe.java" \
      >"$probe/javac.out" 2>&1; then
    fail "a module using org.sdmodel.torch compiled: the package is exported"
  fi
  grep -q 'does not export' "$probe/javac.out" || { cat "$probe/javac.out" >&2; fail "javac refused the probe for another reason"; }
  echo "consumer: org.sdmodel.torch is not visible to other modules ($jdk_name)"
  passed=$((passed + 1))
done
echo "consumer: built and ran against the installed sdmodel-core $version with ${#jdks[@]} JDK(s)"
