// The running gateway and mock for a test file, as started by run.mjs, and
// helpers to provision a workspace through the admin API.

import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import { Mock } from './mock.mjs';
import { waitFor } from './processes.mjs';

export const GATEWAY = process.env.GATEWAY_URL;
/** The same build with faithful fakes of the Vectorize and Workers AI bindings (lib/processes.mjs). */
export const FAKES_GATEWAY = process.env.FAKES_GATEWAY_URL;
export const MASTER_KEY = process.env.GATEWAY_MASTER_KEY;
export const STATE_DIR = process.env.GATEWAY_STATE_DIR;
export const mock = new Mock(process.env.MOCK_URL);

if (!GATEWAY || !MASTER_KEY || !process.env.MOCK_URL) {
  throw new Error('run integration tests through tests/integration/run.mjs (scripts/test.sh)');
}

/** Calls the admin API; throws with the body on unexpected status. */
export async function admin(method, path, body, { expect = [200, 201], key = MASTER_KEY, raw = false, gateway = GATEWAY } = {}) {
  const r = await fetch(`${gateway}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  if (raw) return { status: r.status, body: json, headers: r.headers };
  if (!expect.includes(r.status)) throw new Error(`${method} /admin${path} → ${r.status}: ${JSON.stringify(json)}`);
  return json;
}

/** A unique tag per test, so mock request logs never mix. */
export function tag(prefix = 't') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * A fresh workspace with provider keys pointing at the mock and one virtual
 * key. `providers` maps provider id → { tag, directives, key, baseUrl }.
 */
export async function workspace({ providers = { openai: {} }, keyOptions = {}, name = 'test', gateway = GATEWAY } = {}) {
  const on = { gateway };
  const ws = await admin('POST', '/workspaces', { name }, on);
  const tags = {};
  for (const [provider, opts] of Object.entries(providers)) {
    const t = opts.tag ?? tag(provider);
    tags[provider] = t;
    await admin('POST', `/workspaces/${ws.id}/provider-keys`, {
      provider,
      key: opts.key ?? `sk-${provider}-secret-${t}`,
      base_url: opts.baseUrl ?? mock.baseUrl(t, opts.directives, opts.suffix),
      ...(opts.config ? { config: opts.config } : {}),
    }, on);
  }
  const vk = await admin('POST', `/workspaces/${ws.id}/virtual-keys`, { name: 'test key', ...keyOptions }, on);
  const client = new OpenAI({ apiKey: vk.key, baseURL: `${gateway}/v1`, maxRetries: 0 });
  return { workspace: ws, key: vk, tags, client, gateway };
}

/** The request log row for a request id, once the queue consumer wrote it. */
export async function logRow(workspaceId, id, { timeoutMs = 30_000, gateway = GATEWAY } = {}) {
  return waitFor(async () => {
    const r = await admin('GET', `/workspaces/${workspaceId}/logs/${id}`, undefined, { raw: true, gateway });
    return r.status === 200 ? r.body : null;
  }, { timeoutMs, what: `log row ${id}` });
}

/**
 * A workspace whose custom provider `acme` has one model, `acme-out`, costing
 * $10 per million output tokens and nothing for input; `ctx.tag` tags its mock.
 */
export async function pricedWorkspace(directives = {}, keyOptions = {}) {
  const ctx = await workspace({ providers: {}, keyOptions });
  const t = tag('acme');
  await admin('POST', `/workspaces/${ctx.workspace.id}/providers`, {
    id: 'acme', adapter: 'openai', base_url: mock.baseUrl(t, directives), auth: 'bearer',
    models: [{ id: 'acme-out', input: 0, output: 10 }],
  });
  await admin('POST', `/workspaces/${ctx.workspace.id}/provider-keys`, { provider: 'acme', key: 'k' });
  return { ...ctx, tag: t };
}
