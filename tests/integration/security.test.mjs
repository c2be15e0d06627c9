// Limits that hold against every key holder (docs/security.md): each test
// performs an attack a key holder could try — other endpoints,
// pass-through, field aliases, duplicate JSON keys, reused ids, aborted
// streams, concurrency — and shows it refused, with the mock provider's
// recorded requests proving nothing reached the upstream, and the
// legitimate case still working.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FAKES_GATEWAY, GATEWAY, admin, logRow, mock, pricedWorkspace, workspace } from './lib/env.mjs';
import { waitFor } from './lib/processes.mjs';

/** A raw request to the gateway; `body` is sent as given when a string. */
function send(path, key, body, { method = 'POST', headers = {}, gateway = GATEWAY } = {}) {
  return fetch(`${gateway}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * Asserts an error with this status and code; returns the error. Anthropic's
 * shape (on /anthropic/… and /v1/messages) has no code: its type is checked.
 */
async function refused(response, status, code) {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text);
  if (body.type === 'error') {
    assert.equal(body.error.type, { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 429: 'rate_limit_error' }[status], text);
  } else {
    assert.equal(body.error.code, code, text);
  }
  assert.ok(body.error.message.length > 0);
  return body.error;
}

const calls = async (t) => (await mock.requests(t)).length;
const lastBody = async (t) => (await mock.requests(t)).at(-1).body;
const hi = [{ role: 'user', content: 'hi' }];

describe('native pass-through holds to the policy', () => {
  let ctx;
  before(async () => {
    ctx = await workspace({
      providers: { openai: {}, anthropic: { suffix: '' }, gemini: { suffix: '' } },
      keyOptions: { allowed_models: ['gpt-4o-mini', 'claude-haiku-4-5', 'gemini-2.5-flash'], policy: { max_tokens: 50 } },
    });
  });

  test("account APIs (files, batches, fine-tuning, vector stores) are refused and never reach the provider", async () => {
    const attempts = [
      ['GET', '/openai/v1/files', ctx.tags.openai],
      ['DELETE', '/openai/v1/files/file-abc123', ctx.tags.openai],
      ['POST', '/openai/v1/batches', ctx.tags.openai],
      ['POST', '/openai/v1/fine_tuning/jobs', ctx.tags.openai],
      ['POST', '/openai/v1/vector_stores', ctx.tags.openai],
      ['GET', '/openai/v1/organization/users', ctx.tags.openai],
      ['POST', '/anthropic/v1/messages/batches', ctx.tags.anthropic],
      ['GET', '/gemini/v1beta/files', ctx.tags.gemini],
    ];
    for (const [method, path, t] of attempts) {
      const before = await calls(t);
      const body = method === 'GET' || method === 'DELETE' ? undefined : { model: 'gpt-4o-mini', input_file_id: 'f' };
      const error = await refused(await send(path, ctx.key.key, body, { method }), 403, 'provider_account_api_not_allowed');
      assert.equal(error.type, 'permission_error');
      assert.match(error.message, /allow_provider_account_api/);
      assert.equal(await calls(t), before, `${method} ${path} reached the provider`);
    }
  });

  test('an encoded ../ cannot turn an inference path into an account path', async () => {
    const before = await calls(ctx.tags.openai);
    for (const path of ['/openai/v1/chat/completions/%2e%2e/%2e%2e/files', '/openai/v1/chat%2F..%2F..%2Ffiles', '/openai/v1//files']) {
      const r = await send(path, ctx.key.key, { model: 'gpt-4o-mini', messages: hi });
      assert.ok([400, 403].includes(r.status), `${path}: ${r.status}`);
    }
    assert.equal(await calls(ctx.tags.openai), before);
  });

  test('a policy flag opens the account APIs; the most specific scope decides', async () => {
    const open = await workspace({ keyOptions: { policy: { allow_provider_account_api: true } } });
    const r = await send('/openai/v1/files', open.key.key, undefined, { method: 'GET' });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual((await r.json()).data, []);
    assert.equal((await mock.requests(open.tags.openai)).at(-1).path, '/v1/files');
    // The workspace allows it; this key's own policy says no.
    const mixed = await workspace({ keyOptions: { policy: { allow_provider_account_api: false } } });
    await admin('PUT', `/workspaces/${mixed.workspace.id}/policies/workspace/${mixed.workspace.id}`, { allow_provider_account_api: true });
    const error = await refused(await send('/openai/v1/files', mixed.key.key, undefined, { method: 'GET' }), 403, 'provider_account_api_not_allowed');
    assert.match(error.message, /this key's policy/);
  });

  test('inference and model listing still pass through', async () => {
    const list = await send('/openai/v1/models', ctx.key.key, undefined, { method: 'GET' });
    assert.equal(list.status, 200);
    const listed = await logRow(ctx.workspace.id, list.headers.get('alephant-id'));
    assert.deepEqual([listed.usage_estimated, listed.prompt_tokens], [0, null], 'a listing is billed by no tokens');
    const chat = await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi });
    assert.equal(chat.status, 200);
  });

  test('a duplicated "model" key is refused on pass-through and on /v1 (the upstream would read the other one)', async () => {
    const before = await calls(ctx.tags.openai);
    const dup = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"model":"o3-pro"}';
    for (const path of ['/openai/v1/chat/completions', '/v1/chat/completions', '/v1/responses', '/openai/v1/responses']) {
      const error = await refused(await send(path, ctx.key.key, dup), 400, 'duplicate_field');
      assert.equal(error.param, 'model');
    }
    for (const field of ['stream', 'max_tokens', 'max_completion_tokens', 'stream_options']) {
      const body = `{"model":"gpt-4o-mini","messages":[],"${field}":false,"${field}":true}`.replace(/"(max_\w+)":false,"\1":true/, '"$1":5,"$1":99999').replace(/"stream_options":false,"stream_options":true/, '"stream_options":{},"stream_options":{"include_usage":false}');
      await refused(await send('/openai/v1/chat/completions', ctx.key.key, body), 400, 'duplicate_field');
    }
    const gemini = '{"contents":[],"generationConfig":{"maxOutputTokens":10},"generationConfig":{"maxOutputTokens":99999}}';
    await refused(await send('/gemini/v1beta/models/gemini-2.5-flash:generateContent', ctx.key.key, gemini), 400, 'duplicate_field');
    assert.equal(await calls(ctx.tags.openai), before, 'nothing reached the provider');
  });

  test("the max_tokens cap is written in each provider's own field, whatever alias the client used", async () => {
    await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi, max_tokens: 100000 });
    assert.equal((await lastBody(ctx.tags.openai)).max_tokens, 50);
    await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi, max_completion_tokens: 100000, max_tokens: 10 });
    const both = await lastBody(ctx.tags.openai);
    assert.deepEqual([both.max_completion_tokens, both.max_tokens], [50, 10]);
    await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi });
    assert.equal((await lastBody(ctx.tags.openai)).max_tokens, 50, 'filled in when none is given');
    const anthropic = new Anthropic({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/anthropic`, maxRetries: 0 });
    // The SDK streams a request that may run long, as Claude Code does.
    await anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100000, messages: hi }).finalMessage();
    assert.equal((await lastBody(ctx.tags.anthropic)).max_tokens, 50);
    const g = await send('/gemini/v1beta/models/gemini-2.5-flash:generateContent', ctx.key.key, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 99999, temperature: 0.3 },
    });
    assert.equal(g.status, 200, await g.clone().text());
    assert.deepEqual((await lastBody(ctx.tags.gemini)).generationConfig, { maxOutputTokens: 50, temperature: 0.3 });
    await send('/gemini/v1beta/models/gemini-2.5-flash:generateContent', ctx.key.key, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    assert.equal((await lastBody(ctx.tags.gemini)).generationConfig.maxOutputTokens, 50);
  });

  test('a stream without stream_options is still costed, and the client sees no usage chunk it did not ask for', async () => {
    const id = randomUUID();
    const r = await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi, stream: true }, { headers: { 'x-request-id': id } });
    const text = await r.text();
    assert.equal(r.status, 200);
    assert.ok(text.includes('[DONE]'));
    assert.ok(!text.includes('"usage"'), 'the usage chunk the gateway asked for is not forwarded');
    assert.equal((await lastBody(ctx.tags.openai)).stream_options.include_usage, true);
    const row = await logRow(ctx.workspace.id, r.headers.get('alephant-id'));
    assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0, JSON.stringify(row));
    assert.ok(row.cost_nanos > 0);
    assert.equal(row.usage_estimated, 0);
  });

  test("a provider's 401 never reaches the client verbatim, and billing headers are the provider key's", async () => {
    const bad = await workspace({ providers: { openai: {} } });
    await mock.script(bad.tags.openai, [{ status: 401, message: 'Incorrect API key provided: sk-proj-****abcd. Organization org-SECRETORG.' }]);
    const r = await send('/openai/v1/chat/completions', bad.key.key, { model: 'gpt-4o-mini', messages: hi });
    const error = await refused(r, 401, 'provider_auth_failed');
    assert.ok(!/abcd|SECRETORG/.test(error.message), error.message);

    await send('/openai/v1/chat/completions', bad.key.key, { model: 'gpt-4o-mini', messages: hi }, {
      headers: { 'openai-organization': 'org-attacker', 'openai-project': 'proj-attacker' },
    });
    const seen = (await mock.requests(bad.tags.openai)).at(-1).headers;
    assert.equal(seen['openai-organization'], undefined);
    assert.equal(seen['openai-project'], undefined);
    const configured = await workspace({ providers: { openai: { config: { organization: 'org-real', project: 'proj-real' } } } });
    await send('/openai/v1/chat/completions', configured.key.key, { model: 'gpt-4o-mini', messages: hi }, {
      headers: { 'openai-organization': 'org-attacker' },
    });
    const sent = (await mock.requests(configured.tags.openai)).at(-1).headers;
    assert.deepEqual([sent['openai-organization'], sent['openai-project']], ['org-real', 'proj-real']);
  });
});

