#!/usr/bin/env bash
# JMH micro-benchmarks of the inner loops: prune's (fp32->fp16/bf16/fp8 and fp16->fp8 conversion, reading and
# writing a tensor: org.sdmodel.bench.KernelBenchmarks) and the merge's (org.sdmodel.engine.MergeKernelBenchmarks).
#   testdata/bench/jmh.sh [JMH OPTIONS...]     e.g.  testdata/bench/jmh.sh convertF32ToF16 -f 1 -wi 2 -i 3
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
./mvnw -q -B -pl core test-compile dependency:build-classpath -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test
cp="core/target/test-classes:core/target/classes:$(cat core/target/jmh-classpath.txt)"
exec java -cp "$cp" org.openjdk.jmh.Main 'org.sdmodel.(bench.KernelBenchmarks|engine.MergeKernelBenchmarks)' "$@"
