// CPU profile of the gateway under load: where its time goes, by function.
// Build with names kept first (ALEPHANT_KEEP_NAMES=1 scripts/build.sh), or
// wasm functions show as numbers.
//
// Usage: node scripts/bench/profile.mjs [json|stream] [connections] [seconds]

import WebSocket from 'ws';
import { BODIES, startStack, stopAll, wrk } from './lib.mjs';

const [kind = 'json', conns = '1', secs = '5'] = process.argv.slice(2);
const inspectorPort = 9229 + Math.floor(Math.random() * 500);
const { state, targets } = await startStack({ inspectorPort });
wrk(state, targets.gateway, BODIES[kind], 4, 1); // warm-up

const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
const target = list.find((t) => t.title?.includes('gateway')) ?? list[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
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
const result = wrk(state, targets.gateway, BODIES[kind], Number(conns), Number(secs));
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
stopAll();