describe('the gateway mints its own request id', () => {
  test('six concurrent requests with one x-request-id are six requests: six rows, archives, leases', async () => {
    const ctx = await workspace({
      providers: { openai: { directives: { latency: 700 } } },
      keyOptions: { policy: { max_concurrency: 3, archive_bodies: true } },
    });
    const shared = `job-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] }, { headers: { 'x-request-id': shared } })));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429], 'each request holds its own lease');
    for (const r of answers) assert.equal(r.headers.get('x-request-id'), shared, 'the client id is echoed');
    const ids = answers.map((r) => r.headers.get('alephant-id'));
    assert.equal(new Set(ids).size, 6);
    assert.ok(!ids.includes(shared));
    const rows = await waitFor(async () => {
      const page = await admin('GET', `/workspaces/${ctx.workspace.id}/logs?client_request_id=${shared}`);
      return page.data.length === 6 ? page.data : null;
    }, { what: 'six log rows' });
    assert.equal(new Set(rows.map((r) => r.id)).size, 6);
    assert.ok(rows.every((r) => r.client_request_id === shared));
    const ok = rows.filter((r) => r.status === 200);
    const archives = ok.map((r) => r.request_body_key).filter(Boolean);
    assert.equal(new Set(archives).size, ok.length, 'each request archived under its own key');
    const bodies = await Promise.all(ok.map((r) => admin('GET', `/workspaces/${ctx.workspace.id}/logs/${r.id}?include=bodies`)));
    assert.equal(new Set(bodies.map((b) => JSON.stringify(b.request_body))).size, ok.length, 'no archive overwrote another');
  });

  test('a budget counts each request with a reused id', async () => {
    const ctx = await pricedWorkspace({ latency: 500 });
    const budget = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, { scope_type: 'key', scope_id: ctx.key.id, period: 'monthly', limit_usd: 0.025 });
    const shared = randomUUID();
    // Each reserves $0.01 (1,000 tokens at $10/M): two fit in $0.025, not six.
    const answers = await Promise.all(Array.from({ length: 6 }, () =>
      send('/v1/chat/completions', ctx.key.key, { model: 'acme/acme-out', messages: hi, max_tokens: 1000 }, { headers: { 'x-request-id': shared } })));
    assert.equal(answers.filter((r) => r.status === 200).length, 2);
    assert.equal(answers.filter((r) => r.status === 429).length, 4);
    await waitFor(async () => (await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`)).reserved_nanos === 0, { what: 'settlement' });
  });
});

