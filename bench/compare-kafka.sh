#!/usr/bin/env bash
# Runs the same workloads against Skein and against Apache Kafka (KRaft) on this machine, one
# after the other, and prints each figure with the ratio Skein/Kafka.
#
#   bench/compare-kafka.sh [--runs N] [RECORDS]   (default 1 run of 1000000 records of 1 KiB)
#
# With --runs N every workload runs N times (the systems alternate round by round, so load from
# other processes hits both alike) and the table reports each figure's median.
#
# Workloads (1 KiB records, 6 partitions):
#   produce      1 broker,  acks=1, as fast as possible          (records/s, MB/s)
#   consume      1 broker,  the records just produced            (MB/s)
#   produce-rf3  3 brokers, replication factor 3, acks=all        (records/s, MB/s)
#   durable-rf3  the same on Skein with durability=fsync: every batch fsynced on all three
#                replicas before it is acknowledged; compared with Kafka's default (no fsync)
#   p99          1 broker,  acks=1, at half of Kafka's max rate   (p99 latency, ms; lower is better)
#   latency      the same rate held for BENCH_LATENCY_SECONDS (60) after a 20 s warm-up that is
#                not counted: p50 / p99 / p99.9 of the steady state (ms)
#
# Kafka comes from Maven Central through ../shared/bench/kafka-peer.sh (or $KAFKA_PEER). Both
# systems run on loopback with a 1 GiB heap per broker; Skein's brokers are separate processes.
# Environment: SKEIN_PERF_PRODUCER_PROPS (extra producer settings for both, e.g. "linger.ms=5"),
# BENCH_DIR (scratch space, default a new temp dir), BENCH_ONLY=rf3 (only the 3-broker workloads).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs=1
if [ "${1:-}" = --runs ]; then runs="$2"; shift 2; fi
records="${1:-1000000}"
latency_seconds="${BENCH_LATENCY_SECONDS:-60}"
size=1024
partitions=6
kafka_peer="${KAFKA_PEER:-$here/../shared/bench/kafka-peer.sh}"
skein="$here/cli/target/skein/bin/skein"
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
extra_props="${SKEIN_PERF_PRODUCER_PROPS:-}"
only="${BENCH_ONLY:-all}"
export SKEIN_HEAP="${SKEIN_HEAP:-1g}"

[ -x "$skein" ] || (cd "$here" && mvn -B -q -DskipTests package)
[ -x "$kafka_peer" ] || { echo "no Kafka peer script at $kafka_peer (set KAFKA_PEER)" >&2; exit 1; }

pids=()
stop_skein() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_skein; "$kafka_peer" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

start_skein() { # N brokers
  local n="$1" voters="" i
  for i in $(seq 1 "$n"); do voters="$voters${voters:+,}$i@localhost:$((29093 + 2 * (i - 1)))"; done
  rm -rf "$work/skein"; mkdir -p "$work/skein"
  for i in $(seq 1 "$n"); do
    "$skein" broker --node-id "$i" --listen "localhost:$((29092 + 2 * (i - 1)))" \
      --quorum-voters "$voters" --quorum-listen "localhost:$((29093 + 2 * (i - 1)))" \
      --data-dir "$work/skein/broker-$i" --metrics-listen none --console-listen none > "$work/skein/broker-$i.log" 2>&1 &
    pids+=("$!")
  done
  local bootstrap; bootstrap=$(skein_bootstrap "$n")
  for _ in $(seq 1 60); do
    if "$skein" cluster describe --bootstrap "$bootstrap" 2>/dev/null | grep -c "State: running" | grep -qx "$n"; then
      return 0
    fi
    sleep 1
  done
  echo "Skein did not come up; see $work/skein/*.log" >&2; return 1
}
skein_bootstrap() { local s="" i; for i in $(seq 1 "$1"); do s="$s${s:+,}localhost:$((29092 + 2 * (i - 1)))"; done; echo "$s"; }

# "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, ..."
produce_field() { grep "ms 99.9th" | tail -1 | sed -E "s/.*sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*, ([0-9]+) ms 99th.*/\\$1/"; }
# The same line's 50th, 99th and 99.9th percentiles, as "p50 p99 p999".
latency_fields() { grep "ms 99.9th" | tail -1 | sed -E 's/.*, ([0-9]+) ms 50th, [0-9]+ ms 95th, ([0-9]+) ms 99th, ([0-9]+) ms 99.9th.*/\1 \2 \3/'; }
# CSV line: start, end, MB, MB.sec, nMsg, nMsg.sec, ...
consume_mb_per_sec() { grep -v '^start.time' | tail -1 | awk -F', ' '{print $4}'; }

