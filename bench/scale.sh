#!/usr/bin/env bash
# Many partitions: create them, produce a little to every one, restart, and (3 brokers) crash one.
#
#   bench/scale.sh [PARTITIONS] [BROKERS]
#
# PARTITIONS (default 10000) partitions in one topic. BROKERS is 1 (default: replication factor 1)
# or 3 (replication factor 3, every broker a quorum voter). Each broker gets SKEIN_HEAP (default 2g).
# Measures, printing a summary table at the end:
#   create   from `topic create` until the brokers lead all partitions (3 brokers: and until none
#            is under-replicated)
#   produce  2 records to every partition (round-robin keyless) at PARTITIONS/10 records/s (at least
#            200; producer batch.size=1024, see PRODUCER_PROPS), then until every replica of every
#            partition has them
#   restart  SIGTERM every broker (shutdown time), start them again, until all partitions are led
#   crash    (3 brokers) kill -9 one broker; until every partition it led has another leader;
#            then start it again, until no partition is under-replicated
#   per broker, after the restart: heap used after a full GC, RSS, threads, open file descriptors
# Ports 41110-41132 (broker i: client 411i0, quorum 411i1, metrics 411i2); scratch under /tmp.
# Run `mvn -o install -DskipTests` first (or set SKEIN to the bin/skein of a copy of cli/target/skein). Set SCALE_KEEP=1 to keep the scratch directory.
set -euo pipefail
PARTITIONS=${1:-10000}
BROKERS=${2:-1}
case "$BROKERS" in 1 | 3) ;; *) echo "BROKERS must be 1 or 3" >&2; exit 2 ;; esac
RF=$BROKERS
HERE=$(cd "$(dirname "$0")/.." && pwd)
SKEIN=${SKEIN:-$HERE/cli/target/skein/bin/skein}   # or a copy of the distribution, so a rebuild cannot change it mid-run
WORK=$(mktemp -d /tmp/skein-bench-scale.XXXXXX)
# The producer reserves batch.size (default 16 KiB) for every partition it has a batch open for, within
# buffer.memory (32 MiB): with thousands of partitions and one record each, send() would block on memory.
PRODUCER_PROPS=${SCALE_PRODUCER_PROPS:-batch.size=1024}
DEADLINE=${SCALE_DEADLINE_S:-3600}   # give up waiting for any one condition after this long
export SKEIN_HEAP=${SKEIN_HEAP:-2g}
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

declare -A PID
port() { echo $((41100 + 10 * $1)); }
mport() { echo $((41102 + 10 * $1)); }
VOTERS=$(for i in $(seq "$BROKERS"); do printf '%s@localhost:%s,' "$i" $(($(port "$i") + 1)); done)
VOTERS=${VOTERS%,}
BOOTSTRAP=$(for i in $(seq "$BROKERS"); do printf '127.0.0.1:%s,' "$(port "$i")"; done)
BOOTSTRAP=${BOOTSTRAP%,}

