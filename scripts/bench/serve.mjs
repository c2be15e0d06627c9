// Serves one worker in workerd through the Miniflare API (no wrangler dev
// proxy in the path), for benchmarks:
//   gateway      the built gateway with the bindings of wrangler.toml
//   passthrough  a minimal worker that forwards the body to the upstream:
//                the runtime's floor, to subtract from the gateway's figure
// Usage: node serve.mjs <gateway|passthrough> <port> <state-dir> <upstream-url> [MASTER_KEY ENCRYPTION_KEY]
// Prints "ready" when listening.

import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const [mode, port, stateDir, upstream, masterKey, encryptionKey] = process.argv.slice(2);

const PASSTHROUGH = `
export default {
  async fetch(request) {
    const url = new URL(request.url);
    return fetch(UPSTREAM + url.pathname.replace(/^\\/v1/, ''), {
      method: request.method,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: request.body,
    });
  },
};`;

let options;
if (mode === 'gateway') {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml'));
  // Static Assets (the console) are left out: on Cloudflare the asset
  // routing of `run_worker_first` happens in Cloudflare's router before the
  // worker runs, unbilled; Miniflare emulates it with two more JS workers in
  // the same workerd process, which would charge the gateway for a hop it
  // does not have in production (measured in docs/performance.md).
  // BENCH_WITH_ASSETS=1 keeps them, to measure that emulation.
  if (process.env.BENCH_WITH_ASSETS !== '1') delete workerOptions.assets;
  options = {
    ...workerOptions,
    name: 'gateway',
    modules: true,
    scriptPath: join(ROOT, 'build', 'index.js'),
    modulesRoot: join(ROOT, 'build'),
    // BENCH_BINDINGS (JSON) overrides bindings, for ablation experiments only.
    bindings: { ...workerOptions.bindings, MASTER_KEY: masterKey, PROVIDER_KEY_ENCRYPTION_KEY: encryptionKey, ...JSON.parse(process.env.BENCH_BINDINGS ?? '{}') },
    defaultPersistRoot: join(stateDir, 'v3'),
  };
} else {
  options = {
    name: 'passthrough',
    modules: true,
    script: PASSTHROUGH.replace('UPSTREAM', JSON.stringify(upstream)),
    compatibilityDate: '2026-04-01',
  };
}
const inspectorPort = process.env.BENCH_INSPECTOR_PORT ? Number(process.env.BENCH_INSPECTOR_PORT) : undefined;
const mf = new Miniflare({ ...options, host: '127.0.0.1', port: Number(port), ...(inspectorPort ? { inspectorPort } : {}) });
await mf.ready;
console.log('ready');
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