declare -A result   # result[key.round]
round=1
run() { # system label command...
  local system="$1" label="$2"; shift 2
  echo "== round $round: $system $label" >&2
  "$@" > "$work/r$round-$system-$label.out" 2>&1 || { cat "$work/r$round-$system-$label.out" >&2; return 1; }
  tail -2 "$work/r$round-$system-$label.out" >&2
}
out() { echo "$work/r$round-$1.out"; }
# The latency run: the rate held for a warm-up and then latency_seconds, only the latter counted.
latency_args() { # rate
  echo --num-records $(( $1 * (20 + latency_seconds) )) --warmup-records $(( $1 * 20 ))
}

kafka_round() {
  if [ "$only" != rf3 ]; then
    "$kafka_peer" start 1 >&2
    kb=$("$kafka_peer" bootstrap)
    "$kafka_peer" topics --create --topic perf --partitions $partitions --replication-factor 1 >/dev/null 2>&1
    run kafka produce "$kafka_peer" produce-perf --topic perf --num-records "$records" --record-size $size --throughput -1 \
      --producer-props bootstrap.servers="$kb" acks=1 $extra_props
    result[kafka_produce.$round]=$(produce_field 1 < "$(out kafka-produce)")
    run kafka consume "$kafka_peer" consume-perf --topic perf --num-records "$records" --timeout 60000
    result[kafka_consume.$round]=$(consume_mb_per_sec < "$(out kafka-consume)")
    # Both systems run the rate of the first round's Kafka, so that the rounds are comparable.
    [ -n "${half_rate:-}" ] || half_rate=$(awk -v r="${result[kafka_produce.$round]}" 'BEGIN {printf "%d", r / 2}')
    "$kafka_peer" topics --create --topic perf-rate --partitions $partitions --replication-factor 1 >/dev/null 2>&1
    run kafka p99 "$kafka_peer" produce-perf --topic perf-rate --num-records "$records" --record-size $size \
      --throughput "$half_rate" --producer-props bootstrap.servers="$kb" acks=1 $extra_props
    result[kafka_p99.$round]=$(produce_field 3 < "$(out kafka-p99)")
    if [ "$latency_seconds" -gt 0 ]; then
      "$kafka_peer" topics --create --topic perf-latency --partitions $partitions --replication-factor 1 >/dev/null 2>&1
      run kafka latency "$kafka_peer" produce-perf --topic perf-latency $(latency_args "$half_rate") --record-size $size \
        --throughput "$half_rate" --producer-props bootstrap.servers="$kb" acks=1 $extra_props
      read -r "result[kafka_l50.$round]" "result[kafka_l99.$round]" "result[kafka_l999.$round]" \
        < <(latency_fields < "$(out kafka-latency)")
    fi
    "$kafka_peer" stop >/dev/null 2>&1
  fi

  "$kafka_peer" start 3 >&2
  kb=$("$kafka_peer" bootstrap)
  "$kafka_peer" topics --create --topic perf3 --partitions $partitions --replication-factor 3 >/dev/null 2>&1
  run kafka produce-rf3 "$kafka_peer" produce-perf --topic perf3 --num-records "$records" --record-size $size \
    --throughput -1 --producer-props bootstrap.servers="$kb" acks=all $extra_props
  result[kafka_rf3.$round]=$(produce_field 1 < "$(out kafka-produce-rf3)")
  "$kafka_peer" stop >/dev/null 2>&1
}