describe('the max_tokens cap on every endpoint and alias', () => {
  let ctx;
  before(async () => {
    ctx = await workspace({ providers: { openai: {}, anthropic: { suffix: '' } }, keyOptions: { policy: { max_tokens: 50 } } });
  });

  test('chat: every alias held to the cap', async () => {
    const r = await ctx.client.chat.completions.create({ model: 'gpt-4o-mini', messages: hi, max_completion_tokens: 100000, max_tokens: 10 });
    assert.ok(r.choices[0].message.content);
    const seen = await lastBody(ctx.tags.openai);
    assert.deepEqual([seen.max_completion_tokens, seen.max_tokens], [50, 10]);
  });

  test('/v1/messages: Claude Code asks for 32,000 — native and translated, the provider gets the cap', async () => {
    const client = new Anthropic({ apiKey: ctx.key.key, baseURL: GATEWAY, maxRetries: 0 });
    await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 32000, messages: hi }).finalMessage();
    assert.equal((await lastBody(ctx.tags.anthropic)).max_tokens, 50);
    await client.messages.stream({ model: 'openai/gpt-4o-mini', max_tokens: 32000, messages: hi }).finalMessage();
    const seen = await lastBody(ctx.tags.openai);
    assert.equal(seen.max_completion_tokens ?? seen.max_tokens, 50);
  });

  test('/v1/responses: max_output_tokens held, or set when absent — native and translated', async () => {
    await ctx.client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi', max_output_tokens: 100000 });
    assert.equal((await lastBody(ctx.tags.openai)).max_output_tokens, 50);
    await ctx.client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi' });
    assert.equal((await lastBody(ctx.tags.openai)).max_output_tokens, 50);
    await ctx.client.responses.create({ model: 'anthropic/claude-haiku-4-5', input: 'hi', max_output_tokens: 100000 });
    assert.equal((await lastBody(ctx.tags.anthropic)).max_tokens, 50);
    // An alias the Responses API does not know cannot carry more either.
    await send('/v1/responses', ctx.key.key, { model: 'anthropic/claude-haiku-4-5', input: 'hi', max_tokens: 100000 });
    assert.equal((await lastBody(ctx.tags.anthropic)).max_tokens, 50);
  });

  test('the budget reservation uses the capped value', async () => {
    const priced = await pricedWorkspace({}, { policy: { max_tokens: 50 } });
    await admin('POST', `/workspaces/${priced.workspace.id}/budgets`, { scope_type: 'key', scope_id: priced.key.id, period: 'monthly', limit_usd: 0.001 });
    // Uncapped, 100,000 tokens at $10/M would reserve $1 and be refused; capped at 50, $0.0005 fits.
    const r = await send('/v1/chat/completions', priced.key.key, { model: 'acme/acme-out', messages: hi, max_tokens: 100000 });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await lastBody(priced.tag)).max_tokens, 50);
    const row = await logRow(priced.workspace.id, r.headers.get('alephant-id'));
    assert.ok(row.policy.some((d) => d.decision === 'max_tokens_capped' && d.requested === 100000 && d.cap === 50), JSON.stringify(row.policy));
  });
});

