#!/usr/bin/env bash
# Measures what metrics cost on the produce and fetch paths: one broker (RF=1), a 6-partition topic,
# `skein perf produce` then `skein perf consume`, with the metrics endpoint scraped every second, with
# the endpoint off, and (optionally) with a build that has no metrics at all. Runs alternate, so load
# from other processes hits every variant alike. Besides the perf tools' rates it reports the broker's
# CPU time (user + system, from /proc) for the whole run: on a shared machine throughput swings with
# other processes' load, while the CPU a broker spends on the same work moves far less, so the last
# table (median CPU seconds per variant) is the figure to compare.
#
#   scripts/bench-metrics.sh [ROUNDS] [RECORDS] [BASELINE_SKEIN]
#
# BASELINE_SKEIN: bin/skein of a build without metrics (e.g. main before they were added); optional.
set -euo pipefail
ROUNDS=${1:-3}
RECORDS=${2:-1000000}
BASELINE=${3:-}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SKEIN=$HERE/cli/target/skein/bin/skein
WORK=$(mktemp -d /tmp/skein-bench-metrics.XXXXXX)
PORT=${BENCH_PORT:-19192}
MPORT=${BENCH_METRICS_PORT:-19744}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

run() { # variant binary metrics-listen scrape?
  local variant=$1 bin=$2 listen=$3 scrape=$4 args=()
  rm -rf "$WORK/data"
  [ "$listen" != "-" ] && args=(--metrics-listen "$listen")
  "$bin" broker --listen 127.0.0.1:$PORT --quorum-voters 1@localhost:$((PORT + 1)) --data-dir "$WORK/data" \
    "${args[@]}" >"$WORK/broker.out" 2>"$WORK/broker.err" &
  local broker=$!
  for _ in $(seq 60); do "$SKEIN" health -b 127.0.0.1:$PORT >/dev/null 2>&1 && break; sleep 1; done
  "$SKEIN" topic create -b 127.0.0.1:$PORT --topic bench --partitions 6 >/dev/null
  local scraper=
  if [ "$scrape" = yes ]; then
    (while true; do curl -s -o /dev/null "http://127.0.0.1:$MPORT/metrics"; sleep 1; done) &
    scraper=$!
  fi
  local produce consume
  produce=$("$SKEIN" perf produce -b 127.0.0.1:$PORT --topic bench --num-records "$RECORDS" --record-size 100 \
    --throughput -1 --warmup-records 100000 --reporting-interval 600000 --producer-props acks=1 linger.ms=5 2>&1 | tail -1)
  consume=$("$SKEIN" perf consume -b 127.0.0.1:$PORT --topic bench --messages "$RECORDS" --hide-header 2>/dev/null | tail -1)
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null || true
  local cpu
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$broker/stat")
  kill "$broker"; wait "$broker" 2>/dev/null || true
  echo "$variant | broker cpu: $cpu s | produce: $produce | consume: $consume"
  echo "$variant $cpu" >>"$WORK/cpu"
}

for r in $(seq "$ROUNDS"); do
  run "scraped-1s " "$SKEIN" "127.0.0.1:$MPORT" yes
  run "endpoint-off" "$SKEIN" none no
  [ -n "$BASELINE" ] && run "no-metrics  " "$BASELINE" - no
done
echo "median broker CPU seconds per variant ($ROUNDS rounds, $RECORDS records produced then consumed):"
for v in scraped-1s endpoint-off no-metrics; do
  grep "^$v " "$WORK/cpu" | awk '{print $2}' | sort -n | awk -v v="$v" '{a[NR]=$1} END {
    if (NR) printf "  %-12s %s s\n", v, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
done
rm -rf "$WORK"
