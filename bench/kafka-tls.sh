#!/usr/bin/env bash
# The same measurement as bench/tls-compare.sh, on Apache Kafka 4.2 (KRaft, jars from Maven Central
# through ../shared/bench/kafka-peer.sh's cache): 3 combined broker+controller nodes, with TLS on the
# client, inter-broker and controller listeners (PEM files made with openssl, mutual TLS on the
# controller listener, as Skein's Raft port) against plaintext, alternating, ROUNDS rounds each.
#
#   bench/kafka-tls.sh [RECORDS] [ROUNDS]      (default 300000 records of 1 KiB, 2 rounds)
#
# Workload: 6 partitions, RF=3, kafka-producer-perf-test acks=all enable.idempotence=false, then
# kafka-consumer-perf-test. Own ports (19392+i clients, 19492+i controllers) and run directory, so it
# does not disturb a kafka-peer.sh cluster. Environment: BENCH_DIR (scratch), KAFKA_PEER_HEAP (1G).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
records="${1:-300000}"
rounds="${2:-2}"
kafka_peer="${KAFKA_PEER:-$here/../shared/bench/kafka-peer.sh}"
lib="${KAFKA_PEER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-peer/4.2.0}/lib"
work="${BENCH_DIR:-$(mktemp -d)}"
heap="${KAFKA_PEER_HEAP:-1G}"
mkdir -p "$work"
[ -f "$lib/.complete" ] || { echo "no Kafka jars in $lib: run $kafka_peer start once" >&2; exit 1; }
printf 'rootLogger.level=WARN\nrootLogger.appenderRef.o.ref=o\nappender.o.type=Console\nappender.o.name=o\nappender.o.layout.type=PatternLayout\nappender.o.layout.pattern=[%%d] %%p %%m (%%c)%%n\n' > "$work/log4j2.properties"
kjava() { java -Dlog4j2.configurationFile="$work/log4j2.properties" -cp "$lib/*" "$@"; }

# Throwaway CA and one broker certificate for 127.0.0.1 and localhost (PKCS#8 key, unencrypted).
tls="$work/tls"; mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" \
  -days 2 -subj "/CN=kafka-bench-ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/broker-key.pem" -out "$tls/broker.csr" \
  -subj "/CN=kafka-bench-broker" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > "$tls/ext.cnf"
openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial -days 2 \
  -extfile "$tls/ext.cnf" -out "$tls/broker.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$tls/broker-key.pem" -out "$tls/broker-key.p8.pem"
cat "$tls/broker-key.p8.pem" "$tls/broker.pem" > "$tls/keystore.pem"
printf 'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$tls/ca.pem" > "$work/client-tls.properties"
: > "$work/client-plain.properties"

pids=()
stop_kafka() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_kafka EXIT
bootstrap() { echo "127.0.0.1:19392,127.0.0.1:19393,127.0.0.1:19394"; }

start_kafka() { # plain|tls
  local mode="$1" voters="1@127.0.0.1:19492,2@127.0.0.1:19493,3@127.0.0.1:19494" id i d
  rm -rf "$work/kafka"; mkdir -p "$work/kafka"
  id=$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  for i in 0 1 2; do
    d="$work/kafka/node$i"; mkdir -p "$d"
    local proto=PLAINTEXT map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" extra=""
    if [ "$mode" = tls ]; then
      proto=SSL; map="CONTROLLER:SSL,SSL:SSL"
      extra="ssl.keystore.type=PEM
ssl.keystore.location=$tls/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.controller.ssl.client.auth=required"
    fi
    cat > "$d/server.properties" <<PROPS
process.roles=broker,controller
node.id=$((i + 1))
controller.quorum.voters=$voters
listeners=$proto://127.0.0.1:$((19392 + i)),CONTROLLER://127.0.0.1:$((19492 + i))
advertised.listeners=$proto://127.0.0.1:$((19392 + i))
controller.listener.names=CONTROLLER
listener.security.protocol.map=$map
inter.broker.listener.name=$proto
log.dirs=$d/data
offsets.topic.replication.factor=3
group.initial.rebalance.delay.ms=0
$extra
PROPS
    kjava kafka.tools.StorageTool format -t "$id" -c "$d/server.properties" >/dev/null 2>&1
    java -Xmx$heap -Xms$heap -XX:+UseG1GC -Dlog4j2.configurationFile="$work/log4j2.properties" -cp "$lib/*" \
      kafka.Kafka "$d/server.properties" > "$d/broker.log" 2>&1 &
    pids+=("$!")
  done
  for _ in $(seq 1 90); do
    if kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" \
        --command-config "$work/client-$mode.properties" --list >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "kafka ($mode) did not come up; see $work/kafka/node*/broker.log" >&2; return 1
}

produce_rate() { grep "ms 99.9th" | tail -1 | sed -E 's/.*sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*/\2/'; }
consume_rate() { grep -v '^start.time' | grep -v WARN | tail -1 | awk -F', ' '{print $4}'; }

run_variant() { # plain|tls
  local mode="$1"
  trap stop_kafka EXIT  # this runs in a subshell, which does not inherit the script's trap
  start_kafka "$mode" >&2
  kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" --command-config "$work/client-$mode.properties" \
    --create --topic perf --partitions 6 --replication-factor 3 >/dev/null 2>&1
  local props=(bootstrap.servers="$(bootstrap)" acks=all enable.idempotence=false)
  [ "$mode" = tls ] && props+=(security.protocol=SSL ssl.truststore.type=PEM ssl.truststore.location="$tls/ca.pem")
  kjava org.apache.kafka.tools.ProducerPerformance --topic perf --num-records "$records" --record-size 1024 \
    --throughput -1 --producer-props "${props[@]}" > "$work/produce-$mode.out" 2>&1 || tail -3 "$work/produce-$mode.out" >&2
  kjava org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$(bootstrap)" --topic perf \
    --num-records "$records" --timeout 60000 --command-config "$work/client-$mode.properties" \
    > "$work/consume-$mode.out" 2>&1 || tail -3 "$work/consume-$mode.out" >&2
  # Stopped before the result is printed: the caller's read returns at the newline and starts the next variant.
  stop_kafka
  echo "$(produce_rate < "$work/produce-$mode.out" || true) $(consume_rate < "$work/consume-$mode.out" || true)"
}

printf '%-6s %-10s %22s %22s\n' round variant "produce MB/s (acks=all)" "consume MB/s"
for r in $(seq 1 "$rounds"); do
  read -r pp pc < <(run_variant plain)
  printf '%-6s %-10s %22s %22s\n' "$r" plaintext "$pp" "$pc"
  read -r tp tc < <(run_variant tls)
  printf '%-6s %-10s %22s %22s\n' "$r" tls "$tp" "$tc"
  printf '%-6s %-10s %22s %22s\n' "$r" "ratio" "$(awk -v a="$tp" -v b="$pp" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$tc" -v b="$pc" 'BEGIN{printf "%.2f", a/b}')"
done
echo "raw outputs: $work"
