// The benchmark: the same ~1 KB chat request against
//   mock         the mock provider directly (the upstream's own cost)
//   passthrough  a minimal forwarding worker in workerd (the runtime floor)
//   gateway      the built gateway in workerd with its real bindings
//   cache hit    the gateway with the exact cache on (answers from KV)
// interleaved over several rounds; prints medians and what the gateway adds
// on top of the floor. workerd is pinned to CPU 0, wrk and the mock to CPU 1.
//
// Env: BENCH_SECONDS (per run, default 4), BENCH_ROUNDS (default 3).

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BODIES, ROOT, startStack, stopAll, wrk } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

console.log('==> starting mock provider, passthrough worker and gateway (Miniflare API, no wrangler dev)');
const { state, targets } = await startStack();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const scenarios = [
  ['json', 1],
  ['json', 32],
  ['stream', 1],
];
const results = {};
console.log(`==> ${ROUNDS} rounds × ${Object.keys(targets).length} targets × ${scenarios.length} scenarios, ${SECONDS}s each`);
for (const t of Object.values(targets)) wrk(state, t, BODIES.json, 4, 1); // warm-up (JIT, isolate, caches)
for (let round = 1; round <= ROUNDS; round++) {
  for (const [kind, c] of scenarios) {
    for (const [name, t] of Object.entries(targets)) {
      const key = `${kind} c=${c}|${name}`;
      (results[key] ??= []).push(wrk(state, t, BODIES[kind], c, SECONDS));
    }
  }
  console.log(`    round ${round} done`);
}

const row = (cells) => cells.map((c, i) => String(c).padStart(i === 0 ? 14 : 12)).join('');
console.log('\n' + row(['scenario', 'target', 'p50 ms', 'p99 ms', 'req/s']));
const summary = {};
for (const [kind, c] of scenarios) {
  for (const name of Object.keys(targets)) {
    const runs = results[`${kind} c=${c}|${name}`];
    const s = { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), rps: median(runs.map((r) => r.rps)) };
    summary[`${kind} c=${c}|${name}`] = s;
    console.log(row([`${kind} c=${c}`, name, s.p50.toFixed(3), s.p99.toFixed(3), s.rps.toFixed(0)]));
  }
  const g = summary[`${kind} c=${c}|gateway`];
  const p = summary[`${kind} c=${c}|passthrough`];
  console.log(
    `${''.padStart(14)}  gateway adds ${(g.p50 - p.p50).toFixed(3)} ms p50 over the passthrough floor` +
      ` (throughput ${((g.rps / p.rps) * 100).toFixed(0)}% of it)`,
  );
  const h = summary[`${kind} c=${c}|cache hit`];
  if (h) console.log(`${''.padStart(14)}  a cache hit takes ${h.p50.toFixed(3)} ms p50 (${(h.rps / g.rps).toFixed(2)}× the gateway's miss throughput)`);
}

const wasm = readFileSync(join(ROOT, 'build/index_bg.wasm'));
const js = readFileSync(join(ROOT, 'build/index.js'));
console.log(
  `\nbundle: index_bg.wasm ${wasm.length} B (${gzipSync(wasm, { level: 9 }).length} B gzip), ` +
    `index.js ${js.length} B (${gzipSync(js, { level: 9 }).length} B gzip)`,
);
stopAll();
rmSync(state, { recursive: true, force: true });
