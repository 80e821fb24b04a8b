// Skein console: plain JavaScript, no libraries, nothing loaded from the internet.
// Views are chosen by the URL's hash: #/ (overview), #/topic/NAME, #/topic/NAME/PARTITION
// (record browser) and #/group/ID. The overview is drawn from the live stream
// (/api/events); detail views re-read their data on every push of that stream.
'use strict';

const state = { summary: null, settings: { writes: false, nodeId: '?' }, busy: false, follow: false };

// ---- small helpers ------------------------------------------------------------------------

// Builds an element; children are nodes or strings (always set as text, never as HTML).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function table(headers, rows, attrs) {
  return h('table', attrs,
    h('thead', null, h('tr', null, headers.map(x => h('th', { className: x.num ? 'num' : null }, x.label || x)))),
    h('tbody', null, rows));
}

function num(v) { return v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'); }
function list(a) { return (a || []).join(', '); }
// Bytes in binary units with one decimal, as `skein log-dirs describe` prints them: 1536 is 1.5 KiB.
function size(bytes) {
  if (bytes === null || bytes === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Number(bytes), u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? v + ' B' : v.toFixed(1) + ' ' + units[u];
}
function time(ms) { return ms >= 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '–'; }
function enc(s) { return encodeURIComponent(s); }

async function api(path, options) {
  const init = Object.assign({ headers: {} }, options || {});
  if (init.method && init.method !== 'GET') init.headers['X-Skein-Console'] = '1';
  const res = await fetch('/api/' + path, init);
  let body;
  try { body = await res.json(); } catch (e) { body = { error: 'answer was not JSON (HTTP ' + res.status + ')' }; }
  if (!res.ok) {
    const err = new Error(body.error || ('HTTP ' + res.status));
    err.reason = body.reason;
    err.status = res.status;
    throw err;
  }
  return body;
}

function showError(e) {
  const box = document.getElementById('error');
  if (!e) { box.hidden = true; box.textContent = ''; return; }
  box.hidden = false;
  box.textContent = e.message + (e.reason ? ' (' + e.reason + ')' : '');
  box.setAttribute('data-reason', e.reason || '');
}

function setView(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes.flat().filter(n => n !== null && n !== undefined));
}

function crumbs(...parts) {
  const nav = document.getElementById('crumbs');
  nav.replaceChildren(...parts.flatMap((p, i) => (i ? [' / ', p] : [p])));
}

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(x => x).map(decodeURIComponent);
  return parts;
}

// ---- views --------------------------------------------------------------------------------