describe('unknown usage is never free', () => {
  test('a stream cut before its usage chunk is charged its estimate against the budget', async () => {
    const ctx = await pricedWorkspace({ cut_after: 3 });
    const budget = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, { scope_type: 'key', scope_id: ctx.key.id, period: 'monthly', limit_usd: 1 });
    const r = await send('/v1/chat/completions', ctx.key.key, { model: 'acme/acme-out', messages: hi, stream: true });
    await r.text().catch(() => '');
    const row = await logRow(ctx.workspace.id, r.headers.get('alephant-id'));
    assert.equal(row.usage_estimated, 1, JSON.stringify(row));
    assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0);
    assert.ok(row.cost_nanos > 0);
    await waitFor(async () => {
      const b = await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`);
      return b.reserved_nanos === 0 && b.spent_nanos === row.cost_nanos;
    }, { what: 'the estimate spent from the budget' });
  });

  test('a client that aborts a stream is charged for what was streamed', async () => {
    const ctx = await pricedWorkspace({ chunk_delay: 200 });
    const client = new OpenAI({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'acme/acme-out', messages: [{ role: 'user', content: 'tell me a long story about the sea' }], stream: true })
      .withResponse();
    let n = 0;
    for await (const _ of stream) {
      if (++n === 2) break; // the SDK aborts the request
    }
    const row = await logRow(ctx.workspace.id, response.headers.get('alephant-id'));
    assert.equal(row.status, 499);
    assert.equal(row.usage_estimated, 1);
    assert.ok(row.completion_tokens >= 1 && row.cost_nanos > 0, JSON.stringify(row));
  });

  test('a client that gives up on a JSON answer does not spend for free', async () => {
    const ctx = await pricedWorkspace({ latency: 1500 });
    const budget = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, { scope_type: 'key', scope_id: ctx.key.id, period: 'monthly', limit_usd: 1 });
    const gone = new AbortController();
    setTimeout(() => gone.abort(), 300);
    const aborted = await fetch(`${GATEWAY}/v1/chat/completions`, {
      method: 'POST', signal: gone.signal,
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme/acme-out', messages: hi, max_tokens: 1000 }),
    }).catch((e) => e);
    assert.ok(aborted instanceof Error, 'the client went away');
    // Either the gateway finished the request (real usage) or its hold lapses
    // unsettled (15 min, moved on by the test clock) and is charged: never zero.
    // The request that moves the clock asks for $10 of output: the budget
    // refuses it, so it spends nothing itself.
    const later = { 'alephant-test-now': String(Date.now() + 16 * 60 * 1000) };
    const spent = await waitFor(async () => {
      const probe = await send('/v1/chat/completions', ctx.key.key, { model: 'acme/acme-out', messages: hi, max_tokens: 1_000_000 }, { headers: later });
      assert.equal(probe.status, 429);
      const b = await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`);
      return b.spent_nanos > 0 ? b : null;
    }, { what: 'the aborted request charged', timeoutMs: 20_000, intervalMs: 1_000 });
    assert.ok(spent.spent_nanos > 0 && spent.reserved_nanos === 0, JSON.stringify(spent));
  });

  test('a budget refuses an unpriced model unless it allows them', async () => {
    const ctx = await workspace();
    const b = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, { scope_type: 'workspace', period: 'monthly', limit_usd: 5 });
    const before = await calls(ctx.tags.openai);
    const error = await refused(await send('/v1/chat/completions', ctx.key.key, { model: 'openai/gpt-9-unreleased', messages: hi }), 403, 'unpriced_model');
    assert.match(error.message, /no price/);
    await refused(await send('/openai/v1/chat/completions', ctx.key.key, { model: 'gpt-9-unreleased', messages: hi }), 403, 'unpriced_model');
    assert.equal(await calls(ctx.tags.openai), before);
    assert.equal((await send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi })).status, 200, 'priced models still pass');
    await admin('DELETE', `/workspaces/${ctx.workspace.id}/budgets/${b.id}`);
    await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, { scope_type: 'workspace', period: 'monthly', limit_usd: 5, unpriced: 'allow' });
    const ok = await waitFor(async () => {
      const r = await send('/v1/chat/completions', ctx.key.key, { model: 'openai/gpt-9-unreleased', messages: hi });
      return r.status === 200 ? r : null;
    }, { what: 'the budget allowing unpriced models', timeoutMs: 15_000 });
    assert.equal(ok.status, 200);
  });
});

