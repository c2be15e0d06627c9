// CPU profile of the gateway under load: where its time goes, by function.
// Build with names kept first (ALEPHANT_KEEP_NAMES=1 scripts/build.sh), or
// wasm functions show as numbers.
//
// Usage: node scripts/bench/profile.mjs [json|stream|cache] [connections] [seconds]
// (cache: the JSON request with the exact cache on — every run after the first a hit)

import WebSocket from 'ws';
import { BODIES, startStack, stopAll, wrk } from './lib.mjs';

const [kind = 'json', conns = '1', secs = '5'] = process.argv.slice(2);
const inspectorPort = 9229 + Math.floor(Math.random() * 500);
const { state, targets } = await startStack({ inspectorPort });
const target = kind === 'cache' ? targets['cache hit'] : targets.gateway;
const body = BODIES[kind === 'cache' ? 'json' : kind];
wrk(state, target, body, 4, 1); // warm-up

const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
const inspected = list.find((t) => t.title?.includes('gateway')) ?? list[0];
const ws = new WebSocket(inspected.webSocketDebuggerUrl);
await new Promise((r) => ws.once('open', r));
let seq = 0;
const pending = new Map();
ws.on('message', (m) => {
  const msg = JSON.parse(m);
  if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg.result);
});
const cdp = (method, params = {}) =>
  new Promise((ok) => {
    const id = ++seq;
    pending.set(id, ok);
    ws.send(JSON.stringify({ id, method, params }));
  });

await cdp('Profiler.enable');
await cdp('Profiler.setSamplingInterval', { interval: 100 });
await cdp('Profiler.start');
const result = wrk(state, target, body, Number(conns), Number(secs));
const { profile } = await cdp('Profiler.stop');
ws.close();

const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url ? n.callFrame.url.split('/').pop() : ''}`.trim();
  self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0));
  total += dt[i] ?? 0;
});
console.log(`gateway ${kind} c=${conns}: p50 ${result.p50} ms, ${result.rps} req/s; top self time:`);
[...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 40)
  .forEach(([name, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${name.slice(0, 140)}`));

// Where the time goes by stage: each sample goes to the innermost frame on
// its stack that names one of these (async stages show where they are
// polled), the rest to the runtime.
const STAGES = [
  ['queue consumer (log rows to D1)', /observe::consumer/],
  ['settle: log record, queue send', /pipeline::settle/],
  ['health sync', /health_client/],
  ['respond (answer, headers, usage)', /pipeline::respond/],
  ['upstream fetch (dispatch)', /pipeline::dispatch|runtime::http::send|pipeline::attempts/],
  ['cache lookup', /pipeline::cache/],
  ['govern (limits, budgets)', /pipeline::govern|governance::admission/],
  ['resolve (route, policy)', /pipeline::resolve|pipeline::plan|unified::route/],
  ['request body (read, parse, checks)', /client_request.*read_body|pipeline::body|unified::read_request/],
  ['authenticate, workspace config', /pipeline::authenticate|store::config/],
  ['intake (headers, request id)', /pipeline::start|ClientRequest.*new/],
  ['the rest of the fetch handler', /entry::_worker_fetch|pipeline::unified|entry::fetch/],
];
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const stage = new Map();
const stageOf = (id) => {
  if (stage.has(id)) return stage.get(id);
  const n = byId.get(id);
  const name = n.callFrame.functionName;
  let found = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : STAGES.find(([, re]) => re.test(name))?.[0];
  if (!found) {
    const up = parent.get(id);
    found = up === undefined ? 'runtime and JS glue outside a stage' : stageOf(up);
  }
  stage.set(id, found);
  return found;
};
const byStage = new Map();
profile.samples.forEach((id, i) => byStage.set(stageOf(id), (byStage.get(stageOf(id)) ?? 0) + (dt[i] ?? 0)));
const inclusive = new Map();
profile.samples.forEach((id, i) => {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at).callFrame.functionName;
    if (f.startsWith('alephant_gateway') && !seen.has(f)) {
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + (dt[i] ?? 0));
    }
  }
});
if (process.env.PROFILE_INCLUSIVE) {
  console.log('\ntop inclusive gateway frames:');
  [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40).forEach(([name, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${name.slice(0, 160)}`));
}
// PROFILE_CALLERS=name: the call paths (4 frames up) that spend that
// function's self time — to tell runtime work apart by what asked for it.
if (process.env.PROFILE_CALLERS) {
  const paths = new Map();
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    if ((n.callFrame.functionName || '(anonymous)') !== process.env.PROFILE_CALLERS) return;
    const chain = [];
    for (let at = parent.get(id); at !== undefined && chain.length < 4; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      chain.push(`${(f.functionName || '(anonymous)').slice(0, 60)}@${f.url.split('/').pop()}:${f.lineNumber}`);
    }
    const key = `${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber} <- ${chain.join(' <- ')}`;
    paths.set(key, (paths.get(key) ?? 0) + (dt[i] ?? 0));
  });
  console.log(`\ncallers of ${process.env.PROFILE_CALLERS}:`);
  [...paths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).forEach(([k, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${k.slice(0, 400)}`));
}
console.log('\nby stage (inclusive):');
[...byStage.entries()]
  .sort((a, b) => b[1] - a[1])
  .forEach(([name, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${name}`));
stopAll();
