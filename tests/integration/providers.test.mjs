// One API, every provider: the OpenAI SDK against translated providers
// (tool conversations, streaming tool calls, usage and cost in the log,
// errors in the OpenAI shape), embeddings through non-OpenAI providers,
// Azure deployments and a workspace's custom provider.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { admin, logRow, mock, tag, workspace } from './lib/env.mjs';

/** Each translating provider: a chat model and how its mock base URL looks. */
const TRANSLATED = [
  { provider: 'anthropic', model: 'anthropic/claude-haiku-4-5', suffix: '' },
  { provider: 'bedrock', model: 'bedrock/anthropic.claude-3-5-haiku-20241022-v1:0', suffix: '', key: 'AKIDEXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', config: { region: 'us-west-2' } },
  { provider: 'cohere', model: 'cohere/command-r-08-2024', suffix: '' },
  { provider: 'gemini', model: 'gemini/gemini-2.5-flash', suffix: '' },
];

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function providerKeys(extra = {}) {
  const keys = {};
  for (const p of TRANSLATED) {
    keys[p.provider] = { suffix: p.suffix, ...(p.key ? { key: p.key } : {}), ...(p.config ? { config: p.config } : {}), ...extra };
  }
  return keys;
}

for (const p of TRANSLATED) {
  describe(`${p.provider} through the OpenAI SDK`, () => {
    let ctx;
    before(async () => {
      ctx = await workspace({ providers: providerKeys() });
    });

    test('a tool-calling conversation: tool call, tool result, final answer', async () => {
      const messages = [{ role: 'user', content: 'Paris' }];
      const first = await ctx.client.chat.completions.create({ model: p.model, messages, tools: [weatherTool] });
      const call = first.choices[0].message.tool_calls?.[0];
      assert.ok(call, `expected a tool call, got ${JSON.stringify(first.choices[0].message)}`);
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
      assert.ok(call.id.length > 0);
      messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' });
      const second = await ctx.client.chat.completions.create({ model: p.model, messages, tools: [weatherTool] });
      assert.equal(second.choices[0].message.content, 'The tool returned: sunny, 21 C');
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.ok(second.usage.prompt_tokens > 0 && second.usage.completion_tokens > 0);
      const seen = (await mock.requests(ctx.tags[p.provider])).at(-1);
      // Gemini and Bedrock name the model in the URL, the others in the body.
      const named = seen.body.model ?? decodeURIComponent(seen.path);
      assert.ok(named.includes(p.model.slice(p.provider.length + 1)), `the provider got its own model id: ${named}`);
    });

    test('a streamed tool call arrives in OpenAI chunks with its arguments', async () => {
      const stream = await ctx.client.chat.completions.create({
        model: p.model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Lisbon' }],
        tools: [weatherTool],
      });
      const calls = [];
      let finish = null;
      let usage = null;
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        for (const d of choice.delta.tool_calls ?? []) {
          calls[d.index] ??= { id: '', name: '', args: '' };
          if (d.id) calls[d.index].id = d.id;
          if (d.function?.name) calls[d.index].name = d.function.name;
          calls[d.index].args += d.function?.arguments ?? '';
        }
        finish = choice.finish_reason ?? finish;
      }
      assert.equal(calls.length, 1);
      assert.equal(calls[0].name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].args), { city: 'Lisbon' });
      assert.equal(finish, 'tool_calls');
      assert.ok(usage && usage.prompt_tokens > 0, 'usage chunk when asked for');
    });

    test('a streamed answer is logged with its usage and cost', async () => {
      const id = randomUUID();
      const stream = await ctx.client.chat.completions.create(
        { model: p.model, stream: true, messages: [{ role: 'user', content: 'tell me something' }] },
        { headers: { 'x-request-id': id } },
      );
      let text = '';
      for await (const chunk of stream) {
        assert.equal(chunk.usage ?? null, null, 'no usage chunk unless asked');
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.equal(text, 'Mock answer to: tell me something');
      const row = await logRow(ctx.workspace.id, id);
      assert.equal(row.status, 200);
      assert.equal(row.provider, p.provider);
      assert.equal(row.stream, 1);
      assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0, JSON.stringify(row));
      assert.ok(row.cost_nanos > 0);
    });
  });

  describe(`${p.provider} errors`, () => {
    test('a provider 429 and 500 keep their status, in the OpenAI shape', async () => {
      for (const status of [429, 500]) {
        const ctx = await workspace({ providers: providerKeys({ directives: { status, retry_after: 2 } }) });
        const e = await ctx.client.chat.completions
          .create({ model: p.model, messages: [{ role: 'user', content: 'x' }] })
          .catch((err) => err);
        assert.ok(e instanceof OpenAI.APIError, String(e));
        assert.equal(e.status, status);
        assert.equal(typeof e.error.message, 'string');
        assert.ok(e.error.message.startsWith(`${p.provider}: `), e.error.message);
        assert.ok('code' in e.error && 'type' in e.error);
        if (status === 429) assert.equal(e.headers.get('retry-after'), '2');
      }
    });
  });
}