function renderOverview() {
  crumbs(h('span', null, 'Overview'));
  const s = state.summary;
  if (!s) { setView(h('p', { className: 'muted' }, 'Waiting for the first update…')); return; }
  const c = s.cluster;
  const running = c.brokers.filter(b => b.state === 'RUNNING').length;
  const urp = s.topics.reduce((n, t) => n + t.underReplicated, 0);
  const offline = s.topics.reduce((n, t) => n + t.offline, 0);
  const cards = h('div', { className: 'cards' },
    card('Brokers running', running + ' / ' + c.brokers.length),
    card('Controller', 'broker ' + c.controllerId),
    card('Raft term', num(c.quorum.term)),
    card('Topics', s.topics.filter(t => !t.internal).length),
    card('Under-replicated', urp, urp ? 'warn' : null),
    card('Offline partitions', offline, offline ? 'bad' : null),
    card('Groups', s.groups.length));
  const brokers = table(['ID', 'Address', 'Rack', 'State', 'Voter', 'Role'], c.brokers.map(b =>
    h('tr', { 'data-broker': b.id },
      h('td', null, b.id), h('td', null, b.address), h('td', null, b.rack || '–'),
      h('td', { className: 'state-' + b.state }, b.state), h('td', null, b.voter ? 'yes' : 'no'),
      h('td', null, b.controller ? h('span', { className: 'tag' }, 'controller') : ''))), { id: 'brokers' });
  const q = c.quorum;
  const quorum = table(['Member', 'Address', 'Role', { label: 'Commit index', num: 1 }, { label: 'Lag', num: 1 },
    { label: 'Last contact ms', num: 1 }], q.members.map(m =>
    h('tr', { 'data-member': m.id }, h('td', null, m.id), h('td', null, m.address),
      h('td', { className: 'state-' + m.role }, m.role), h('td', { className: 'num' }, num(m.commitIndex)),
      h('td', { className: 'num' }, num(m.lag)), h('td', { className: 'num' }, num(m.lastContactMs)))),
    { id: 'quorum' });
  const topics = table(['Topic', { label: 'Partitions', num: 1 }, { label: 'Replication', num: 1 },
    { label: 'Under-replicated', num: 1 }, { label: 'Offline', num: 1 }], s.topics.map(t =>
    h('tr', { 'data-topic': t.name },
      h('td', null, h('a', { href: '#/topic/' + enc(t.name) }, t.name), t.internal ? [' ', h('span', { className: 'tag' }, 'internal')] : null),
      h('td', { className: 'num' }, t.partitions), h('td', { className: 'num' }, t.replicationFactor),
      h('td', { className: 'num' + (t.underReplicated ? ' warn' : '') }, t.underReplicated),
      h('td', { className: 'num' + (t.offline ? ' bad' : '') }, t.offline))), { id: 'topics' });
  const groups = table(['Group', 'State', { label: 'Members', num: 1 }, { label: 'Coordinator', num: 1 },
    { label: 'Lag', num: 1 }], s.groups.map(g =>
    h('tr', { 'data-group': g.groupId },
      h('td', null, h('a', { href: '#/group/' + enc(g.groupId) }, g.groupId)),
      h('td', { className: 'state-' + g.state }, g.state), h('td', { className: 'num' }, g.members),
      h('td', { className: 'num' }, g.coordinatorId), h('td', { className: 'num lag' }, num(g.lag)))), { id: 'groups' });
  setView(cards,
    h('h2', null, 'Brokers'), brokers,
    h('h2', null, 'Metadata quorum'),
    h('p', { className: 'muted' }, 'Raft leader ', h('b', null, 'broker ' + q.leaderId), ', term ' + num(q.term)
      + ', commit index ' + num(q.commitIndex) + ', metadata offset ' + num(c.metadataOffset)
      + ' (as broker ' + c.answeredBy + ' sees it)'),
    quorum,
    h('h2', null, 'Topics'), topics, state.settings.writes ? createTopicForm() : null,
    h('h2', null, 'Consumer groups'), s.groups.length ? groups : h('p', { className: 'muted' }, 'No groups yet.'));
}

function card(label, value, cls) {
  return h('div', { className: 'card' }, h('div', { className: 'muted' }, label), h('div', { className: 'n ' + (cls || '') }, value));
}

function createTopicForm() {
  const name = h('input', { name: 'name', placeholder: 'topic name', required: true });
  const parts = h('input', { name: 'partitions', type: 'number', min: 1, placeholder: 'partitions' });
  const rf = h('input', { name: 'replicationFactor', type: 'number', min: 1, placeholder: 'replication' });
  return h('form', { className: 'inline', id: 'create-topic', onsubmit: async ev => {
    ev.preventDefault();
    const q = new URLSearchParams({ name: name.value });
    if (parts.value) q.set('partitions', parts.value);
    if (rf.value) q.set('replicationFactor', rf.value);
    try { await api('topics?' + q, { method: 'POST' }); showError(null); location.hash = '#/topic/' + enc(name.value); }
    catch (e) { showError(e); }
  } }, 'Create topic: ', name, parts, rf, h('button', { type: 'submit' }, 'Create'));
}

