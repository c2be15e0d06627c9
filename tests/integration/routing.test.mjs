// Routers and resilience: fallback, retries honouring retry-after,
// per-attempt timeouts, health (out of rotation, back after cool-down),
// weighted load balancing, conditional rules, forced routing, router
// versions — and zero-config mode, with nothing but secrets.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { GATEWAY, admin, logRow, mock, tag, workspace } from './lib/env.mjs';
import { startGateway } from './lib/processes.mjs';

const ask = (client, model, extra = {}, options = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'route me' }], ...extra }, options).withResponse();

/** A workspace whose openai and anthropic keys point at mock tags with the given directives. */
async function twoProviders(primary = {}, secondary = {}, keyOptions = {}) {
  const tags = { primary: tag('primary'), secondary: tag('secondary') };
  const ctx = await workspace({
    providers: {
      openai: { tag: tags.primary, directives: primary },
      anthropic: { tag: tags.secondary, suffix: '', directives: secondary },
    },
    keyOptions,
  });
  return { ...ctx, tags };
}

async function router(ctx, name, config) {
  return admin('POST', `/workspaces/${ctx.workspace.id}/routers`, { name, config });
}

const FALLBACK = (extra = {}) => ({
  strategy: 'fallback',
  targets: [
    { provider: 'openai', model: 'gpt-4o-mini' },
    { provider: 'anthropic', model: 'claude-haiku-4-5' },
  ],
  retry: { attempts: 0 },
  ...extra,
});

