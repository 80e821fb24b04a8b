#!/usr/bin/env bash
# Measures what metrics cost on the produce and fetch paths: one broker (RF=1), a 6-partition topic,
# `skein perf produce` then `skein perf consume`, with the metrics endpoint scraped every second
# against the endpoint off, and (optionally) against a build that has no metrics at all. Runs
# alternate, so load from other processes hits every variant alike.
#
# Each broker first runs the same workload once on a warm-up topic, unmeasured, so the measured
# round sees a broker whose produce, fetch and scrape code the JIT has already compiled: a broker
# runs for days, and the one-time cost of compiling the scrape path (about half a second of CPU)
# is not what a scrape costs. The scraper keeps its connection open and asks for OpenMetrics, as
# Prometheus does.
#
# Besides the perf tools' rates it reports the broker's CPU time (user + system, from /proc) over
# the measured round, split into the JIT compiler threads and everything else: on a shared machine
# throughput swings with other processes' load, while the CPU a broker spends on the same work
# moves far less, so the last table (medians per variant) is the figure to compare.
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

cpu_ticks() { # pid -> "all jit" CPU ticks of the process and of its JIT compiler threads
  local pid=$1 all jit=0 t
  all=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  for t in /proc/"$pid"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*) jit=$((jit + $(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }'))) ;;
    esac
  done
  echo "$all $jit"
}

workload() { # topic -> "produce-rate consume-rate" (records/s)
  local produce consume
  "$SKEIN" topic create -b 127.0.0.1:$PORT --topic "$1" --partitions 6 >/dev/null
  produce=$("$SKEIN" perf produce -b 127.0.0.1:$PORT --topic "$1" --num-records "$RECORDS" --record-size 100 \
    --throughput -1 --warmup-records 100000 --reporting-interval 600000 --producer-props acks=1 linger.ms=5 2>&1 \
    | tail -1 | awk '{ printf "%.0f", $4 }')
  consume=$("$SKEIN" perf consume -b 127.0.0.1:$PORT --topic "$1" --messages "$RECORDS" --hide-header 2>/dev/null \
    | tail -1 | awk -F', ' '{ printf "%.0f", $6 }')
  echo "$produce $consume"
}

run() { # variant binary metrics-listen scrape?
  local variant=$1 bin=$2 listen=$3 scrape=$4 args=()
  rm -rf "$WORK/data"
  [ "$listen" != "-" ] && args=(--metrics-listen "$listen")
  "$bin" broker --listen 127.0.0.1:$PORT --quorum-voters 1@localhost:$((PORT + 1)) --data-dir "$WORK/data" \
    "${args[@]}" >"$WORK/broker.out" 2>"$WORK/broker.err" &
  local launcher=$! broker=
  for _ in $(seq 60); do "$SKEIN" health -b 127.0.0.1:$PORT >/dev/null 2>&1 && break; sleep 1; done
  broker=$(pgrep -f -- "--data-dir $WORK/data" | head -1)
  local scraper=
  if [ "$scrape" = yes ]; then
    # One connection, one scrape a second, for as long as the broker runs.
    curl -s -o /dev/null --rate 1/s -H 'Accept: application/openmetrics-text; version=1.0.0' \
      "http://127.0.0.1:$MPORT/metrics?scrape=[1-100000]" &
    scraper=$!
  fi
  workload warm >/dev/null
  local before after rates
  before=$(cpu_ticks "$broker")
  rates=$(workload bench)
  after=$(cpu_ticks "$broker")
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null || true
  kill "$launcher" "$broker" 2>/dev/null || true
  wait "$launcher" 2>/dev/null || true
  local hz cpu jit
  hz=$(getconf CLK_TCK)
  read -r cpu jit < <(echo "$before $after" | awk -v hz="$hz" '{ printf "%.2f %.2f\n", ($3 - $1 - $4 + $2) / hz, ($4 - $2) / hz }')
  read -r produce consume <<<"$rates"
  echo "$variant | produce $produce rec/s | consume $consume rec/s | broker cpu $cpu s (+ JIT $jit s)"
  echo "$variant $produce $consume $cpu $jit" >>"$WORK/results"
}

for r in $(seq "$ROUNDS"); do
  run "scraped-1s" "$SKEIN" "127.0.0.1:$MPORT" yes
  run "endpoint-off" "$SKEIN" none no
  [ -n "$BASELINE" ] && run "no-metrics" "$BASELINE" - no
done
echo
echo "medians over $ROUNDS rounds of $RECORDS records (produced, then consumed), after a warm-up round:"
printf '  %-13s %14s %14s %16s %10s\n' variant "produce rec/s" "consume rec/s" "broker cpu (s)" "JIT (s)"
for v in scraped-1s endpoint-off no-metrics; do
  grep -q "^$v " "$WORK/results" || continue
  median() { grep "^$v " "$WORK/results" | awk -v c="$1" '{ print $c }' | sort -n | awk '{ a[NR] = $1 } END {
    print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
  printf '  %-13s %14s %14s %16s %10s\n' "$v" "$(median 2)" "$(median 3)" "$(median 4)" "$(median 5)"
done
rm -rf "$WORK"