describe('bedrock request signing', () => {
  test('requests are SigV4-signed for the configured region', async () => {
    const t = tag('bedrock');
    const ctx = await workspace({
      providers: { bedrock: { tag: t, suffix: '', key: 'AKIDEXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', config: { region: 'eu-central-1' } } },
    });
    await ctx.client.chat.completions.create({ model: 'bedrock/amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'sign me' }] });
    const seen = (await mock.requests(t)).at(-1);
    assert.equal(seen.path, '/model/amazon.nova-lite-v1%3A0/converse');
    assert.match(seen.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    assert.match(seen.headers['x-amz-date'], /^\d{8}T\d{6}Z$/);
  });

  test('a malformed AWS credential is a clear error that does not echo it', async () => {
    const ctx = await workspace({ providers: { bedrock: { suffix: '', key: 'not-an-aws-key' } } });
    const e = await ctx.client.chat.completions
      .create({ model: 'bedrock/amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'x' }] })
      .catch((err) => err);
    assert.equal(e.code, 'provider_credential_invalid');
    assert.ok(!e.message.includes('not-an-aws-key'));
  });
});

describe('embeddings through non-OpenAI providers', () => {
  test('bedrock titan embeddings, one upstream call per input', async () => {
    const t = tag('titan');
    const ctx = await workspace({ providers: { bedrock: { tag: t, suffix: '', key: 'AKIDEXAMPLE:secretsecret' } } });
    const r = await ctx.client.embeddings.create({ model: 'bedrock/amazon.titan-embed-text-v2:0', input: ['one', 'two', 'three'] });
    assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
    assert.ok(r.data.every((d) => d.embedding.length > 2));
    assert.ok(r.usage.prompt_tokens > 0);
    assert.equal((await mock.requests(t)).length, 3);
  });

  test('gemini embeddings in the OpenAI shape, with estimated usage', async () => {
    const ctx = await workspace({ providers: { gemini: { suffix: '' } } });
    const r = await ctx.client.embeddings.create({ model: 'gemini/gemini-embedding-001', input: 'capital of France' });
    assert.equal(r.data.length, 1);
    assert.ok(r.data[0].embedding.length > 2);
    assert.ok(r.usage.prompt_tokens > 0);
  });

  test('cohere embeddings in the OpenAI shape, with usage', async () => {
    const ctx = await workspace({ providers: { cohere: { suffix: '' } } });
    const r = await ctx.client.embeddings.create({ model: 'cohere/embed-english-v3.0', input: ['alpha beta', 'gamma'] });
    assert.equal(r.data.length, 2);
    assert.equal(r.data[1].index, 1);
    assert.ok(r.data[0].embedding.length > 2);
    assert.ok(r.usage.prompt_tokens > 0);
  });
});

describe('Azure OpenAI', () => {
  test('a model is a deployment addressed with api-key and api-version', async () => {
    const t = tag('azure');
    const ctx = await workspace({
      providers: { azure: { tag: t, suffix: '', key: 'azure-secret-key', config: { api_version: '2024-10-21' } } },
    });
    const r = await ctx.client.chat.completions.create({ model: 'azure/my-gpt4o', messages: [{ role: 'user', content: 'hi azure' }] });
    assert.equal(r.choices[0].message.content, 'Mock answer to: hi azure');
    const seen = (await mock.requests(t)).at(-1);
    assert.equal(seen.path, '/openai/deployments/my-gpt4o/chat/completions');
    assert.match(seen.query, /api-version=2024-10-21/);
    assert.equal(seen.headers['api-key'], 'azure-secret-key');
    assert.equal(seen.headers.authorization, undefined);
  });
});

describe('custom providers', () => {
  test('a workspace registers its own OpenAI-compatible backend, with its prices', async () => {
    const ctx = await workspace({ providers: {} });
    const t = tag('acme');
    const created = await admin('POST', `/workspaces/${ctx.workspace.id}/providers`, {
      id: 'acme',
      adapter: 'openai',
      base_url: mock.baseUrl(t),
      auth: 'bearer',
      models: [{ id: 'acme-large', input: 10, output: 20 }],
    });
    assert.equal(created.id, 'acme');
    await admin('POST', `/workspaces/${ctx.workspace.id}/provider-keys`, { provider: 'acme', key: 'acme-key' });
    const id = randomUUID();
    const r = await ctx.client.chat.completions.create(
      { model: 'acme/acme-large', messages: [{ role: 'user', content: 'hello there' }] },
      { headers: { 'x-request-id': id } },
    );
    assert.equal(r.choices[0].message.content, 'Mock answer to: hello there');
    assert.equal((await mock.requests(t)).at(-1).headers.authorization, 'Bearer acme-key');
    const row = await logRow(ctx.workspace.id, id);
    // 3 prompt tokens at $10/M + 7 completion tokens at $20/M.
    assert.equal(row.cost_nanos, 3 * 10_000 + 7 * 20_000);
    const listed = [];
    for await (const m of ctx.client.models.list()) listed.push(m.id);
    assert.deepEqual(listed, ['acme/acme-large']);
  });

  test('a bad spec is refused when written', async () => {
    const ws = await admin('POST', '/workspaces', { name: 'bad-spec' });
    const r = await admin('POST', `/workspaces/${ws.id}/providers`, { id: 'x', adapter: 'telepathy', base_url: 'https://x', auth: 'bearer' }, { raw: true });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /telepathy/);
  });
});
