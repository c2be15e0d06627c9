// Starting and stopping the processes an integration run needs: the mock
// provider and the gateway in local workerd (wrangler dev, same wrangler.toml
// as production). Output goes to log files under target/integration/ so a
// failing run can be diagnosed.

import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const LOG_DIR = join(ROOT, 'target', 'integration');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function logFile(name) {
  mkdirSync(LOG_DIR, { recursive: true });
  return join(LOG_DIR, `${name}.log`);
}

/** Starts the mock provider on a free port; resolves to { url, stop }. */
export async function startMock(name = 'mock') {
  const bin = join(ROOT, 'target', 'native', 'mock-provider');
  const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`mock provider exited with ${code}: ${out}`)));
    setTimeout(() => fail(new Error('mock provider did not start')), 10_000);
  });
  return { url, stop: () => stopChild(child), name };
}

/**
 * Starts the gateway with `wrangler dev` on a fresh local state directory:
 * migrations applied, secrets given as vars. Resolves to { url, stateDir, stop }.
 */
export async function startGateway({ name = 'gateway', vars = {}, port } = {}) {
  port ??= await freePort();
  const stateDir = join(LOG_DIR, `state-${name}`);
  rmSync(stateDir, { recursive: true, force: true });
  await promisify(execFile)(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], {
    cwd: ROOT,
    env: { ...process.env, CI: '1' },
  });
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', stateDir,
    '--show-interactive-dev-session=false', '--log-level', 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const log = logFile(name);
  const fd = openSync(log, 'w');
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: { ...process.env, ALEPHANT_SKIP_SETUP: '1', CI: '1' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = null;
  child.once('exit', (code) => { exited = code; });
  await waitFor(async () => {
    if (exited !== null) throw new Error(`wrangler exited with ${exited}; see ${log}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    const r = await fetch(`${url}/health`);
    return r.ok;
  }, { timeoutMs: 180_000, what: `gateway on ${url} (log: ${log})` });
  return { url, stateDir, log, stop: () => stopChild(child, true) };
}

async function stopChild(child, group = false) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    if (group) process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try { group ? process.kill(-child.pid, 'SIGKILL') : child.kill('SIGKILL'); } catch { /* gone */ }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** Runs SQL against the gateway's local D1 (for checks the API does not expose, e.g. encryption at rest). */
export async function d1(stateDir, sql) {
  const { stdout } = await promisify(execFile)(
    WRANGLER,
    ['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', sql],
    { cwd: ROOT, env: { ...process.env, CI: '1' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout)[0].results;
}