describe('header rate-limit policies stay within the key holder', () => {
  test('shared scopes, too many rules and long windows are refused', async () => {
    const ctx = await workspace();
    for (const policy of ['1;w=60;s=workspace', '1;w=60;s=agent', '1;w=60;s=department', '1;w=60,1;w=61,1;w=62,1;w=63,1;w=64,1;w=65', '1;w=86400']) {
      const error = await refused(await send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi }, { headers: { 'alephant-ratelimit-policy': policy } }), 400, 'invalid_ratelimit_policy');
      assert.match(error.message, /alephant-ratelimit-policy/);
    }
    const ok = await send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi }, { headers: { 'alephant-ratelimit-policy': '5;w=60;s=user' } });
    assert.equal(ok.status, 200);
  });
});

describe('the semantic cache threshold', () => {
  test("a header cannot lower the threshold to get another user's answer", async () => {
    const ctx = await workspace();
    const ask = (q, threshold) => ctx.client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] }, {
        headers: { 'alephant-cache-semantic-threshold': threshold, 'alephant-embeddings-model': 'openai/text-embedding-3-small' },
      })
      .withResponse();
    const first = await ask('What is the capital of France?', '0.9');
    assert.equal(first.response.headers.get('alephant-cache'), 'MISS');
    // Wait until the first answer is in the index (a paraphrase hits)…
    await waitFor(async () => (await ask('Tell me the capital of France please', '0.9')).response.headers.get('alephant-cache') === 'SEMANTIC_HIT', { what: 'the index', timeoutMs: 15_000, intervalMs: 500 });
    // …then an unrelated question with a near-zero threshold misses.
    const other = await ask('How do I bake sourdough bread at home?', '0.0001');
    assert.equal(other.response.headers.get('alephant-cache'), 'MISS');
    assert.equal(other.data.choices[0].message.content, 'Mock answer to: How do I bake sourdough bread at home?');
  });
});