skein_round() {
  if [ "$only" != rf3 ]; then
    start_skein 1
    sb=$(skein_bootstrap 1)
    "$skein" topic create --topic perf --partitions $partitions --replication-factor 1 --bootstrap "$sb" >/dev/null
    run skein produce "$skein" perf produce --bootstrap "$sb" --topic perf --num-records "$records" --record-size $size \
      --throughput -1 --producer-props acks=1 $extra_props
    result[skein_produce.$round]=$(produce_field 1 < "$(out skein-produce)")
    run skein consume "$skein" perf consume --bootstrap "$sb" --topic perf --num-records "$records" --timeout 60000
    result[skein_consume.$round]=$(consume_mb_per_sec < "$(out skein-consume)")
    "$skein" topic create --topic perf-rate --partitions $partitions --replication-factor 1 --bootstrap "$sb" >/dev/null
    run skein p99 "$skein" perf produce --bootstrap "$sb" --topic perf-rate --num-records "$records" --record-size $size \
      --throughput "$half_rate" --producer-props acks=1 $extra_props
    result[skein_p99.$round]=$(produce_field 3 < "$(out skein-p99)")
    if [ "$latency_seconds" -gt 0 ]; then
      "$skein" topic create --topic perf-latency --partitions $partitions --replication-factor 1 --bootstrap "$sb" >/dev/null
      run skein latency "$skein" perf produce --bootstrap "$sb" --topic perf-latency $(latency_args "$half_rate") \
        --record-size $size --throughput "$half_rate" --producer-props acks=1 $extra_props
      read -r "result[skein_l50.$round]" "result[skein_l99.$round]" "result[skein_l999.$round]" \
        < <(latency_fields < "$(out skein-latency)")
    fi
    result[skein_rss.$round]=$(ps -o rss= -p "${pids[0]}" | awk '{printf "%.0f", $1 / 1024}')
    stop_skein
  fi

  start_skein 3
  sb=$(skein_bootstrap 3)
  "$skein" topic create --topic perf3 --partitions $partitions --replication-factor 3 --bootstrap "$sb" >/dev/null
  run skein produce-rf3 "$skein" perf produce --bootstrap "$sb" --topic perf3 --num-records "$records" \
    --record-size $size --throughput -1 --producer-props acks=all $extra_props
  result[skein_rf3.$round]=$(produce_field 1 < "$(out skein-produce-rf3)")
  "$skein" topic create --topic perf3d --partitions $partitions --replication-factor 3 --config durability=fsync \
    --bootstrap "$sb" >/dev/null
  run skein durable-rf3 "$skein" perf produce --bootstrap "$sb" --topic perf3d --num-records "$records" \
    --record-size $size --throughput -1 --producer-props acks=all $extra_props
  result[skein_durable.$round]=$(produce_field 1 < "$(out skein-durable-rf3)")
  stop_skein
}

for round in $(seq 1 "$runs"); do
  kafka_round
  skein_round
done

median() { # key: the median over the rounds
  local r
  for r in $(seq 1 "$runs"); do echo "${result[$1.$r]:-}"; done | grep -v '^$' | sort -g |
    awk '{a[NR] = $1} END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { # label skein-key kafka-key
  local s k; s=$(median "$2"); k=$(median "$3")
  printf '%-46s %14s %14s %8s\n' "$1" "${s%.*}" "${k%.*}" "$(ratio "$s" "$k")"
}
what="median of $runs runs"; [ "$runs" = 1 ] && what="one run"
printf '\n%-46s %14s %14s %8s\n' "workload ($records x ${size} B, $partitions partitions; $what)" "Skein" "Kafka" "ratio"
if [ "$only" != rf3 ]; then
  row "produce, 1 broker, acks=1 (records/s)" skein_produce kafka_produce
  printf '%-46s %14s %14s %8s\n' "consume, 1 broker (MB/s)" "$(median skein_consume)" "$(median kafka_consume)" \
    "$(ratio "$(median skein_consume)" "$(median kafka_consume)")"
fi
row "produce, 3 brokers, RF=3, acks=all (records/s)" skein_rf3 kafka_rf3
row "  Skein durability=fsync vs Kafka (no fsync)" skein_durable kafka_rf3
if [ "$only" != rf3 ]; then
  row "p99 latency at $half_rate records/s (ms)" skein_p99 kafka_p99
  if [ "$latency_seconds" -gt 0 ]; then
    row "  ${latency_seconds} s steady state: p50 (ms)" skein_l50 kafka_l50
    row "  ${latency_seconds} s steady state: p99 (ms)" skein_l99 kafka_l99
    row "  ${latency_seconds} s steady state: p99.9 (ms)" skein_l999 kafka_l999
  fi
  printf '%s\n' "Skein broker memory after the 1-broker runs: $(median skein_rss) MiB RSS (heap capped at $SKEIN_HEAP)"
fi
echo "raw outputs: $work"
