// The benchmark: the same ~1 KB chat request against
//   floor    a minimal forwarding worker in workerd (the runtime's own cost)
//   peer     the Portkey gateway (node), forwarding to the same mock
//   gateway  the built gateway in workerd with every binding of wrangler.toml,
//            a workspace and key made through the admin API, shipped defaults
// in five scenarios (JSON and stream at c=1 and c=32, and an exact-cache hit
// at c=32, measured against the floor's JSON c=32), targets interleaved
// over several rounds; prints medians and the ratios the targets are
// stated in. workerd and the peer are pinned to CPU 0, wrk and the mock to
// CPU 1.
//
// Env: BENCH_SECONDS (per run, default 4), BENCH_ROUNDS (default 3),
//      BENCH_PEER=0 leaves the peer out (quicker before/after checks).

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BODIES, ROOT, startStack, stopAll, wrk } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PEER = process.env.BENCH_PEER !== '0';

console.log(`==> starting mock provider, floor worker, gateway (Miniflare API, no wrangler dev)${PEER ? ' and peer (Portkey)' : ''}`);
const { state, targets } = await startStack({ peer: PEER });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// [scenario, body, connections, the targets it runs on]
const compared = ['floor', ...(PEER ? ['peer'] : []), 'gateway'];
const scenarios = [
  ['JSON c=1', 'json', 1, compared],
  ['JSON c=32', 'json', 32, compared],
  ['stream c=1', 'stream', 1, compared],
  ['stream c=32', 'stream', 32, compared],
  ['cache hit', 'json', 32, ['cache hit']],
];
const runs = {};
const count = scenarios.reduce((n, s) => n + s[3].length, 0);
console.log(`==> ${ROUNDS} rounds × ${count} runs of ${SECONDS}s`);
for (const t of Object.values(targets)) wrk(state, t, BODIES.json, 4, 1); // warm-up (JIT, isolate, caches)
for (const t of Object.values(targets)) wrk(state, t, BODIES.stream, 4, 1);
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, body, c, on] of scenarios) {
    for (const t of on) (runs[`${name}|${t}`] ??= []).push(wrk(state, targets[t], BODIES[body], c, SECONDS));
  }
  console.log(`    round ${round} done`);
}
const m = {};
for (const [key, rs] of Object.entries(runs)) {
  m[key] = { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), rps: median(rs.map((r) => r.rps)) };
}

const row = (cells) => cells.map((c, i) => String(c).padEnd(i < 2 ? 13 : 0).padStart(i < 2 ? 0 : 10)).join('');
console.log('\n' + row(['scenario', 'target', 'p50 ms', 'p99 ms', 'req/s']));
for (const [name, , , on] of scenarios) {
  for (const t of on) {
    const s = m[`${name}|${t}`];
    console.log(row([name, t, s.p50.toFixed(3), s.p99.toFixed(3), s.rps.toFixed(0)]));
  }
}

// The ratios, against the targets.
const g = (name) => m[`${name}|gateway`];
const f = (name) => m[`${name}|floor`];
const p = (name) => m[`${name}|peer`];
console.log('\nratios (gateway vs floor, gateway vs peer):');
for (const [name, , , on] of scenarios.slice(0, 4)) {
  const vsPeer = on.includes('peer') ? `, ${(g(name).rps / p(name).rps).toFixed(2)}× peer req/s, p50 ${(g(name).p50 / p(name).p50).toFixed(2)}× peer's` : '';
  console.log(
    `  ${name.padEnd(12)} +${(g(name).p50 - f(name).p50).toFixed(3)} ms p50 over the floor, ` +
      `${((g(name).rps / f(name).rps) * 100).toFixed(0)}% of its req/s${vsPeer}`,
  );
}
const hit = m['cache hit|cache hit'];
console.log(`  ${'cache hit'.padEnd(12)} ${(hit.rps / f('JSON c=32').rps).toFixed(2)}× the floor's JSON c=32 req/s (p50 ${hit.p50.toFixed(3)} ms)`);

const check = (ok, what) => console.log(`  ${ok ? 'met ' : 'MISS'}  ${what}`);
console.log('\ntargets:');
check(g('JSON c=1').p50 <= f('JSON c=1').p50 + 0.4, 'JSON c=1 p50 ≤ floor + 0.4 ms');
check(g('JSON c=32').rps >= 0.6 * f('JSON c=32').rps, 'JSON c=32 req/s ≥ 60% of the floor');
if (PEER) check(g('JSON c=32').rps >= 1.5 * p('JSON c=32').rps, 'JSON c=32 req/s ≥ 1.5× the peer');
check(g('stream c=32').rps >= 0.5 * f('stream c=32').rps, 'stream c=32 req/s ≥ 50% of the floor');
check(hit.rps >= 0.9 * f('JSON c=32').rps, "cache hit req/s ≥ 0.9× the floor's");

const wasm = readFileSync(join(ROOT, 'build/index_bg.wasm'));
const js = readFileSync(join(ROOT, 'build/index.js'));
console.log(
  `\nbundle: index_bg.wasm ${wasm.length} B (${gzipSync(wasm, { level: 9 }).length} B gzip), ` +
    `index.js ${js.length} B (${gzipSync(js, { level: 9 }).length} B gzip)`,
);
stopAll();
rmSync(state, { recursive: true, force: true });
