#!/usr/bin/env node
// Skein from Node.js with stock tools only: @grpc/grpc-js, @grpc/proto-loader and protobufjs,
// reading the .proto files straight from rpc-proto (no generated code, no Skein-specific encoding).
//
// Connects to a bootstrap broker, reads cluster metadata, creates a topic (fine if it exists),
// writes keyed records with headers to each partition's leader, reads them back with Fetch and
// with a Subscribe stream, and checks that what it read is exactly what it wrote. With --group, it
// then consumes the topic as a member of that consumer group (GroupService: the coordinator
// assigns partitions; reading starts at the group's committed offsets) and commits what it read.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { randomUUID } = require('node:crypto');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.resolve(__dirname, '../../rpc-proto/src/main/proto');

const USAGE = 'usage: node client.js [--bootstrap host:port,...] [--topic T] [--partitions N] '
  + '[--replication-factor N] [--records N] [--compression none|gzip] [--group G] '
  + '[--ssl-ca-location PEM [--ssl-certificate-location PEM --ssl-key-location PEM]]';
let args;
try {
  ({ values: args } = parseArgs({ options: {
    bootstrap: { type: 'string' },            // host:port[,host:port...]
    topic: { type: 'string' },
    partitions: { type: 'string' },           // used only when the topic is created
    'replication-factor': { type: 'string' }, // unset: the broker's default
    records: { type: 'string' },
    compression: { type: 'string' },          // none or gzip (Node's zlib has both)
    group: { type: 'string' },                // consume as a member of this consumer group, and commit
    // TLS, by librdkafka's names: the CA that signs the brokers' certificates turns TLS on; a
    // certificate and key of our own are for brokers started with --tls-client-auth=required.
    'ssl-ca-location': { type: 'string' },
    'ssl-certificate-location': { type: 'string' },
    'ssl-key-location': { type: 'string' },
  } }));
  if (!args['ssl-certificate-location'] !== !args['ssl-key-location']) {
    throw new Error('--ssl-certificate-location and --ssl-key-location go together');
  }
  if (args['ssl-certificate-location'] && !args['ssl-ca-location']) {
    throw new Error('--ssl-certificate-location needs --ssl-ca-location');
  }
  if (!['none', 'gzip', undefined].includes(args.compression)) throw new Error('--compression must be none or gzip');
  if (!(Number(args.records ?? 9) >= 1)) throw new Error('--records must be at least 1');
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const bootstrap = (args.bootstrap ?? 'localhost:9092').split(',');
// One set of channel credentials for every broker: grpc-js checks each broker's certificate
// against the CA and against the host name it was reached at.
const credentials = args['ssl-ca-location']
  ? grpc.credentials.createSsl(
    fs.readFileSync(args['ssl-ca-location']),
    args['ssl-key-location'] ? fs.readFileSync(args['ssl-key-location']) : null,
    args['ssl-certificate-location'] ? fs.readFileSync(args['ssl-certificate-location']) : null)
  : grpc.credentials.createInsecure();
const topic = args.topic ?? 'node-example';
const recordCount = Number(args.records ?? 9);
const compression = args.compression ?? 'none';

// The services, for grpc-js. keepCase keeps the .proto's field names (base_offset, not baseOffset);
// int64 fields arrive as strings and enums as their names.
const skein = grpc.loadPackageDefinition(protoLoader.loadSync(
  ['skein/v1/cluster.proto', 'skein/v1/admin.proto', 'skein/v1/producer.proto', 'skein/v1/consumer.proto',
    'skein/v1/group.proto'],
  { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true },
)).skein.v1;

// RecordBatch.records is a serialized skein.v1.RecordSet: protobufjs (what proto-loader runs on)
// encodes and decodes it. The failed-call trailer grpc-status-details-bin is a google.rpc.Status
// holding a google.rpc.ErrorInfo; protobufjs bundles google.protobuf.Any but not those two (npm's
// google-proto-files has them, in 67 MB), so their googleapis definitions are restated here.
const types = new protobuf.Root();
types.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
types.loadSync(['skein/v1/records.proto', 'google/protobuf/any.proto'], { keepCase: true });
protobuf.parse(`syntax = "proto3"; package google.rpc;
  message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
  message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }`,
types, { keepCase: true });
const RecordSet = types.lookupType('skein.v1.RecordSet');
const RpcStatus = types.lookupType('google.rpc.Status');
const ErrorInfo = types.lookupType('google.rpc.ErrorInfo');

// ---- errors: a whole call fails with a gRPC status + ErrorInfo; one partition with an ErrorDetail

const codeName = (code) => Object.keys(grpc.status).find((name) => grpc.status[name] === code) ?? `code ${code}`;

/** A per-partition ErrorDetail from a produce or fetch response (or no leader in metadata). */
class PartitionError extends Error {
  constructor(where, detail) {
    super(`${where}: ${codeName(detail.code)} ${detail.reason}: ${detail.message}`
      + (Object.keys(detail.metadata ?? {}).length ? ` ${JSON.stringify(detail.metadata)}` : ''));
    this.detail = detail;
  }
}

/** The ErrorInfo in a failed call's status details, or undefined (errors from gRPC itself carry none). */
function errorInfo(err) {
  const [details] = err.metadata?.get('grpc-status-details-bin') ?? [];
  if (!details) return undefined;
  const any = RpcStatus.decode(details).details.find((d) => d.type_url.endsWith('/google.rpc.ErrorInfo'));
  return any && ErrorInfo.toObject(ErrorInfo.decode(any.value), { defaults: true });
}

function describe(err) {
  if (err instanceof PartitionError || err.code === undefined) return err.message;
  const info = errorInfo(err);
  return `${codeName(err.code)} ${info ? info.reason : '(no ErrorInfo)'}: ${err.details}`
    + (info && Object.keys(info.metadata).length ? ` ${JSON.stringify(info.metadata)}` : '')
    + tlsHint(err);
}

// Node's TLS errors name the symptom; say which setting to look at.
function tlsHint(err) {
  const details = String(err.details ?? '');
  if (/verify the first certificate|self[- ]signed|unable to get (local )?issuer/i.test(details)) {
    return " (TLS: certificate not trusted; is --ssl-ca-location the cluster's CA?)";
  }
  if (/altnames|Hostname\/IP does not match/i.test(details)) {
    return " (TLS: the broker's certificate does not name the address it was reached at)";
  }
  if (/certificate required|alert number 116/i.test(details)) {
    return ' (TLS: the broker requires a client certificate: --ssl-certificate-location and --ssl-key-location)';
  }
  return '';
}

// UNKNOWN_TOPIC too, for the few seconds after this client created the topic: a broker can be
// asked about it a moment before its copy of the metadata log has the topic (Kafka's clients
// also retry UNKNOWN_TOPIC_OR_PARTITION).
const retriable = (err) => err.detail?.reason === 'UNKNOWN_TOPIC'
  || (err.detail?.retriable ?? err.code === grpc.status.UNAVAILABLE);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- calls and routing

const stubs = new Map();
function stub(Service, address) {
  const key = `${Service.serviceName}@${address}`;
  if (!stubs.has(key)) stubs.set(key, new Service(address, credentials));
  return stubs.get(key);
}

function unary(Service, address, method, request) {
  return new Promise((resolve, reject) => stub(Service, address)[method](
    request, { deadline: Date.now() + 15_000 }, (err, response) => (err ? reject(err) : resolve(response))));
}

let metadata = null; // GetMetadataResponse for our topic; dropped when a call says it is stale

async function getMetadata(topics) {
  let lastError;
  for (const address of bootstrap) {
    try {
      return await unary(skein.ClusterService, address, 'GetMetadata', { topics });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function leaderOf(partition) {
  metadata ??= await getMetadata([topic]);
  const t = metadata.topics.find((x) => x.name === topic);
  if (t.error) throw new PartitionError(topic, t.error);
  const p = t.partitions.find((x) => x.partition === partition);
  const broker = metadata.brokers.find((b) => b.id === p?.leader_id);
  if (!broker) {
    throw new PartitionError(`${topic}-${partition}`,
      { code: grpc.status.UNAVAILABLE, reason: 'LEADER_NOT_AVAILABLE', message: 'no leader in metadata', retriable: true });
  }
  return { id: broker.id, address: `${broker.host}:${broker.port}` };
}

/** Runs fn, retrying retriable failures (NOT_LEADER, no leader yet, ...) with fresh metadata. */
async function retrying(fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt === 10 || !retriable(err)) throw err;
      console.log(`  retrying after ${describe(err)}`);
      metadata = null;
      await sleep(100 * attempt);
    }
  }
}

// ---- records

function encodeBatch(records) {
  const set = RecordSet.encode(RecordSet.fromObject({
    records: records.map((r, i) => ({ offset_delta: i, timestamp_ms: Date.now(), ...r })),
  })).finish();
  return compression === 'gzip'
    ? { compression: 'COMPRESSION_GZIP', records: zlib.gzipSync(set) }
    : { compression: 'COMPRESSION_NONE', records: set };
}

/** The records of fetched batches, each with its offset: base_offset + offset_delta. */
function decodeBatches(batches) {
  return batches.flatMap((batch) => {
    let bytes = batch.records;
    if (batch.compression === 'COMPRESSION_GZIP') bytes = zlib.gunzipSync(bytes);
    else if (batch.compression === 'COMPRESSION_ZSTD' && zlib.zstdDecompressSync) bytes = zlib.zstdDecompressSync(bytes); // Node 22.15+
    else if (!['COMPRESSION_NONE', 'COMPRESSION_UNSPECIFIED'].includes(batch.compression)) {
      throw new Error(`${batch.compression} batch: this example decompresses gzip (and zstd on Node 22.15+) only`);
    }
    // defaults: true, or a zero offset_delta that another encoder left off the wire would be missing;
    // `optional` fields (key, value, header values) stay absent when absent: null here, not empty.
    return RecordSet.toObject(RecordSet.decode(bytes), { longs: String, defaults: true }).records.map((r) => ({
      offset: BigInt(batch.base_offset) + BigInt(r.offset_delta),
      key: r.key ?? null,
      value: r.value ?? null,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value ?? null })),
    }));
  });
}

