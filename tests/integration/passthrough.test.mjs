// Native pass-through: a provider's own API under /{provider}/…, forwarded
// untouched except for the credential, still logged with usage and cost.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GATEWAY, logRow, mock, workspace } from './lib/env.mjs';

const weather = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('the Anthropic SDK through /anthropic', () => {
  let ctx;
  let client;
  before(async () => {
    ctx = await workspace({ providers: { anthropic: { suffix: '' } } });
    client = new Anthropic({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/anthropic`, maxRetries: 0 });
  });

  test('a message, with the provider credential injected and usage logged', async () => {
    const id = randomUUID();
    const msg = await client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hello there' }] },
      { headers: { 'x-request-id': id } },
    );
    assert.equal(msg.type, 'message');
    assert.equal(msg.content[0].text, 'Mock answer to: hello there');
    const seen = (await mock.requests(ctx.tags.anthropic)).at(-1);
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], `sk-anthropic-secret-${ctx.tags.anthropic}`);
    assert.ok(seen.headers['anthropic-version'], 'the SDK’s own headers pass through');
    assert.ok(!JSON.stringify(seen.headers).includes(ctx.key.key));
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.endpoint, 'passthrough');
    assert.equal(row.provider, 'anthropic');
    assert.equal(row.model, 'claude-haiku-4-5');
    assert.deepEqual([row.prompt_tokens, row.completion_tokens], [msg.usage.input_tokens, msg.usage.output_tokens]);
    assert.ok(row.cost_nanos > 0);
  });

  test('a streamed tool call, observed without being rewritten', async () => {
    const id = randomUUID();
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, tools: [weather], messages: [{ role: 'user', content: 'Oslo' }] },
      { headers: { 'x-request-id': id } },
    );
    const final = await stream.finalMessage();
    const use = final.content.find((b) => b.type === 'tool_use');
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { city: 'Oslo' });
    assert.equal(final.stop_reason, 'tool_use');
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.stream, 1);
    assert.equal(row.status, 200);
    assert.equal(row.completion_tokens, final.usage.output_tokens);
    assert.ok(row.prompt_tokens > 0 && row.cost_nanos > 0);
  });

  test('gateway refusals come in the Anthropic error shape', async () => {
    const bad = new Anthropic({ apiKey: 'vk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', baseURL: `${GATEWAY}/anthropic`, maxRetries: 0 });
    const e = await bad.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((err) => err);
    assert.ok(e instanceof Anthropic.AuthenticationError, String(e));
    assert.equal(e.error.type, 'error');
    assert.equal(e.error.error.type, 'authentication_error');
  });

  test("the provider's own errors reach the SDK untouched", async () => {
    const failing = await workspace({ providers: { anthropic: { suffix: '', directives: { status: 529 } } } });
    const c = new Anthropic({ apiKey: failing.key.key, baseURL: `${GATEWAY}/anthropic`, maxRetries: 0 });
    const e = await c.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((err) => err);
    assert.equal(e.status, 529);
    assert.equal(e.error.error.type, 'overloaded_error');
  });
});

describe('other providers natively', () => {
  test('the OpenAI SDK against /openai/v1', async () => {
    const ctx = await workspace();
    const client = new OpenAI({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/openai/v1`, maxRetries: 0 });
    const id = randomUUID();
    const r = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'native' }] },
      { headers: { 'x-request-id': id } },
    );
    assert.equal(r.choices[0].message.content, 'Mock answer to: native');
    const seen = (await mock.requests(ctx.tags.openai)).at(-1);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.model, 'gpt-4o-mini', 'the body is not rewritten');
    const row = await logRow(ctx.workspace.id, id);
    assert.deepEqual([row.endpoint, row.model, row.prompt_tokens], ['passthrough', 'gpt-4o-mini', 2]);
  });

  test('Gemini REST with the virtual key as ?key=, replaced by the provider key', async () => {
    const ctx = await workspace({ providers: { gemini: { suffix: '' } } });
    const r = await fetch(`${GATEWAY}/google/v1beta/models/gemini-2.5-flash:generateContent?key=${ctx.key.key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hola' }] }] }),
    });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.candidates[0].content.parts[0].text, 'Mock answer to: hola');
    const seen = (await mock.requests(ctx.tags.gemini)).at(-1);
    assert.equal(seen.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.ok(!(seen.query ?? '').includes('vk-'), 'the virtual key is not forwarded');
    assert.equal(seen.headers['x-goog-api-key'], `sk-gemini-secret-${ctx.tags.gemini}`);
  });

  test('Bedrock Converse natively, signed by the gateway', async () => {
    const ctx = await workspace({ providers: { bedrock: { suffix: '', key: 'AKIDEXAMPLE:secretsecretsecret' } } });
    const r = await fetch(`${GATEWAY}/bedrock/model/amazon.nova-lite-v1%3A0/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'bonjour' }] }] }),
    });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.output.message.content[0].text, 'Mock answer to: bonjour');
    const seen = (await mock.requests(ctx.tags.bedrock)).at(-1);
    assert.match(seen.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
  });

  test('a provider the workspace has no key for is refused', async () => {
    const ctx = await workspace();
    const r = await fetch(`${GATEWAY}/mistral/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mistral-large-latest', messages: [] }),
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, 'provider_not_configured');
  });
});
