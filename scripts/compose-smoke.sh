#!/usr/bin/env bash
# Smoke test of docker-compose.yml: bring the 3-broker cluster up, create a topic, produce and
# consume through the host ports, restart one container, check the records and the cluster
# again, and take everything down (volumes included). Needs the image (scripts/docker-image.sh)
# and the distribution in cli/target/skein for the host-side client. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
compose="docker-compose -p skein-smoke -f docker-compose.yml"
skein=cli/target/skein/bin/skein
bootstrap=localhost:19092,localhost:29092,localhost:39092
export SKEIN_HEAP=256m

log() { echo "compose-smoke: $*" >&2; }
cleanup() { $compose down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

if ! command -v docker-compose >/dev/null; then
  log "installing docker-compose with apt"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null
fi
cleanup
log "up"
$compose up -d
# Polls with a deadline: the cluster must answer as a whole.
wait_healthy() {
  for _ in $(seq 1 90); do
    "$skein" health --cluster --bootstrap "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  "$skein" health --cluster --bootstrap "$1"
}
wait_healthy localhost:19092
log "topic, produce, consume via $bootstrap"
"$skein" topic create --topic smoke --partitions 3 --replication-factor 3 --config min.insync.replicas=2 --bootstrap "$bootstrap"
seq 1 300 | sed 's/^/v/' | "$skein" produce --topic smoke --bootstrap "$bootstrap"
count() { "$skein" consume --topic smoke --from-beginning --max-messages 300 --timeout-ms 30000 --bootstrap "$bootstrap" | sort -u | wc -l; }
[ "$(count)" = 300 ] || { log "expected 300 distinct records before the restart"; exit 1; }

log "restart skein-2"
$compose restart skein-2
for _ in $(seq 1 90); do
  [ "$(docker inspect --format '{{.State.Health.Status}}' "$($compose ps -q skein-2)")" = healthy ] && break
  sleep 1
done
wait_healthy localhost:29092
seq 301 400 | sed 's/^/v/' | "$skein" produce --topic smoke --bootstrap "$bootstrap"
got="$("$skein" consume --topic smoke --from-beginning --max-messages 400 --timeout-ms 30000 --bootstrap "$bootstrap" | sort -u | wc -l)"
[ "$got" = 400 ] || { log "expected 400 distinct records after the restart, got $got"; exit 1; }
"$skein" topic describe --topic smoke --bootstrap "$bootstrap"
log "down"
cleanup
trap - EXIT
log "passed"