const text = (bytes) => (bytes === null ? 'null' : JSON.stringify(Buffer.from(bytes).toString()));
const show = (r) => `key=${text(r.key)} value=${text(r.value)} headers={${
  r.headers.map((h) => `${h.key}=${text(h.value)}`).join(', ')}}`;

async function fetchRecords(partition, from, count) {
  const got = [];
  for (let polls = 0; got.length < count; polls++) {
    if (polls === 20) throw new Error(`${topic}-${partition}: only ${got.length} of ${count} records after 20 fetches`);
    const next = from + BigInt(got.length);
    const fetched = await retrying(async () => {
      const leader = await leaderOf(partition);
      const { partitions: [fp] } = await unary(skein.ConsumerService, leader.address, 'Fetch',
        { partitions: [{ topic, partition, offset: String(next) }], max_wait_ms: 500 });
      if (fp.error) throw new PartitionError(`fetch ${topic}-${partition}`, fp.error);
      return { leader, records: decodeBatches(fp.batches) };
    });
    // A batch may start below the offset asked for: skip what was already read.
    got.push(...fetched.records.filter((r) => r.offset >= next).slice(0, count - got.length));
    console.log(`Fetched ${topic}-${partition} from broker ${fetched.leader.id} at offset ${next}: `
      + `${got.length}/${count} records`);
  }
  return got;
}

