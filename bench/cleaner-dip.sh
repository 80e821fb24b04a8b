#!/usr/bin/env bash
# Produce throughput on one broker with and without the log cleaner at work on another topic of the
# same broker: the dip, in %, that compaction costs producers.
#
#   bench/cleaner-dip.sh [DIRTY_MB] [RECORDS]     (defaults: 600 MB of keyed log, 1000000 records of 1 KiB)
#
# Steps: load DIRTY_MB of 1 KiB values over DIRTY_MB/2 thousand keys (each key twice) into a compacted topic
# whose min.cleanable.dirty.ratio keeps the cleaner away; run skein perf produce (acks=1, 6 partitions) as a
# warm-up and as the baseline; lower the ratio so that the cleaner starts on the loaded topic, and run the same
# produce at once; run the baseline again once the cleaner is done. The broker log shows when cleaning ended.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dirty_mb="${1:-600}"; records="${2:-1000000}"
skein="$here/cli/target/skein/bin/skein"
work="${BENCH_DIR:-$(mktemp -d)}"
port=39392
bootstrap="localhost:$port"
export SKEIN_HEAP="${SKEIN_HEAP:-1g}"
[ -x "$skein" ] || (cd "$here" && mvn -B -q -DskipTests package)

"$skein" broker --node-id 1 --listen "$bootstrap" --quorum-voters "1@localhost:$((port + 1))" \
  --quorum-listen "localhost:$((port + 1))" --data-dir "$work/broker" --log-cleaner-backoff-ms 200 \
  > "$work/broker.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do "$skein" cluster describe --bootstrap "$bootstrap" 2>/dev/null | grep -q "State: running" && break; sleep 1; done

"$skein" topic create --bootstrap "$bootstrap" --topic dirty --partitions 1 --replication-factor 1 \
  --config cleanup.policy=compact --config min.cleanable.dirty.ratio=0.99 --config segment.bytes=67108864 >/dev/null
"$skein" topic create --bootstrap "$bootstrap" --topic perf --partitions 6 --replication-factor 1 >/dev/null
keys=$((dirty_mb * 500))
echo "loading $((keys * 2)) keyed records of 1 KiB ($dirty_mb MB) into the compacted topic..."
value=$(head -c 1000 /dev/zero | tr '\0' 'v')
awk -v keys="$keys" -v value="$value" 'BEGIN { srand(42); for (w = 0; w < 2; w++) for (k = 0; k < keys; k++) printf "key-%d:%s\n", (k * 7919 + w) % keys, value }' \
  | "$skein" produce --bootstrap "$bootstrap" --topic dirty --key-separator : --acks 1 --property linger.ms=20 >/dev/null

perf() { "$skein" perf produce --bootstrap "$bootstrap" --topic perf --num-records "$1" --record-size 1024 \
  --throughput -1 --producer-props acks=1 | tail -1; }
perf $((records / 3)) >/dev/null
echo "baseline:      $(perf "$records")"
"$skein" topic alter-config --bootstrap "$bootstrap" --topic dirty --set min.cleanable.dirty.ratio=0.01 >/dev/null
started=$(date +%s.%N)
echo "with cleaner:  $(perf "$records")"
produced=$(date +%s.%N)
for _ in $(seq 1 300); do grep -q "Cleaned .*dirty-0" "$work/broker.log" && break; sleep 1; done
grep "Cleaned .*dirty-0" "$work/broker.log" | head -1 | sed 's/.*Cleaned /cleaner:       /'
echo "produce ran $(echo "$produced - $started" | bc) s from the moment compaction was enabled"
echo "baseline again: $(perf "$records")"
