#!/usr/bin/env bash
# Skein's MirrorBenchmark (two in-JVM 3-broker clusters, broker-core/src/test/.../bench/MirrorBenchmark.java),
# built with the reactor from this checkout and run with the modules' target/classes (never ~/.m2's copies),
# for a side-by-side figure with bench/kafka-mirror.sh.
#
#   bench/skein-mirror.sh [BACKLOG_RECORDS] [RATE] [SECONDS]      defaults 100000 3000 20
#
# SKIP_BUILD=1 reuses the last build's classes and class path.
set -euo pipefail
cd "$(dirname "$0")/.."
cpfile=broker-core/target/bench-classpath.txt
if [ -z "${SKIP_BUILD:-}" ] || [ ! -f "$cpfile" ]; then
  mvn -B -q -o -pl broker-core -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$PWD/$cpfile" -Dmdep.includeScope=test >&2
fi
exec java -cp "broker-core/target/test-classes:broker-core/target/classes:$(cat "$cpfile")" \
  dev.skein.broker.bench.MirrorBenchmark "${1:-100000}" "${2:-3000}" "${3:-20}"