async function subscribeRecords(partition, from, count) {
  const leader = await leaderOf(partition);
  const call = stub(skein.ConsumerService, leader.address).Subscribe(
    { partitions: [{ topic, partition, offset: String(from) }], max_wait_ms: 100 },
    { deadline: Date.now() + 15_000 });
  call.on('error', () => {}); // the CANCELLED status that follows call.cancel() below
  const got = [];
  try {
    for await (const response of call) {
      for (const fp of response.partitions) {
        if (fp.error) throw new PartitionError(`subscribe ${topic}-${partition}`, fp.error);
        got.push(...decodeBatches(fp.batches).filter((r) => r.offset >= from));
      }
      if (got.length >= count) break;
    }
  } finally {
    call.cancel();
  }
  console.log(`Subscribed to ${topic}-${partition} on broker ${leader.id} from offset ${from}: ${got.length} records streamed`);
  return got.slice(0, count);
}

/** Differences between what was written (at offsets base, base+1, ...) and what was read. */
function compare(what, written, base, read) {
  const problems = [];
  if (read.length !== written.length) problems.push(`${what}: wrote ${written.length} records, read ${read.length}`);
  written.forEach((w, i) => {
    const r = read[i];
    const offset = base + BigInt(i);
    if (r && (r.offset !== offset || show(r) !== show(w))) {
      problems.push(`${what}: wrote offset ${offset} ${show(w)}, read offset ${r.offset} ${show(r)}`);
    }
  });
  return problems;
}

