// Starting and stopping the processes an integration run needs: the mock
// provider and the gateway in local workerd (wrangler dev, same wrangler.toml
// as production; or through the Miniflare API with fakes of the bindings
// wrangler dev cannot serve offline). Output goes to log files under
// target/integration/ so a failing run can be diagnosed.

import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';

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
  const stateDir = await freshState(name);
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

/** Empties the state directory of `name` and applies the D1 migrations to it. */
async function freshState(name) {
  // Per run (the runner's pid), so that two suites on one machine never share state.
  const stateDir = join(LOG_DIR, `state-${name}-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  await promisify(execFile)(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], {
    cwd: ROOT,
    env: { ...process.env, CI: '1' },
  });
  return stateDir;
}

/**
 * Starts the built gateway (build/index.js, not rebuilt) in local workerd
 * through the Miniflare API, in this process, with the bindings of
 * wrangler.toml — D1, KV, R2, Durable Objects, the log queue and its
 * consumer — except that SEMANTIC is the Vectorize fake and AI the Workers
 * AI fake (tests/integration/fakes/), as Miniflare wrapped bindings: wrangler
 * dev has neither offline. The index is 'alephant-semantic', cosine,
 * `dimensions` wide, with a string metadata index on `ctx`. Same fresh
 * state directory, migrations and `vars` as startGateway; workerd output and
 * Miniflare's own log go to target/integration/<name>.log.
 * Resolves to { url, stateDir, log, stop }.
 */
export async function startGatewayWithFakes({ name = 'gateway-fakes', vars = {}, dimensions = 256, port } = {}) {
  port ??= await freePort();
  const stateDir = await freshState(name);
  const log = logFile(name);
  const out = createWriteStream(log);
  // workerd may still flush output while stop() ends the file: drop it.
  out.on('error', () => {});
  // Loaded here, not at the top: test files import this module for d1() and
  // waitFor() and should not pay for loading wrangler.
  const [{ Log, LogLevel, Miniflare }, wrangler] = await Promise.all([import('miniflare'), import('wrangler')]);
  const { config, workerOptions } = quietWrangler(() => {
    const config = wrangler.unstable_readConfig({ config: join(ROOT, 'wrangler.toml') });
    // Without [[vectorize]] (and [ai], should it appear): SEMANTIC and AI
    // are the fakes below, and wrangler need not warn that neither has a
    // local mode.
    config.vectorize = [];
    config.ai = undefined;
    return { config, workerOptions: wrangler.unstable_getMiniflareWorkerOptions(config).workerOptions };
  });
  delete workerOptions.vectorize;
  delete workerOptions.ai;

  class FileLog extends Log {
    log(message) {
      out.write(`${stripVTControlCharacters(message)}\n`);
    }
  }
  const fakes = join(ROOT, 'tests', 'integration', 'fakes');
  const gateway = config.name;
  const options = {
    host: '127.0.0.1',
    port,
    // Where `wrangler … --persist-to stateDir` keeps its data, so the
    // migrations above and d1() see the same D1 database.
    defaultPersistRoot: join(stateDir, 'v3'),
    log: new FileLog(LogLevel.INFO),
    handleRuntimeStdio(stdout, stderr) {
      stdout.pipe(out, { end: false });
      stderr.pipe(out, { end: false });
    },
    workers: [
      // First, so it takes the requests: reads each body in full before the
      // gateway sees it, as Cloudflare's edge and wrangler dev's proxy do.
      // Served directly, workerd resets the connection when a worker answers
      // without reading the body (a 401 before parsing, say), and the client
      // sees "socket hang up" instead of the answer.
      {
        name: 'front',
        modules: true,
        compatibilityDate: workerOptions.compatibilityDate,
        script: `export default {
          async fetch(request, env) {
            const body = request.body === null ? null : await request.arrayBuffer();
            return env.GATEWAY.fetch(new Request(request, { body }));
          },
        };`,
        serviceBindings: { GATEWAY: gateway },
      },
      {
        ...workerOptions,
        // The name wrangler dev gives it: Durable Object storage is keyed by it.
        name: gateway,
        modules: true,
        scriptPath: join(ROOT, 'build', 'index.js'),
        modulesRoot: join(ROOT, 'build'),
        // As `wrangler dev --var`: plain-text bindings.
        bindings: { ...workerOptions.bindings, ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])) },
        wrappedBindings: {
          ...workerOptions.wrappedBindings,
          SEMANTIC: {
            scriptName: 'fake-vectorize',
            bindings: { indexName: 'alephant-semantic', metric: 'cosine', dimensions, metadataIndexes: { ctx: 'string' } },
          },
          AI: { scriptName: 'fake-workers-ai' },
        },
      },
      // Wrapped-binding modules: no compatibility date of their own, never first.
      { name: 'fake-vectorize', modules: true, scriptPath: join(fakes, 'vectorize.mjs') },
      { name: 'fake-workers-ai', modules: true, scriptPath: join(fakes, 'workers-ai.mjs') },
    ],
  };
  let mf;
  const stop = async () => {
    await mf?.dispose().catch(() => {});
    await new Promise((r) => out.end(r));
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    mf = new Miniflare(options);
    await mf.ready;
    await waitFor(async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 60_000, what: `gateway on ${url} (log: ${log})` });
  } catch (e) {
    await stop();
    throw new Error(`${e.message}; see ${log}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
  }
  return { url, stateDir, log, stop };
}

/** Runs a synchronous wrangler API call with its console chatter (.dev.vars notice, warnings) silenced. */
function quietWrangler(fn) {
  const saved = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = 'error';
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = saved;
  }
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

/** An object from the gateway's local R2 archive, as text; null when absent. */
export async function r2Get(stateDir, key) {
  try {
    const { stdout } = await promisify(execFile)(
      WRANGLER,
      ['r2', 'object', 'get', `alephant-gateway-archive/${key}`, '--local', '--persist-to', stateDir, '--pipe'],
      { cwd: ROOT, env: { ...process.env, CI: '1' }, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } catch (e) {
    if (/not exist|not found|404/i.test(`${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`)) return null;
    throw e;
  }
}