cleanup() {
  for i in "${!PID[@]}"; do kill -9 "${PID[$i]}" 2>/dev/null || true; done
  if [ "${SCALE_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_broker() { # id
  "$SKEIN" broker --node-id "$1" --listen 127.0.0.1:"$(port "$1")" --quorum-voters "$VOTERS" \
    --data-dir "$WORK/b$1" --metrics-listen 127.0.0.1:"$(mport "$1")" --console-listen none \
    --default-replication-factor "$RF" >>"$WORK/broker$1.out" 2>>"$WORK/broker$1.err" &
  PID[$1]=$!
}
stop_all() { # SIGTERM to every broker at once; sets shutdown_s to the seconds until the last exited
  local t0 i
  t0=$(date +%s.%N)
  for i in "${!PID[@]}"; do kill "${PID[$i]}"; done
  for i in "${!PID[@]}"; do
    while kill -0 "${PID[$i]}" 2>/dev/null; do sleep 0.2; done
    unset "PID[$i]"
  done
  shutdown_s=$(since "$t0")
}
metric_sum() { # metric name: sum over the running brokers
  local total=0 v
  for i in "${!PID[@]}"; do
    v=$(curl -s --max-time 20 "http://127.0.0.1:$(mport "$i")/metrics" | awk -v m="$1" '$1 == m {print int($2)}')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
replicas_with_records() { # replicas whose log end offset is at least $1
  local total=0 v
  for i in "${!PID[@]}"; do
    v=$(curl -s --max-time 30 "http://127.0.0.1:$(mport "$i")/metrics" |
      awk -v min="$1" '/^skein_log_end_offset\{.*topic="scale"/ && $2 >= min {n++} END {print n + 0}')
    total=$((total + v))
  done
  echo "$total"
}
since() { echo "$(date +%s.%N) - $1" | bc | awk '{printf "%.1f", $1}'; }
wait_for() { # description command expected: polls once a second until command prints expected
  local t0 got
  t0=$(date +%s)
  while true; do
    got=$($2 2>/dev/null || true)
    [ "$got" = "$3" ] && return 0
    if [ $(($(date +%s) - t0)) -ge "$DEADLINE" ]; then
      echo "gave up waiting for $1 after ${DEADLINE}s (last: $got, want $3)" >&2
      return 1
    fi
    sleep 1
  done
}
leaders() { metric_sum skein_partitions_leader; }
under_replicated() { metric_sum skein_partitions_under_replicated; }
resources() { # per broker: heap after GC, RSS, threads, fds
  for i in $(printf '%s\n' "${!PID[@]}" | sort -n); do
    local pid=${PID[$i]} heap
    jcmd "$pid" GC.run >/dev/null 2>&1 || true
    heap=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/used/ {for (f = 1; f <= NF; f++) if ($f == "used") {print int($(f + 1) / 1024); exit}}')
    printf 'broker %s: heap after GC %s MiB, RSS %s MiB, %s threads, %s open fds\n' "$i" "${heap:-?}" \
      $(($(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024)) "$(ls "/proc/$pid/task" | wc -l)" \
      "$(ls "/proc/$pid/fd" | wc -l)"
  done
}

echo "== $PARTITIONS partitions, $BROKERS broker(s), RF=$RF, heap $SKEIN_HEAP, scratch $WORK"
for i in $(seq "$BROKERS"); do start_broker "$i"; done
for i in $(seq "$BROKERS"); do
  for _ in $(seq 120); do "$SKEIN" health -b 127.0.0.1:"$(port "$i")" >/dev/null 2>&1 && break; sleep 1; done
done

# ---- create
t0=$(date +%s.%N)
"$SKEIN" topic create -b "$BOOTSTRAP" --topic scale --partitions "$PARTITIONS" --replication-factor "$RF" \
  --request-timeout-ms 600000 >/dev/null
created_at=$(since "$t0")
wait_for "all partitions led" leaders "$PARTITIONS"
create_s=$(since "$t0")
replicated_s=-
if [ "$RF" -gt 1 ]; then
  wait_for "all partitions fully replicated" under_replicated 0 && replicated_s=$(since "$t0")
fi
echo "create: the call returned after ${created_at}s; all led after ${create_s}s; fully replicated after ${replicated_s}s"

# ---- produce
rate=$((PARTITIONS / 10 > 200 ? PARTITIONS / 10 : 200))
t0=$(date +%s.%N)
"$SKEIN" perf produce -b "$BOOTSTRAP" --topic scale --num-records $((2 * PARTITIONS)) --record-size 100 \
  --throughput "$rate" --reporting-interval 600000 --producer-props $PRODUCER_PROPS >"$WORK/produce.out" 2>&1 ||
  echo "produce: perf produce failed (exit $?); its output ends:" && tail -3 "$WORK/produce.out"
if wait_for "every replica has 2 records" "replicas_with_records 2" $((PARTITIONS * RF)); then
  produce_result="all $((PARTITIONS * RF)) replicas got their 2 records, ${rate}/s, $(since "$t0")s"
else
  produce_result="only $(replicas_with_records 2) of $((PARTITIONS * RF)) replicas got 2 records"
fi
echo "produce: $produce_result"
before_restart=$(resources)
echo "$before_restart"

# ---- restart (all brokers)
stop_all
echo "restart: shutdown took ${shutdown_s}s"
t0=$(date +%s.%N)
for i in $(seq "$BROKERS"); do start_broker "$i"; done
wait_for "all partitions led again" leaders "$PARTITIONS"
restart_s=$(since "$t0")
echo "restart: all partitions led ${restart_s}s after the start"
after_restart=$(resources)
echo "$after_restart"

# ---- crash (3 brokers)
crash_s=- rejoin_s=- crashed_led=-
if [ "$BROKERS" = 3 ]; then
  wait_for "fully replicated before the crash" under_replicated 0 || true
  victim=2
  crashed_led=$(curl -s "http://127.0.0.1:$(mport $victim)/metrics" | awk '$1 == "skein_partitions_leader" {print int($2)}')
  t0=$(date +%s.%N)
  kill -9 "${PID[$victim]}"
  unset "PID[$victim]"
  wait_for "every leadership moved off the crashed broker" leaders "$PARTITIONS" && crash_s=$(since "$t0")
  echo "crash: broker $victim led $crashed_led partitions; all led by the others ${crash_s}s after kill -9"
  t0=$(date +%s.%N)
  start_broker "$victim"
  wait_for "crashed broker back in every ISR" under_replicated 0 && rejoin_s=$(since "$t0")
  echo "crash: broker $victim back in every ISR ${rejoin_s}s after its start"
fi

cat <<EOF

== summary: $PARTITIONS partitions, $BROKERS broker(s), RF=$RF, heap $SKEIN_HEAP
| measurement | result |
|---|---|
| create (until all led) | ${create_s} s (call returned after ${created_at} s; fully replicated after ${replicated_s} s) |
| produce 2 records to every partition | ${produce_result} |
| restart: SIGTERM until every broker exited | ${shutdown_s} s |
| restart: start until all led | ${restart_s} s |
| crash (kill -9 of a broker leading ${crashed_led}) until all led elsewhere | ${crash_s} s |
| crashed broker restarted until back in every ISR | ${rejoin_s} s |
EOF
echo "before the restart:"; echo "$before_restart"
echo "after the restart:"; echo "$after_restart"