// ---- consumer groups: the coordinator assigns partitions and keeps committed offsets

let coordinator = null; // host:port of the group's coordinator, from FindCoordinator or a NOT_COORDINATOR redirect

async function groupCall(group, method, request) {
  for (let attempt = 1; ; attempt++) {
    if (!coordinator) {
      const c = await unary(skein.GroupService, bootstrap[0], 'FindCoordinator', { group_id: group });
      coordinator = `${c.host}:${c.port}`;
    }
    try {
      return await unary(skein.GroupService, coordinator, method, request);
    } catch (err) {
      const info = errorInfo(err);
      if (info?.reason === 'NOT_COORDINATOR') { // the error says where the coordinator is now
        coordinator = info.metadata.coordinator_address ?? null;
      } else if (attempt < 10 && (err.code === grpc.status.UNAVAILABLE)) {
        coordinator = null;
        await sleep(100 * attempt);
      } else {
        throw err;
      }
    }
  }
}

const partitionsOf = (assignment) => assignment.filter((t) => t.topic === topic).flatMap((t) => t.partitions);

async function consumeAsGroupMember(group) {
  // Join with epoch 0; heartbeat (reporting what we own) until the assignment stops changing.
  const member = { group_id: group, member_epoch: 0, subscribed_topic_names: [topic], client_id: 'skein-node-example' };
  let hb = await groupCall(group, 'Heartbeat', member);
  for (let i = 0; i < 20; i++) {
    const next = await groupCall(group, 'Heartbeat', { ...member, member_id: hb.member_id,
      member_epoch: hb.member_epoch, owned_partitions: hb.assignment });
    const settled = next.member_epoch === hb.member_epoch;
    hb = next;
    if (settled && partitionsOf(hb.assignment).length > 0) break;
    await sleep(Math.min(hb.heartbeat_interval_ms, 500));
  }
  const owned = partitionsOf(hb.assignment).sort((a, b) => a - b);
  console.log(`Group ${group}: member ${hb.member_id} (epoch ${hb.member_epoch}) was assigned ${topic} partitions ${owned}`);

  // Start at the committed offset, or at the log start where the group has none.
  const { offsets } = await groupCall(group, 'FetchOffsets', { group_id: group, partitions: [{ topic, partitions: owned }] });
  const commits = [];
  let consumed = 0;
  for (const partition of owned) {
    const committed = BigInt(offsets.find((o) => o.partition === partition)?.offset ?? -1);
    let next = committed;
    if (next < 0n) {
      const leader = await leaderOf(partition);
      const { results: [r] } = await unary(skein.ConsumerService, leader.address, 'ListOffsets',
        { queries: [{ topic, partition, spec: 'OFFSET_SPEC_EARLIEST' }] });
      next = BigInt(r.offset);
    }
    for (;;) {
      const leader = await leaderOf(partition);
      const { partitions: [fp] } = await unary(skein.ConsumerService, leader.address, 'Fetch',
        { partitions: [{ topic, partition, offset: String(next) }], max_wait_ms: 0 });
      if (fp.error) throw new PartitionError(`fetch ${topic}-${partition}`, fp.error);
      const records = decodeBatches(fp.batches).filter((r) => r.offset >= next);
      records.forEach((r) => console.log(`  group ${group} read ${topic}-${partition}@${r.offset} ${show(r)}`));
      consumed += records.length;
      if (records.length > 0) next = records[records.length - 1].offset + 1n;
      if (next >= BigInt(fp.high_watermark)) break;
    }
    commits.push({ topic, partition, offset: String(next), leader_epoch: -1, metadata: 'skein-node-example' });
  }
  // Commit as this member, with its epoch: the coordinator writes it to every in-sync replica first.
  await groupCall(group, 'CommitOffsets', { group_id: group, member_id: hb.member_id, member_epoch: hb.member_epoch,
    offsets: commits });
  const check = await groupCall(group, 'FetchOffsets', { group_id: group, partitions: [{ topic, partitions: owned }] });
  const shown = check.offsets.map((o) => `${o.partition}:${o.offset}`).join(' ');
  await groupCall(group, 'Heartbeat', { group_id: group, member_id: hb.member_id, member_epoch: -1 });
  console.log(`Group ${group}: consumed ${consumed} records, committed offsets ${shown}, left the group`);
}