describe('routers check the key policy before the cache', () => {
  test('a key that may use no target of a router gets 403, never a cached answer', async () => {
    const ctx = await workspace();
    await admin('POST', `/workspaces/${ctx.workspace.id}/routers`, { name: 'big', config: { strategy: 'fallback', targets: [{ provider: 'openai', model: 'gpt-4o' }] } });
    const cached = { 'alephant-cache-enabled': 'true' };
    const body = { model: 'router/big', messages: [{ role: 'user', content: 'cache me' }] };
    assert.equal((await send('/v1/chat/completions', ctx.key.key, body, { headers: cached })).status, 200);
    const again = await send('/v1/chat/completions', ctx.key.key, body, { headers: cached });
    assert.equal(again.headers.get('alephant-cache'), 'HIT');
    const narrow = await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys`, { name: 'mini only', allowed_models: ['gpt-4o-mini'] });
    const error = await refused(await send('/v1/chat/completions', narrow.key, body, { headers: cached }), 403, 'model_not_allowed');
    assert.match(error.message, /gpt-4o/);
    await refused(await send('/router/big/v1/chat/completions', narrow.key, { messages: body.messages, model: 'x' }, { headers: cached }), 403, 'model_not_allowed');
  });
});

describe('Workers AI embeddings for the semantic cache', { skip: FAKES_GATEWAY ? false : 'gateway not started' }, () => {
  const semantic = { 'alephant-cache-semantic-threshold': '0.9', 'alephant-embeddings-model': 'workers-ai/@cf/baai/bge-small-en-v1.5' };

  test('are held to the key policy and priced', async () => {
    const ctx = await workspace({ gateway: FAKES_GATEWAY });
    const { response } = await ctx.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'price my embedding' }] }, { headers: semantic }).withResponse();
    const row = await logRow(ctx.workspace.id, response.headers.get('alephant-id'), { gateway: FAKES_GATEWAY });
    const chatCost = row.cost_nanos;
    assert.ok(chatCost > 0, JSON.stringify(row));

    const narrow = await workspace({ gateway: FAKES_GATEWAY, keyOptions: { allowed_models: ['gpt-4o-mini'] } });
    const r = await narrow.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'price my embedding' }] }, { headers: semantic }).withResponse();
    const denied = await logRow(narrow.workspace.id, r.response.headers.get('alephant-id'), { gateway: FAKES_GATEWAY });
    assert.match(denied.cache_detail, /workers-ai\/@cf\/baai\/bge-small-en-v1.5' is not allowed/);
    assert.ok(denied.cost_nanos < chatCost, 'no embedding was paid for');

    const unknown = await refusedOrDetail(ctx, { ...semantic, 'alephant-embeddings-model': 'workers-ai/@cf/meta/llama-3.1-8b-instruct' });
    assert.match(unknown, /not a priced embeddings model/);
  });

  async function refusedOrDetail(ctx, headers) {
    const { response } = await ctx.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `x ${randomUUID()}` }] }, { headers }).withResponse();
    return (await logRow(ctx.workspace.id, response.headers.get('alephant-id'), { gateway: FAKES_GATEWAY })).cache_detail;
  }
});

describe('input validation before any provider is asked', () => {
  let ctx;
  before(async () => {
    ctx = await workspace({ providers: { openai: {}, gemini: { suffix: '' }, azure: { suffix: '' } } });
  });

  test('missing or malformed messages, input and max_tokens are 400s naming the param', async () => {
    const before = await calls(ctx.tags.openai);
    const cases = [
      ['/v1/chat/completions', { model: 'gpt-4o-mini' }, 'messages'],
      ['/v1/chat/completions', { model: 'gpt-4o-mini', messages: 'hi' }, 'messages'],
      ['/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a' }, 3] }, 'messages[1]'],
      ['/v1/responses', { model: 'gpt-4o-mini' }, 'input'],
      ['/v1/messages', { model: 'openai/gpt-4o-mini', max_tokens: 10 }, 'messages'],
      ['/v1/messages', { model: 'openai/gpt-4o-mini', messages: hi }, 'max_tokens'],
      ['/v1/embeddings', { model: 'text-embedding-3-small' }, 'input'],
    ];
    for (const [path, body, param] of cases) {
      const r = await send(path, ctx.key.key, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      const { error } = await r.json();
      assert.equal(error.type, 'invalid_request_error');
      if (path === '/v1/messages') {
        // Anthropic's error shape has no param: the message names it.
        assert.ok(error.message.includes(`'${param}'`), error.message);
      } else {
        assert.equal(error.param, param, JSON.stringify(error));
      }
    }
    // Through the SDK, the same refusal is a BadRequestError.
    await assert.rejects(ctx.client.chat.completions.create({ model: 'gpt-4o-mini' }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages');
    assert.equal(await calls(ctx.tags.openai), before, 'none reached the provider');
  });

  test('a body nested 100,000 levels deep is refused cheaply, on /v1 and pass-through', async () => {
    const deep = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    for (const path of ['/v1/chat/completions', '/openai/v1/chat/completions']) {
      await refused(await send(path, ctx.key.key, deep), 400, 'json_too_deep');
    }
  });

  test('model names cannot escape their provider; model ids in URLs are percent-encoded', async () => {
    const bad = ['m'.repeat(300), 'gemini/../files', 'openai/gpt-4o?x=1', 'gemini/gemini-2.5-flash#frag', 'openai/a%2F..%2Ffiles', 'openai//gpt-4o'];
    for (const model of bad) {
      await refused(await send('/v1/chat/completions', ctx.key.key, { model, messages: hi }), 400, 'invalid_model');
    }
    const g = await send('/v1/chat/completions', ctx.key.key, { model: 'gemini/gemini 2.5:flash', messages: hi });
    assert.equal(g.status, 200, await g.clone().text());
    assert.equal((await mock.requests(ctx.tags.gemini)).at(-1).path, '/v1beta/models/gemini%202.5:flash:generateContent');
    await send('/v1/chat/completions', ctx.key.key, { model: 'azure/my deploy', messages: hi });
    assert.match((await mock.requests(ctx.tags.azure)).at(-1).path, /^\/openai\/deployments\/my%20deploy\/chat\/completions$/);
  });

  test('a chunked body is cut at the limit as it streams in (413), a small one still works', async () => {
    const limit = 10 * 1024 * 1024;
    let sent = 0;
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    const body = new ReadableStream({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"model":"gpt-4o-mini","messages":[],"pad":"'));
        if (sent > 4 * limit) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const r = await fetch(`${GATEWAY}/v1/chat/completions`, {
      method: 'POST', body, duplex: 'half',
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json' },
    }).catch((e) => e);
    // wrangler dev's proxy in front of the worker turns a connection the
    // worker closed while the client was still sending into this 503; it is
    // the same cut (on Cloudflare the client sees the 413 or a reset).
    const devProxyCut = (res) => res.status === 503 && /restarted mid-request/.test(res.text);
    const answer = r instanceof Error ? null : { status: r.status, text: await r.text().catch(() => null) };
    if (answer === null || devProxyCut(answer)) {
      // The gateway may close the connection while the client is still sending.
      assert.ok(sent < 4 * limit, 'the upload was cut off');
    } else {
      assert.equal(answer.status, 413, answer.text);
      // The same race can cut the 413's body off (null or empty); when it arrives it says why.
      if (answer.text) assert.equal(JSON.parse(answer.text).error.code, 'request_too_large');
    }
    const small = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"model":"gpt-4o-mini",'));
        c.enqueue(new TextEncoder().encode('"messages":[{"role":"user","content":"chunked"}]}'));
        c.close();
      },
    });
    const ok = await fetch(`${GATEWAY}/v1/chat/completions`, {
      method: 'POST', body: small, duplex: 'half',
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json' },
    });
    assert.equal(ok.status, 200, await ok.clone().text());
  });
});

describe('unauthenticated traffic', () => {
  const randomKey = () => `vk-${randomBytes(24).toString('base64url')}`;

  test('random keys from one address are throttled after 20 a minute; a real key from there keeps working', async () => {
    const ctx = await workspace();
    // Known to the isolate before the flood starts.
    assert.equal((await send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi }, { headers: { 'cf-connecting-ip': '198.51.100.7' } })).status, 200);
    const ip = { 'cf-connecting-ip': '198.51.100.7' };
    const statuses = [];
    for (let i = 0; i < 25; i++) {
      statuses.push((await send('/v1/chat/completions', randomKey(), { model: 'gpt-4o-mini', messages: hi }, { headers: ip })).status);
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.deepEqual(statuses.slice(20), Array(5).fill(429));
    const blocked = await send('/v1/chat/completions', randomKey(), { model: 'gpt-4o-mini', messages: hi }, { headers: ip });
    const error = await refused(blocked, 429, 'too_many_failed_authentications');
    assert.match(error.message, /unknown API keys/);
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    assert.equal((await send('/v1/chat/completions', ctx.key.key, { model: 'gpt-4o-mini', messages: hi }, { headers: ip })).status, 200, 'a known key still works');
    // Another address is not affected.
    assert.equal((await send('/v1/chat/completions', randomKey(), { model: 'gpt-4o-mini', messages: hi }, { headers: { 'cf-connecting-ip': '198.51.100.8' } })).status, 401);
  });

  test('guessing the master key is throttled the same way', async () => {
    const ip = { 'cf-connecting-ip': '198.51.100.9' };
    const statuses = [];
    for (let i = 0; i < 22; i++) {
      const r = await fetch(`${GATEWAY}/admin/workspaces`, { headers: { authorization: `Bearer ${randomKey()}`, ...ip } });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.deepEqual(statuses.slice(20), [429, 429]);
  });
});