async function renderTopic(name) {
  crumbs(h('a', { href: '#/' }, 'Overview'), h('span', null, 'Topic ' + name));
  const t = await api('topics/' + enc(name));
  const rows = t.partitions.map(p => h('tr', { 'data-partition': p.partition },
    h('td', null, h('a', { href: '#/topic/' + enc(name) + '/' + p.partition }, p.partition)),
    h('td', { className: 'leader' + (p.leader < 0 ? ' bad' : '') }, p.leader < 0 ? 'none' : p.leader),
    h('td', { className: 'num' }, p.leaderEpoch),
    h('td', { className: 'replicas' }, list(p.replicas)),
    h('td', { className: 'isr' + (p.isr.length < p.replicas.length ? ' warn' : '') }, list(p.isr)),
    h('td', { className: 'num start' }, num(p.startOffset)), h('td', { className: 'num end' }, num(p.endOffset)),
    h('td', { className: 'num' }, num(p.records)),
    h('td', { className: 'num size', title: replicaSizes(p) }, size(p.sizeBytes))));
  const partitions = table(['Partition', 'Leader', { label: 'Epoch', num: 1 }, 'Replicas', 'ISR',
    { label: 'Start offset', num: 1 }, { label: 'End offset', num: 1 }, { label: 'Records', num: 1 },
    { label: 'Size', num: 1 }], rows, { id: 'partitions' });
  const configs = table(['Config', 'Value', 'Source'], t.configs.map(c =>
    h('tr', { 'data-config': c.name }, h('td', null, c.name), h('td', null, c.value), h('td', { className: 'muted' }, c.source))),
    { id: 'configs' });
  const del = state.settings.writes ? h('button', { className: 'danger', id: 'delete-topic', onclick: async () => {
    if (!confirm('Delete topic ' + name + ' and all its records?')) return;
    try { await api('topics/' + enc(name), { method: 'DELETE' }); location.hash = '#/'; } catch (e) { showError(e); }
  } }, 'Delete topic') : null;
  setView(h('h1', null, 'Topic ', h('span', { id: 'topic-name' }, t.name), t.internal ? [' ', h('span', { className: 'tag' }, 'internal')] : null),
    h('p', { className: 'muted' }, 'Topic id ' + t.topicId + ' · replication factor ' + t.replicationFactor),
    h('h2', null, 'Partitions'), partitions, h('h2', null, 'Configs'), configs, del);
}

// The size cell's tooltip: every replica's size on its broker's disk, one line each.
function replicaSizes(p) {
  return p.replicaSizes.map(r => 'broker ' + r.broker + (r.broker === p.leader ? ' (leader)' : '') + ': '
    + (r.sizeBytes === null ? 'unknown (no answer)' : size(r.sizeBytes) + ' in ' + r.segments
      + (r.segments === 1 ? ' segment' : ' segments'))).join('\n');
}

async function renderGroup(id) {
  crumbs(h('a', { href: '#/' }, 'Overview'), h('span', null, 'Group ' + id));
  const g = await api('groups/' + enc(id));
  const members = table(['Member', 'Client', 'Host', { label: 'Epoch', num: 1 }, 'Assignment'], g.members.map(m =>
    h('tr', null, h('td', null, m.memberId), h('td', null, m.clientId), h('td', null, m.host),
      h('td', { className: 'num' }, m.memberEpoch), h('td', null, list(m.assignment)))), { id: 'members' });
  const parts = table(['Topic', { label: 'Partition', num: 1 }, { label: 'Committed', num: 1 },
    { label: 'Log end', num: 1 }, { label: 'Lag', num: 1 }, 'Member'], g.partitions.map(p =>
    h('tr', { 'data-topic': p.topic, 'data-partition': p.partition },
      h('td', null, h('a', { href: '#/topic/' + enc(p.topic) }, p.topic)), h('td', { className: 'num' }, p.partition),
      h('td', { className: 'num' }, num(p.committedOffset)), h('td', { className: 'num' }, num(p.logEndOffset)),
      h('td', { className: 'num lag' + (p.lag ? ' warn' : '') }, num(p.lag)), h('td', null, p.memberId || '–'))),
    { id: 'group-partitions' });
  setView(h('h1', null, 'Group ', g.groupId),
    h('div', { className: 'cards' }, card('State', g.state), card('Members', g.members.length),
      h('div', { className: 'card' }, h('div', { className: 'muted' }, 'Total lag'), h('div', { className: 'n', id: 'group-lag' }, g.lag)),
      card('Coordinator', 'broker ' + g.coordinatorId), card('Group epoch', g.groupEpoch), card('Assignor', g.assignor || '–')),
    h('h2', null, 'Members'), g.members.length ? members : h('p', { className: 'muted' }, 'No members.'),
    h('h2', null, 'Offsets and lag'), parts,
    state.settings.writes ? resetForm(g) : null);
}

