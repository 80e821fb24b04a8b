#!/usr/bin/env bash
# What TLS costs: produce and consume throughput on a 3-broker dev cluster (one process) with
# TLS on every port (skein dev --tls: client port, replication, Raft) against plaintext,
# alternating, ROUNDS rounds each, and the ratio TLS/plaintext per round. TLS runs twice per round:
# with the BoringSSL engine grpc-netty-shaded bundles (the default, "tls") and with the JDK's own
# TLS ("tls-jdk", the engine Kafka uses; selected by turning grpc-netty-shaded's OpenSSL off in broker
# and client: the client port and replication; the Raft port, on Ratis' own Netty, keeps its engine).
#
#   bench/tls-compare.sh [RECORDS] [ROUNDS]     (default 300000 records of 1 KiB, 2 rounds)
#
# Workload: topic of 6 partitions, replication factor 3; skein perf produce acks=all as fast as
# possible (idempotence off: both variants alike, and no producer-epoch bumps when a loaded machine
# makes batches time out), then skein perf consume of the same records. A failed perf run prints
# its output's last lines and counts as 0. Environment: BENCH_DIR (scratch space).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
records="${1:-300000}"
rounds="${2:-2}"
skein="$here/cli/target/skein/bin/skein"
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
export SKEIN_HEAP="${SKEIN_HEAP:-2g}"
[ -x "$skein" ] || (cd "$here" && mvn -B -q -DskipTests package)

dev_pid=""
stop_dev() { [ -n "$dev_pid" ] && { kill "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; }; dev_pid=""; }
trap stop_dev EXIT

produce_rate() { grep "ms 99.9th" | tail -1 | sed -E 's/.*sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*/\2/'; }
consume_rate() { grep -v '^start.time' | tail -1 | awk -F', ' '{print $4}'; }

run_variant() { # label [--tls]
  local label="$1"; shift
  trap stop_dev EXIT  # this runs in a subshell, which does not inherit the script's trap
  stop_dev
  "$skein" dev --clean --data-dir "$work/dev" --base-port 31092 --metrics-base-port 0 "$@" > "$work/dev-$label.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 1 120); do grep -q "Press Ctrl-C" "$work/dev-$label.log" && break; sleep 1; done
  grep -q "Press Ctrl-C" "$work/dev-$label.log" || { cat "$work/dev-$label.log" >&2; return 1; }
  local opts=(--bootstrap localhost:31092,localhost:31094,localhost:31096)
  [[ "$label" == tls* ]] && opts+=(--ssl-ca-location "$work/dev/tls/ca.pem")
  "$skein" topic create --topic perf --partitions 6 --replication-factor 3 "${opts[@]}" > /dev/null
  "$skein" perf produce "${opts[@]}" --topic perf --num-records "$records" --record-size 1024 --throughput -1 \
    --producer-props acks=all enable.idempotence=false > "$work/produce-$label.out" 2>&1 \
    || tail -3 "$work/produce-$label.out" >&2
  "$skein" perf consume "${opts[@]}" --topic perf --num-records "$records" --timeout 60000 \
    > "$work/consume-$label.out" 2>&1 || tail -3 "$work/consume-$label.out" >&2
  # Stopped before the result is printed: the caller's read returns at the newline and starts the next variant.
  stop_dev
  echo "$(produce_rate < "$work/produce-$label.out" || true) $(consume_rate < "$work/consume-$label.out" || true)"
}

# grpc-netty-shaded relocates Netty's property along with its classes.
jdk_tls="-Dio.grpc.netty.shaded.io.netty.handler.ssl.noOpenSsl=true"
printf '%-6s %-10s %22s %22s\n' round variant "produce MB/s (acks=all)" "consume MB/s"
for r in $(seq 1 "$rounds"); do
  read -r pp pc < <(run_variant plain)
  printf '%-6s %-10s %22s %22s\n' "$r" plaintext "$pp" "$pc"
  read -r tp tc < <(run_variant tls --tls)
  printf '%-6s %-10s %22s %22s\n' "$r" tls "$tp" "$tc"
  read -r jp jc < <(SKEIN_JAVA_OPTS="${SKEIN_JAVA_OPTS:-} $jdk_tls" run_variant tls-jdk --tls)
  printf '%-6s %-10s %22s %22s\n' "$r" tls-jdk "$jp" "$jc"
  printf '%-6s %-10s %22s %22s\n' "$r" "ratio" "$(awk -v a="$tp" -v b="$pp" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$tc" -v b="$pc" 'BEGIN{printf "%.2f", a/b}')"
  printf '%-6s %-10s %22s %22s\n' "$r" "ratio-jdk" "$(awk -v a="$jp" -v b="$pp" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$jc" -v b="$pc" 'BEGIN{printf "%.2f", a/b}')"
done
echo "raw outputs: $work"