describe('fallback and retries', () => {
  test('a primary 500 is answered by the fallback, in one request', async () => {
    const ctx = await twoProviders({ status: 500 });
    await router(ctx, 'main', FALLBACK());
    const id = randomUUID();
    const { data, response } = await ask(ctx.client, 'router/main', {}, { headers: { 'x-request-id': id } });
    assert.equal(data.choices[0].message.content, 'Mock answer to: route me');
    assert.equal(response.headers.get('alephant-provider'), 'anthropic');
    assert.equal(response.headers.get('alephant-model'), 'anthropic/claude-haiku-4-5');
    assert.equal(response.headers.get('alephant-attempts'), '2');
    const row = await logRow(ctx.workspace.id, id);
    assert.deepEqual(row.attempts.map((a) => [a.provider, a.status]), [['openai', 500], ['anthropic', 200]]);
    assert.match(row.router_id, /^rt_/);
    assert.equal(row.status, 200);
  });

  test('a 429 with retry-after: 1 is retried on the same target and served', async () => {
    const ctx = await twoProviders();
    await mock.script(ctx.tags.primary, [{ status: 429, retry_after: 1 }]);
    await router(ctx, 'retrying', { provider: 'openai', model: 'gpt-4o-mini', retry: { attempts: 2 } });
    const id = randomUUID();
    const { response } = await ask(ctx.client, 'router/retrying', {}, { headers: { 'x-request-id': id } });
    assert.equal(response.headers.get('alephant-provider'), 'openai');
    assert.equal((await mock.stats(ctx.tags.primary)).count, 2);
    const row = await logRow(ctx.workspace.id, id);
    assert.deepEqual(row.attempts.map((a) => a.status), [429, 200]);
  });

  test('a hanging primary times out per attempt and the fallback answers within the deadline', async () => {
    const ctx = await twoProviders({ hang: true });
    await router(ctx, 'deadline', FALLBACK({ timeout_ms: 800, deadline_ms: 15000 }));
    const id = randomUUID();
    const { response } = await ask(ctx.client, 'router/deadline', {}, { headers: { 'x-request-id': id } });
    assert.equal(response.headers.get('alephant-provider'), 'anthropic');
    const row = await logRow(ctx.workspace.id, id);
    assert.deepEqual(row.attempts.map((a) => [a.status, a.error ?? null]), [[0, 'upstream_timeout'], [200, null]]);
  });

  test('a streamed answer falls back when the primary fails before its first byte', async () => {
    const ctx = await twoProviders({ status: 503 });
    await router(ctx, 'streaming', FALLBACK());
    const stream = await ctx.client.chat.completions.create({
      model: 'router/streaming', stream: true, messages: [{ role: 'user', content: 'stream me' }],
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Mock answer to: stream me');
  });

  test('provider errors that are the request’s fault are not retried elsewhere', async () => {
    const ctx = await twoProviders({ status: 400 });
    await router(ctx, 'strict', FALLBACK());
    const e = await ask(ctx.client, 'router/strict').catch((err) => err);
    assert.equal(e.status, 400);
    assert.equal((await mock.stats(ctx.tags.secondary)).count, 0);
  });
});

describe('health', () => {
  test('a failing target leaves rotation, then comes back after its cool-down', async () => {
    const ctx = await twoProviders();
    await mock.script(ctx.tags.primary, [{ status: 500 }, { status: 500 }]);
    await router(ctx, 'healthy', FALLBACK({ health: { failure_threshold: 2, cooldown_ms: 2500 } }));
    for (let i = 0; i < 2; i++) {
      const { response } = await ask(ctx.client, 'router/healthy');
      assert.equal(response.headers.get('alephant-provider'), 'anthropic');
    }
    assert.equal((await mock.stats(ctx.tags.primary)).count, 2);
    // Out of rotation: skipped without being called.
    const skipped = await ask(ctx.client, 'router/healthy');
    assert.equal(skipped.response.headers.get('alephant-provider'), 'anthropic');
    assert.equal(skipped.response.headers.get('alephant-attempts'), '1');
    assert.equal((await mock.stats(ctx.tags.primary)).count, 2);
    // After the cool-down one request tries it again; it has recovered.
    await new Promise((r) => setTimeout(r, 3000));
    const back = await ask(ctx.client, 'router/healthy');
    assert.equal(back.response.headers.get('alephant-provider'), 'openai');
    assert.equal((await mock.stats(ctx.tags.primary)).count, 3);
  });
});

describe('load balancing and conditions', () => {
  test('200 requests land on weighted targets within tolerance (3:1 → 150 ± 30)', async () => {
    const ctx = await twoProviders();
    await router(ctx, 'weighted', {
      strategy: 'loadbalance',
      targets: [
        { weight: 3, provider: 'openai', model: 'gpt-4o-mini' },
        { weight: 1, provider: 'anthropic', model: 'claude-haiku-4-5' },
      ],
    });
    const served = { openai: 0, anthropic: 0 };
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => ask(ctx.client, 'router/weighted')));
      for (const { response } of answers) served[response.headers.get('alephant-provider')] += 1;
    }
    assert.equal(served.openai + served.anthropic, 200);
    assert.ok(served.openai >= 120 && served.openai <= 180, JSON.stringify(served));
  });

  test('a conditional router follows a property header', async () => {
    const ctx = await twoProviders();
    await router(ctx, 'by-team', {
      strategy: 'conditional',
      rules: [{ when: [{ field: 'property.team', op: 'eq', value: 'search' }], then: { provider: 'anthropic', model: 'claude-haiku-4-5' } }],
      else: { provider: 'openai', model: 'gpt-4o-mini' },
    });
    const search = await ask(ctx.client, 'router/by-team', {}, { headers: { 'alephant-property-team': 'search' } });
    assert.equal(search.response.headers.get('alephant-provider'), 'anthropic');
    const ads = await ask(ctx.client, 'router/by-team', {}, { headers: { 'alephant-property-team': 'ads' } });
    assert.equal(ads.response.headers.get('alephant-provider'), 'openai');
    const none = await ask(ctx.client, 'router/by-team');
    assert.equal(none.response.headers.get('alephant-provider'), 'openai');
  });

  test('a router is also reachable at /router/{name}/v1, with target parameters applied', async () => {
    const ctx = await twoProviders();
    await router(ctx, 'tuned', { provider: 'openai', model: 'gpt-4o', params: { temperature: 0.1, max_tokens: 77 } });
    const client = new OpenAI({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/router/tuned/v1`, maxRetries: 0 });
    const { response } = await ask(client, 'anything');
    assert.equal(response.headers.get('alephant-model'), 'openai/gpt-4o');
    const seen = (await mock.requests(ctx.tags.primary)).at(-1);
    assert.deepEqual([seen.body.model, seen.body.temperature, seen.body.max_tokens], ['gpt-4o', 0.1, 77]);
  });
});

describe('forced routing', () => {
  test('a key allowed to force routing picks the target; others are refused', async () => {
    const ctx = await twoProviders({}, {}, { policy: { allow_forced_routing: true } });
    await router(ctx, 'forced', FALLBACK());
    const { response } = await ask(ctx.client, 'router/forced', {}, { headers: { 'alephant-forced-routing': 'anthropic' } });
    assert.equal(response.headers.get('alephant-provider'), 'anthropic');
    const plain = await workspace();
    const e = await ask(plain.client, 'gpt-4o', {}, { headers: { 'alephant-forced-routing': 'openai' } }).catch((err) => err);
    assert.equal(e.status, 403);
    assert.equal(e.code, 'forced_routing_not_allowed');
  });
});

describe('router administration', () => {
  test('updates make new versions and take effect at once', async () => {
    const ctx = await twoProviders();
    const created = await router(ctx, 'versioned', { provider: 'openai', model: 'gpt-4o-mini' });
    assert.equal(created.current_version, 1);
    const first = await ask(ctx.client, 'router/versioned');
    assert.equal(first.response.headers.get('alephant-provider'), 'openai');
    const updated = await admin('PUT', `/workspaces/${ctx.workspace.id}/routers/versioned`, {
      config: { provider: 'anthropic', model: 'claude-haiku-4-5' },
    });
    assert.equal(updated.current_version, 2);
    const second = await ask(ctx.client, 'router/versioned');
    assert.equal(second.response.headers.get('alephant-provider'), 'anthropic');
    const full = await admin('GET', `/workspaces/${ctx.workspace.id}/routers/${created.id}`);
    assert.deepEqual(full.versions.map((v) => v.version), [2, 1]);
    const events = await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events`);
    assert.ok(events.data.some((e) => e.action === 'router.updated'));
  });

  test('invalid configs are refused with the path of the mistake', async () => {
    const ctx = await twoProviders();
    const bad = await admin('POST', `/workspaces/${ctx.workspace.id}/routers`, {
      name: 'bad', config: { strategy: 'fallback', targets: [{ provider: 'openai', model: 'a' }, { provider: 'openai' }] },
    }, { raw: true });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /config\.targets\[1\]\.model/);
    const unknown = await admin('POST', `/workspaces/${ctx.workspace.id}/routers`, {
      name: 'bad2', config: { provider: 'openai', model: 'a', provider_key: 'pk_nope' },
    }, { raw: true });
    assert.equal(unknown.status, 400);
    const missing = await ask(ctx.client, 'router/nope').catch((err) => err);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'router_not_found');
  });
});