// ---- the example

async function main() {
  const cluster = await getMetadata([]);
  console.log(`Cluster ${cluster.cluster_id}: controller ${cluster.controller_id}, brokers `
    + cluster.brokers.map((b) => `${b.id}@${b.host}:${b.port} (${b.state})`).join(', '));

  const request = { name: topic, partitions: Number(args.partitions ?? 3) };
  if (args['replication-factor']) request.replication_factor = Number(args['replication-factor']);
  try {
    await unary(skein.AdminService, bootstrap[0], 'CreateTopic', request);
    console.log(`Created topic ${topic}`);
  } catch (err) {
    if (errorInfo(err)?.reason !== 'TOPIC_ALREADY_EXISTS') throw err;
    console.log(`Topic ${topic} already exists (${describe(err)})`);
  }
  metadata = await getMetadata([topic]);
  const partitions = metadata.topics[0].partitions.map((p) => p.partition).sort((a, b) => a - b);
  console.log(`Topic ${topic}: ${partitions.map((p) => `partition ${p} led by ${
    metadata.topics[0].partitions.find((x) => x.partition === p).leader_id}`).join(', ')}`);

  // Keyed records with headers; record i goes to partition i mod n (round-robin, not by key hash:
  // Skein's Java client uses Kafka's murmur2 partitioner, which this example does not reimplement).
  const run = randomUUID().slice(0, 8);
  const written = new Map(partitions.map((p) => [p, []]));
  for (let i = 0; i < recordCount; i++) {
    const headers = [{ key: 'source', value: Buffer.from('skein-node-example') }, { key: 'run', value: Buffer.from(run) }];
    if (i % 2 === 1) headers.push({ key: 'no-value', value: null });
    written.get(partitions[i % partitions.length]).push({
      key: Buffer.from(['alice', 'bob', 'carol'][i % 3]),
      value: Buffer.from(`order ${i + 1} of run ${run}`),
      headers,
    });
  }

  const bases = new Map();
  for (const [partition, records] of written) {
    if (records.length === 0) continue;
    const batch = encodeBatch(records);
    const result = await retrying(async () => {
      const leader = await leaderOf(partition);
      const { results: [r] } = await unary(skein.ProducerService, leader.address, 'Produce',
        { acks: 'ACKS_ALL', batches: [{ topic, partition, batch }] });
      if (r.error) throw new PartitionError(`produce ${topic}-${partition}`, r.error);
      return { leader, base: BigInt(r.base_offset) };
    });
    bases.set(partition, result.base);
    console.log(`Produced ${records.length} records (${compression}) to ${topic}-${partition} on broker `
      + `${result.leader.id} (${result.leader.address}): offsets ${result.base}..${result.base + BigInt(records.length - 1)}`);
  }

  const problems = [];
  for (const [partition, base] of bases) {
    const records = await fetchRecords(partition, base, written.get(partition).length);
    records.forEach((r) => console.log(`  ${topic}-${partition}@${r.offset} ${show(r)}`));
    problems.push(...compare(`fetch ${topic}-${partition}`, written.get(partition), base, records));
  }
  const [first, base] = bases.entries().next().value;
  problems.push(...compare(`subscribe ${topic}-${first}`, written.get(first), base,
    await subscribeRecords(first, base, written.get(first).length)));

  if (problems.length > 0) {
    problems.forEach((p) => console.error(`MISMATCH ${p}`));
    throw new Error(`what was read differs from what was written (${problems.length} problems)`);
  }
  console.log(`Verified: ${recordCount} records read back (keys, values, headers, offsets) `
    + `from ${bases.size} partitions, by Fetch and by Subscribe`);
  if (args.group) await consumeAsGroupMember(args.group);
}

main().then(
  () => { process.exitCode = 0; },
  (err) => { console.error(`FAILED: ${describe(err)}`); process.exitCode = 1; },
).finally(() => stubs.forEach((s) => s.close()));