function resetForm(g) {
  const topics = [...new Set(g.partitions.map(p => p.topic))];
  const topic = h('select', { name: 'topic' }, topics.map(t => h('option', { value: t }, t)));
  const to = h('select', { name: 'to' }, ['earliest', 'latest', 'offset'].map(t => h('option', { value: t }, t)));
  const offset = h('input', { name: 'offset', type: 'number', min: 0, placeholder: 'offset' });
  return h('form', { className: 'inline', id: 'reset-offsets', onsubmit: async ev => {
    ev.preventDefault();
    const q = new URLSearchParams({ topic: topic.value, to: to.value });
    if (to.value === 'offset') q.set('offset', offset.value);
    try { await api('groups/' + enc(g.groupId) + '/reset-offsets?' + q, { method: 'POST' }); showError(null); refresh(); }
    catch (e) { showError(e); }
  } }, 'Reset offsets (group must be empty): ', topic, to, offset, h('button', { type: 'submit' }, 'Reset'));
}

// The record browser keeps its controls across live refreshes; only the table is redrawn.
const browser = { key: null, mode: 'latest', position: '', limit: 50, format: 'text', data: null };

function renderPartition(topic, partition) {
  crumbs(h('a', { href: '#/' }, 'Overview'), h('a', { href: '#/topic/' + enc(topic) }, 'Topic ' + topic),
    h('span', null, 'Partition ' + partition));
  const key = topic + '/' + partition;
  if (browser.key !== key) Object.assign(browser, { key, mode: 'latest', position: '', data: null });
  const mode = h('select', { id: 'browse-mode', onchange: () => { browser.mode = mode.value; } },
    [['latest', 'Newest records'], ['offset', 'From offset'], ['timestamp', 'From time']]
      .map(([v, l]) => h('option', { value: v, selected: browser.mode === v }, l)));
  const position = h('input', { id: 'browse-position', value: browser.position,
    placeholder: 'offset, or time (ms or 2026-12-05T18:00:00Z)', size: 34, oninput: () => { browser.position = position.value; } });
  const limit = h('input', { id: 'browse-limit', type: 'number', min: 1, max: 500, value: browser.limit, size: 5,
    oninput: () => { browser.limit = limit.value; } });
  const format = h('select', { id: 'browse-format', onchange: () => { browser.format = format.value; drawRecords(); } },
    ['text', 'json', 'hex'].map(f => h('option', { value: f, selected: browser.format === f }, f)));
  const follow = h('input', { type: 'checkbox', id: 'browse-follow', checked: state.follow,
    onchange: () => { state.follow = follow.checked; } });
  const load = h('button', { id: 'browse-load', onclick: () => loadRecords(topic, partition) }, 'Load');
  setView(h('h1', null, topic + ' / partition ' + partition),
    h('div', { className: 'controls' }, mode, position, 'limit', limit, 'show as', format, load,
      h('label', null, follow, ' follow live')),
    h('p', { id: 'browse-range', className: 'muted' }),
    h('div', { id: 'records' }));
  if (browser.data) drawRecords(); else loadRecords(topic, partition);
}

