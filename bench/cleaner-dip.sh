#!/usr/bin/env bash
# Produce throughput on one broker with and without the log cleaner at work on another topic of the
# same broker: the dip, in %, that compaction costs producers.
#
#   bench/cleaner-dip.sh [DIRTY_MB] [RECORDS]     (defaults: 600 MB of keyed log, 1000000 records of 1 KiB)
#
# Steps: load DIRTY_MB of 1 KiB values over DIRTY_MB/2 thousand keys (each key twice) into each of two compacted
# topics whose min.cleanable.dirty.ratio keeps the cleaner away; run skein perf produce (acks=1, 6 partitions) as a
# warm-up and a baseline; then twice: lower one topic's ratio so that the cleaner starts on it, run the same produce
# at once, wait for the cleaning to end (the log halves) and run the baseline again.
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

for t in dirty-a dirty-b; do
  "$skein" topic create --bootstrap "$bootstrap" --topic "$t" --partitions 1 --replication-factor 1 \
    --config cleanup.policy=compact --config min.cleanable.dirty.ratio=0.99 --config segment.bytes=67108864 >/dev/null
done
"$skein" topic create --bootstrap "$bootstrap" --topic perf --partitions 6 --replication-factor 1 >/dev/null
keys=$((dirty_mb * 500))
value=$(head -c 1000 /dev/zero | tr '\0' 'v')
for t in dirty-a dirty-b; do
  echo "loading $((keys * 2)) keyed records of 1 KiB ($dirty_mb MB) into compacted topic $t..."
  awk -v keys="$keys" -v value="$value" 'BEGIN { for (w = 0; w < 2; w++) for (k = 0; k < keys; k++) printf "key-%d:%s\n", (k * 7919 + w) % keys, value }' \
    | "$skein" produce --bootstrap "$bootstrap" --topic "$t" --key-separator : --acks 1 --property linger.ms=20 >/dev/null
done

perf() { "$skein" perf produce --bootstrap "$bootstrap" --topic perf --num-records "$1" --record-size 1024 \
  --throughput -1 --producer-props acks=1 | tail -1; }
size_kb() { du -sk "$work/broker/logs/$1-0" | cut -f1; }
perf $((records / 3)) >/dev/null
echo "baseline:       $(perf "$records")"
for t in dirty-a dirty-b; do
  loaded=$(size_kb "$t")
  "$skein" topic alter-config --bootstrap "$bootstrap" --topic "$t" --set min.cleanable.dirty.ratio=0.01 >/dev/null
  started=$(date +%s.%N)
  echo "with cleaner:   $(perf "$records")"
  produced=$(date +%s.%N)
  # Cleaning is done once the log holds about one record per key (half of what was loaded).
  for _ in $(seq 1 600); do [ "$(size_kb "$t")" -lt $((loaded * 6 / 10)) ] && break; sleep 0.5; done
  cleaned=$(date +%s.%N)
  printf 'cleaner on %s: %d MB -> %d MB; produce took %.1f s, cleaning %.1f s from the moment compaction was enabled\n' \
    "$t" $((loaded / 1024)) $(($(size_kb "$t") / 1024)) "$(echo "$produced - $started" | bc)" "$(echo "$cleaned - $started" | bc)"
  echo "baseline:       $(perf "$records")"
done
