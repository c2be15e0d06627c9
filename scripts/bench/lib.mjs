// Shared by the benchmark and the profiler: processes pinned to CPUs, the
// gateway seeded through its admin API, the peer gateway beside it, and wrk
// runs.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const pin = (cpu, cmd, args) => (cpus().length > 1 ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

const children = [];
export function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);

function start(cpu, cmd, args, readyPattern, env = process.env) {
  const [c, a] = pin(cpu, cmd, args);
  const child = spawn(c, a, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(readyPattern);
      if (m) ok(m);
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => fail(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)));
    setTimeout(() => fail(new Error(`${cmd} did not start: ${out.slice(-2000)}`)), 120_000);
  });
}

/** The peer gateway's start script (scripts/bench/peer, installed by bench.sh). */
const PEER = join(ROOT, 'scripts/bench/peer/node_modules/@portkey-ai/gateway/build/start-server.js');

/** Resolves once `url` answers at all (the peer prints nothing reliable when ready). */
async function answering(url, ms = 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    try {
      await fetch(url);
      return;
    } catch {}
  }
  throw new Error(`${url} did not answer`);
}

/**
 * Mock provider (CPU 1); gateway, passthrough worker (workerd via the
 * Miniflare API) and, with `peer`, the Portkey gateway (node) all on CPU 0;
 * the gateway seeded through its admin API with a fresh workspace whose
 * OpenAI key points at the mock and a virtual key with the shipped
 * defaults. `inspectorPort` enables the V8 inspector.
 */
export async function startStack({ inspectorPort, peer = false } = {}) {
  const state = mkdtempSync(join(tmpdir(), 'alephant-bench-'));
  const masterKey = `mk-${randomBytes(24).toString('hex')}`;
  const encKey = randomBytes(32).toString('base64');
  const [, mockUrl] = await start(1, join(ROOT, 'target/native/mock-provider'), ['--port', '0'], /listening on (http:\/\/\S+)/);
  execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: ROOT,
    env: { ...process.env, CI: '1' },
    stdio: 'ignore',
  });
  const gwPort = 20000 + Math.floor(Math.random() * 20000);
  const ptPort = gwPort + 1;
  const serve = join(import.meta.dirname, 'serve.mjs');
  const env = { ...process.env, ...(inspectorPort ? { BENCH_INSPECTOR_PORT: String(inspectorPort) } : {}) };
  await start(0, process.execPath, [serve, 'gateway', String(gwPort), state, '', masterKey, encKey], /ready/, env);
  await start(0, process.execPath, [serve, 'passthrough', String(ptPort), state, `${mockUrl}/v1`], /ready/);
  const gateway = `http://127.0.0.1:${gwPort}`;
  const peerPort = gwPort + 2;
  if (peer) {
    if (!existsSync(PEER)) throw new Error(`${PEER} is missing: run scripts/bench.sh, which installs it`);
    const [c, a] = pin(0, process.execPath, [PEER, `--port=${peerPort}`, '--headless']);
    const child = spawn(c, a, { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
    children.push(child);
    await answering(`http://127.0.0.1:${peerPort}/`);
  }

  const admin = async (path, body) => {
    const r = await fetch(`${gateway}/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const ws = await admin('/workspaces', { name: 'bench' });
  await admin(`/workspaces/${ws.id}/provider-keys`, { provider: 'openai', key: 'sk-bench', base_url: `${mockUrl}/v1` });
  const vk = await admin(`/workspaces/${ws.id}/virtual-keys`, { name: 'bench' });
  return {
    state,
    targets: {
      mock: { url: `${mockUrl}/v1/chat/completions`, auth: 'sk-bench' },
      floor: { url: `http://127.0.0.1:${ptPort}/v1/chat/completions`, auth: 'sk-bench' },
      ...(peer
        ? {
            peer: {
              url: `http://127.0.0.1:${peerPort}/v1/chat/completions`,
              auth: 'sk-bench',
              headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mockUrl}/v1` },
            },
          }
        : {}),
      gateway: { url: `${gateway}/v1/chat/completions`, auth: vk.key },
      // Every request after the first is an exact cache hit (KV read, no upstream).
      'cache hit': { url: `${gateway}/v1/chat/completions`, auth: vk.key, headers: { 'alephant-cache-enabled': 'true' } },
    },
  };
}

const messages = [
  { role: 'system', content: 'You are a helpful assistant. '.repeat(12) },
  { role: 'user', content: 'Summarise the benefits of an AI gateway for platform teams. '.repeat(10) },
];
/** The ~1 KB chat request, as JSON and as a stream. */
export const BODIES = {
  json: JSON.stringify({ model: 'gpt-4o-mini', messages, temperature: 0.2 }),
  stream: JSON.stringify({ model: 'gpt-4o-mini', messages, temperature: 0.2, stream: true }),
};

/** One wrk run on CPU 1; returns { p50, p99 } in ms and req/s. */
export function wrk(stateDir, target, body, connections, seconds) {
  const script = join(stateDir, 'req.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n` +
      `wrk.headers["Authorization"] = "Bearer ${target.auth}"\n` +
      Object.entries(target.headers ?? {}).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}\n`).join('') +
      `done = function(summary, latency, requests)\n  io.write(string.format("STATUS non2xx=%d\\n", summary.errors.status))\nend\n`,
  );
  const [cmd, args] = pin(1, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, target.url]);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  const ms = (v, unit) => Number(v) * { us: 0.001, ms: 1, s: 1000 }[unit];
  const pct = (p) => {
    const m = out.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? ms(m[1], m[2]) : NaN;
  };
  const non2xx = Number(out.match(/STATUS non2xx=(\d+)/)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`${target.url}: ${non2xx} non-2xx answers during the run`);
  return { p50: pct(50), p99: pct(99), rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]) };
}
