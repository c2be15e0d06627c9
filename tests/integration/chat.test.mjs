// Chat completions through the official OpenAI SDK: JSON and streaming,
// what the provider receives, and the request log row.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { GATEWAY, logRow, mock, workspace } from './lib/env.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('chat completions', () => {
  let ctx;
  before(async () => {
    ctx = await workspace();
  });

  test('a non-streaming answer with usage and the gateway headers', async () => {
    const { data, response } = await ctx.client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'Mock answer to: hello there');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.deepEqual(
      [data.usage.prompt_tokens, data.usage.completion_tokens, data.usage.total_tokens],
      [3, 7, 10],
    );
    assert.match(response.headers.get('alephant-id'), UUID);
    assert.equal(response.headers.get('alephant-provider'), 'openai');
    assert.equal(response.headers.get('alephant-model'), 'openai/gpt-4o-mini');
    assert.match(response.headers.get('alephant-provider-req-id'), /^req_mock_/);
  });

  test('the provider gets its own key and model id, and no gateway headers', async () => {
    await ctx.client.chat.completions.create(
      { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'check headers' }], temperature: 0.25 },
      { headers: { 'alephant-session-id': 'sess-1', 'alephant-property-team': 'search', 'x-alephant-country-code': 'DE' } },
    );
    const seen = (await mock.requests(ctx.tags.openai)).at(-1);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.headers.authorization, `Bearer sk-openai-secret-${ctx.tags.openai}`);
    assert.equal(seen.body.model, 'gpt-4o');
    assert.equal(seen.body.temperature, 0.25, 'untouched fields pass through');
    const leaked = Object.keys(seen.headers).filter((h) => h.startsWith('alephant-') || h.startsWith('x-alephant-'));
    assert.deepEqual(leaked, []);
    assert.ok(!JSON.stringify(seen.headers).includes(ctx.key.key), 'the virtual key never reaches the provider');
  });

  test('a stream is assembled from chunks; usage is recorded but not shown unless asked', async () => {
    const stream = await ctx.client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'stream this answer' }],
    });
    let content = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      assert.equal(chunk.usage ?? null, null, 'no usage chunk the client did not ask for');
      content += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.ok(chunks > 3, `expected several chunks, got ${chunks}`);
    assert.equal(content, 'Mock answer to: stream this answer');
    const seen = (await mock.requests(ctx.tags.openai)).at(-1);
    assert.equal(seen.body.stream_options.include_usage, true, 'the gateway asked the provider for usage');
  });

  test('a stream with include_usage ends with the usage chunk', async () => {
    const stream = await ctx.client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count me' }],
    });
    let usage = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [2, 6]);
  });

  test('the log row has tokens, cost and latency; the client-supplied request id is kept beside the gateway\'s', async () => {
    const id = randomUUID();
    const { response } = await ctx.client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }, { headers: { 'x-request-id': id } })
      .withResponse();
    assert.equal(response.headers.get('x-request-id'), id, 'echoed');
    assert.notEqual(response.headers.get('alephant-id'), id, 'the gateway mints its own');
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.id, response.headers.get('alephant-id'));
    assert.equal(row.client_request_id, id);
    assert.equal(row.status, 200);
    assert.equal(row.provider, 'openai');
    assert.equal(row.model, 'gpt-4o-mini');
    assert.equal(row.virtual_key_id, ctx.key.id);
    assert.equal(row.endpoint, 'chat');
    assert.deepEqual([row.prompt_tokens, row.completion_tokens], [3, 7]);
    // gpt-4o-mini: $0.15 / $0.60 per million tokens → 3*150 + 7*600 nano-dollars.
    assert.equal(row.cost_nanos, 3 * 150 + 7 * 600);
    assert.ok(row.latency_ms >= 0);
    assert.equal(row.attempts.length, 1);
  });

  test('a streamed request is logged with the usage the client never saw', async () => {
    const id = randomUUID();
    const stream = await ctx.client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello there' }] },
      { headers: { 'x-request-id': id } },
    );
    for await (const _ of stream);
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.stream, 1);
    assert.deepEqual([row.status, row.prompt_tokens, row.completion_tokens], [200, 3, 7]);
    assert.ok(row.cost_nanos > 0);
    assert.ok(row.ttft_ms !== null);
  });

  test('a request id that is not a UUID is replaced by one', async () => {
    const { response } = await ctx.client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'not-a-uuid' } })
      .withResponse();
    assert.match(response.headers.get('alephant-id'), UUID);
  });

  test('/ai is an alias of /v1', async () => {
    const client = new OpenAI({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/ai`, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'alias' }] });
    assert.equal(r.choices[0].message.content, 'Mock answer to: alias');
  });
});

describe('models', () => {
  let ctx;
  before(async () => {
    ctx = await workspace({ keyOptions: { allowed_models: ['gpt-4o*'] } });
  });

  test('the list holds only models of configured providers that the key may use', async () => {
    const ids = [];
    for await (const m of ctx.client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('openai/gpt-4o'));
    assert.ok(ids.includes('openai/gpt-4o-mini'));
    assert.ok(ids.every((id) => id.startsWith('openai/gpt-4o')), ids.join(','));
  });

  test('retrieve follows the same rules', async () => {
    assert.equal((await ctx.client.models.retrieve('openai/gpt-4o')).id, 'openai/gpt-4o');
    await assert.rejects(ctx.client.models.retrieve('openai/o3'), (e) => e.status === 404);
  });
});

describe('health', () => {
  test('GET /health answers without a key', async () => {
    const r = await fetch(`${GATEWAY}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
  });
});