describe('zero-config mode', () => {
  let gateway;
  let masterKey;
  const tags = { openai: tag('zero-openai'), anthropic: tag('zero-anthropic') };
  before(async () => {
    masterKey = `mk-${randomBytes(8).toString('hex')}`;
    gateway = await startGateway({
      name: 'zero-config',
      vars: {
        MASTER_KEY: masterKey,
        OPENAI_API_KEY: 'sk-zero-openai',
        OPENAI_BASE_URL: mock.baseUrl(tags.openai, { status: 503 }),
        ANTHROPIC_API_KEY: 'sk-zero-anthropic',
        ANTHROPIC_BASE_URL: mock.baseUrl(tags.anthropic, {}, ''),
        GATEWAY_PROVIDERS: 'openai:gpt-4o-mini,anthropic:claude-haiku-4-5',
      },
    });
  });
  after(async () => gateway?.stop());

  test('only secrets: the master key routes "auto" with failover, and names models directly', async () => {
    const client = new OpenAI({ apiKey: masterKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const { data, response } = await ask(client, 'auto');
    assert.equal(data.choices[0].message.content, 'Mock answer to: route me');
    assert.equal(response.headers.get('alephant-provider'), 'anthropic', 'openai answers 503, so the route fails over');
    const seen = (await mock.requests(tags.anthropic)).at(-1);
    assert.equal(seen.headers['x-api-key'], 'sk-zero-anthropic');
    const direct = await ask(client, 'anthropic/claude-haiku-4-5');
    assert.equal(direct.response.headers.get('alephant-provider'), 'anthropic');
  });
});