async function loadRecords(topic, partition) {
  const q = new URLSearchParams({ limit: browser.limit || 50 });
  if (browser.mode !== 'latest') q.set(browser.mode, browser.position);
  try {
    browser.data = await api('topics/' + enc(topic) + '/partitions/' + enc(partition) + '/records?' + q);
    showError(null);
  } catch (e) { browser.data = null; showError(e); }
  drawRecords();
}

function shown(bytes) {
  if (bytes === null || bytes === undefined) return h('span', { className: 'muted' }, 'null');
  let text = bytes.text;
  if (browser.format === 'hex') text = bytes.hex.replace(/(..)/g, '$1 ').trim();
  else if (browser.format === 'json') {
    try { text = JSON.stringify(JSON.parse(bytes.text), null, 2); } catch (e) { text = bytes.text; } // not JSON: shown as text
  } else if (!bytes.utf8) text = bytes.text + '\n(not valid UTF-8: try hex)';
  return h('pre', null, text + (bytes.truncated ? '\n… (' + bytes.size + ' bytes, cut for display)' : ''));
}

function drawRecords() {
  const box = document.getElementById('records');
  const range = document.getElementById('browse-range');
  if (!box) return;
  const d = browser.data;
  if (!d) { box.replaceChildren(); return; }
  range.textContent = 'Partition holds offsets ' + d.startOffset + ' to ' + (d.endOffset - 1) + ' (end ' + d.endOffset
    + '); showing ' + d.records.length + ' from offset ' + d.from + '.';
  box.replaceChildren(d.records.length ? table(['Offset', 'Timestamp', 'Key', 'Value', 'Headers'], d.records.map(r =>
    h('tr', { 'data-offset': r.offset },
      h('td', { className: 'num' }, r.offset), h('td', null, time(r.timestamp)),
      h('td', { className: 'key' }, shown(r.key)), h('td', { className: 'value' }, shown(r.value)),
      h('td', { className: 'headers' }, r.headers.map(x => h('div', null, h('b', null, x.key + ': '), shown(x.value)))))), { id: 'record-table' })
    : h('p', { className: 'muted' }, 'No records here.'));
}

// ---- routing and live updates ---------------------------------------------------------------

async function refresh() {
  // One redraw at a time; a request that comes meanwhile (a click, a push) runs right after.
  if (state.busy) { state.again = true; return; }
  state.busy = true;
  state.again = false;
  const parts = route();
  try {
    if (parts[0] === 'topic' && parts.length === 2) await renderTopic(parts[1]);
    else if (parts[0] === 'topic' && parts.length === 3) {
      if (!document.getElementById('records') || browser.key !== parts[1] + '/' + parts[2]) renderPartition(parts[1], parts[2]);
      else if (state.follow) await loadRecords(parts[1], parts[2]);
    } else if (parts[0] === 'group' && parts.length === 2) await renderGroup(parts[1]);
    else renderOverview();
    if (parts[0] !== 'topic' || parts.length !== 3) showError(null);
  } catch (e) {
    showError(e);
  } finally {
    state.busy = false;
    if (state.again) refresh();
  }
}

function connect() {
  const live = document.getElementById('live');
  const source = new EventSource('/api/events');
  source.addEventListener('summary', ev => {
    state.summary = JSON.parse(ev.data);
    state.settings = state.summary.settings;
    document.getElementById('node-id').textContent = state.settings.nodeId;
    document.getElementById('mode').textContent = state.settings.writes ? 'writes enabled' : 'read-only';
    live.className = 'live ok';
    live.textContent = 'live · ' + new Date(state.summary.at).toLocaleTimeString();
    refresh();
  });
  source.addEventListener('problem', ev => {
    const p = JSON.parse(ev.data);
    live.className = 'live bad';
    live.textContent = 'cluster unreachable: ' + p.error;
  });
  source.onerror = () => { live.className = 'live bad'; live.textContent = 'reconnecting…'; };
}

window.addEventListener('hashchange', () => { window.scrollTo(0, 0); refresh(); });
window.addEventListener('DOMContentLoaded', () => { connect(); refresh(); });
