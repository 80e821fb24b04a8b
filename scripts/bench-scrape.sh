#!/usr/bin/env bash
# Scrape time and size of one broker leading many partitions (RF=1), with per-partition series on and off.
#
#   scripts/bench-scrape.sh [PARTITIONS] [SCRAPES]
set -euo pipefail
PARTITIONS=${1:-10000}
SCRAPES=${2:-20}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SKEIN=$HERE/cli/target/skein/bin/skein
WORK=$(mktemp -d /tmp/skein-bench-scrape.XXXXXX)
PORT=${BENCH_PORT:-19292}
MPORT=${BENCH_METRICS_PORT:-19844}
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

"$SKEIN" broker --listen 127.0.0.1:$PORT --quorum-voters 1@localhost:$((PORT + 1)) --data-dir "$WORK/data" \
  --metrics-listen 127.0.0.1:$MPORT >"$WORK/broker.out" 2>"$WORK/broker.err" &
broker=$!
for _ in $(seq 60); do "$SKEIN" health -b 127.0.0.1:$PORT >/dev/null 2>&1 && break; sleep 1; done
start=$(date +%s.%N)
"$SKEIN" topic create -b 127.0.0.1:$PORT --topic many --partitions "$PARTITIONS" >/dev/null
until [ "$(curl -s http://127.0.0.1:$MPORT/metrics | awk '/^skein_partitions_leader /{print int($2)}')" = "$PARTITIONS" ]; do
  sleep 1
done
echo "created and led $PARTITIONS partitions in $(echo "$(date +%s.%N) - $start" | bc) s"
"$SKEIN" perf produce -b 127.0.0.1:$PORT --topic many --num-records 100000 --record-size 100 --throughput -1 \
  --reporting-interval 600000 >/dev/null 2>&1

measure() { # label partition-level
  kill "$broker"; wait "$broker" 2>/dev/null || true
  "$SKEIN" broker --listen 127.0.0.1:$PORT --quorum-voters 1@localhost:$((PORT + 1)) --data-dir "$WORK/data" \
    --metrics-listen 127.0.0.1:$MPORT --metrics-partition-level "$2" >"$WORK/broker.out" 2>"$WORK/broker.err" &
  broker=$!
  until [ "$(curl -s http://127.0.0.1:$MPORT/metrics | awk '/^skein_partitions_leader /{print int($2)}')" = "$PARTITIONS" ]; do
    sleep 1
  done
  for _ in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:$MPORT/metrics; done   # warm up
  local times=()
  for _ in $(seq "$SCRAPES"); do
    times+=("$(curl -s -o "$WORK/scrape.txt" -w '%{time_total}' http://127.0.0.1:$MPORT/metrics)")
  done
  local sorted median
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$1: $(wc -c <"$WORK/scrape.txt") bytes, $(grep -vc '^#' "$WORK/scrape.txt") samples," \
    "scrape median ${median}s, max $(echo "$sorted" | tail -1)s over $SCRAPES scrapes;" \
    "gzip $(gzip -c "$WORK/scrape.txt" | wc -c) bytes"
}
measure "partition-level on " true
measure "partition-level off" false
kill "$broker"; wait "$broker" 2>/dev/null || true
rm -rf "$WORK"
