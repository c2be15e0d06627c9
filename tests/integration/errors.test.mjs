// Bad input and failing providers: always an OpenAI-shaped error with the
// right status, never a 500, a panic or a hang.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { GATEWAY, admin, logRow, mock, tag, workspace } from './lib/env.mjs';

/** Asserts an OpenAI-shaped error body and returns it. */
async function expectError(response, status, code) {
  assert.equal(response.status, status);
  const body = await response.json();
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(typeof body.error.type, 'string');
  assert.ok('param' in body.error);
  if (code) assert.equal(body.error.code, code);
  return body.error;
}

function post(path, body, headers = {}) {
  return fetch(`${GATEWAY}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('authentication', () => {
  let ctx;
  before(async () => {
    ctx = await workspace();
  });

  test('an unknown key is a 401 the SDK reports as AuthenticationError', async () => {
    const client = new OpenAI({ apiKey: 'vk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key',
    );
  });

  test('a missing key or a non-virtual key is a 401', async () => {
    await expectError(await post('/v1/chat/completions', { model: 'gpt-4o' }), 401, 'missing_api_key');
    await expectError(
      await post('/v1/chat/completions', { model: 'gpt-4o' }, { authorization: 'Bearer sk-proj-real-openai-key' }),
      401,
      'invalid_api_key',
    );
  });

  test('a revoked key stops working at once', async () => {
    const vk = await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys`, { name: 'to revoke' });
    const client = new OpenAI({ apiKey: vk.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'before' }] });
    const revoked = await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys/${vk.id}/revoke`);
    assert.ok(revoked.revoked_at > 0);
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'after' }] }),
      (e) => e.status === 401 && e.code === 'key_revoked',
    );
  });

  test('an expired key is refused', async () => {
    const vk = await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys`, { expires_at: Date.now() + 1500 });
    const client = new OpenAI({ apiKey: vk.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'in time' }] });
    await new Promise((r) => setTimeout(r, 2000));
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'too late' }] }),
      (e) => e.status === 401 && e.code === 'key_expired',
    );
  });
});

describe('bad requests', () => {
  let ctx;
  let auth;
  before(async () => {
    ctx = await workspace();
    auth = { authorization: `Bearer ${ctx.key.key}` };
  });

  test('malformed JSON is a 400 that says where', async () => {
    const e = await expectError(await post('/v1/chat/completions', '{"model": "gpt-4o",', auth), 400, 'invalid_json');
    assert.match(e.message, /line 1/);
  });

  test('an empty body, or a body that is not an object, is a 400', async () => {
    await expectError(await post('/v1/chat/completions', '', auth), 400, 'missing_body');
    await expectError(await post('/v1/chat/completions', '[1,2]', auth), 400, 'invalid_json');
  });

  test('a missing model is a 400 naming the parameter', async () => {
    await assert.rejects(
      ctx.client.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'missing_model' && e.param === 'model',
    );
  });

  test('a model of the wrong type is a 400', async () => {
    await expectError(await post('/v1/chat/completions', { model: 7, messages: [] }, auth), 400, 'invalid_type');
  });

  test('an unknown model or provider is a 404 that explains how to name one', async () => {
    await assert.rejects(
      ctx.client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found' && /provider>\/<model id>/.test(e.message),
    );
    const e = await expectError(await post('/v1/chat/completions', { model: 'acme/model-x', messages: [] }, auth), 404);
    assert.match(e.message, /'acme' is not a known provider/);
  });

  test('a provider the workspace has no key for is a 400', async () => {
    await expectError(
      await post('/v1/chat/completions', { model: 'mistral/mistral-large-latest', messages: [] }, auth),
      400,
      'provider_not_configured',
    );
  });

  test('a body over the size limit is a 413', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] });
    await expectError(await post('/v1/chat/completions', big, auth), 413, 'request_too_large');
  });

  test('a wrong method is a 405 with Allow', async () => {
    const r = await fetch(`${GATEWAY}/v1/chat/completions`, { headers: auth });
    assert.equal(r.headers.get('allow'), 'POST');
    await expectError(r, 405, 'method_not_allowed');
  });

  test('an unknown path is a 404', async () => {
    await expectError(await post('/v1/nothing-here', {}, auth), 404, 'unknown_endpoint');
  });

  test('a refused request is still logged', async () => {
    const id = randomUUID();
    await post('/v1/chat/completions', { model: 'no-such-model', messages: [] }, { ...auth, 'x-request-id': id });
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.status, 404);
    assert.equal(row.error_code, 'model_not_found');
    assert.equal(row.requested_model, 'no-such-model');
  });
});

describe('provider failures', () => {
  test('a provider 500 keeps its status, in the OpenAI shape', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { status: 500 } } } });
    await assert.rejects(
      ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.InternalServerError && e.status === 500 && /openai: mock failure/.test(e.message),
    );
  });

  test('a provider 429 passes on its retry-after', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { status: 429, retry_after: 7 } } } });
    const e = await ctx.client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((err) => err);
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.headers.get('retry-after'), '7');
  });

  test('a provider 401 is about the gateway credential and never echoes it', async () => {
    const t = tag('auth');
    const ctx = await workspace({ providers: { openai: { tag: t, directives: { status: 401 } } } });
    const e = await ctx.client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((err) => err);
    assert.equal(e.status, 401);
    assert.equal(e.code, 'provider_auth_failed');
    assert.ok(!e.message.includes('sk-'), e.message);
  });

  test('an unreachable provider is a 502', async () => {
    const ctx = await workspace({ providers: { openai: { baseUrl: 'http://127.0.0.1:9/v1' } } });
    await assert.rejects(
      ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 502 && e.code === 'upstream_unreachable',
    );
  });

  test('a provider that never answers times out with a 504', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { hang: true } } } });
    await assert.rejects(
      ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 504 && e.code === 'upstream_timeout',
    );
  });

  test('a stream cut mid-way ends with an error event, not a silent truncation', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { cut_after: 3 } } } });
    const id = randomUUID();
    const stream = await ctx.client.chat.completions.create(
      { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer please' }] },
      { headers: { 'x-request-id': id } },
    );
    let content = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (e) => /ended before it was complete/.test(e.message),
    );
    assert.ok(content.length > 0, 'the chunks before the cut arrived');
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.status, 502);
    assert.equal(row.error_code, 'upstream_stream_interrupted');
  });
});

describe('policy', () => {
  test('a model outside the key allowlist is a 403', async () => {
    const ctx = await workspace({ keyOptions: { allowed_models: ['gpt-4o-mini'] } });
    await assert.rejects(
      ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.PermissionDeniedError && e.code === 'model_not_allowed',
    );
    await ctx.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
  });

  test('a key rate limit refuses the request over quota with 429 and headers', async () => {
    const ctx = await workspace({ keyOptions: { rate_limit: '2;w=60' } });
    const call = () =>
      ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    const first = await call();
    assert.equal(first.response.headers.get('alephant-ratelimit-limit'), '2');
    assert.equal(first.response.headers.get('alephant-ratelimit-remaining'), '1');
    assert.equal(first.response.headers.get('alephant-ratelimit-policy'), '2;w=60');
    await call();
    const e = await call().catch((err) => err);
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.headers.get('alephant-ratelimit-remaining'), '0');
    assert.ok(Number(e.headers.get('retry-after')) > 0);
  });
});
