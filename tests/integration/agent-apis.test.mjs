// The APIs coding agents speak, against any provider: the Responses API
// (Codex) through the official OpenAI SDK, and Anthropic's Messages API
// (Claude Code) through the official Anthropic SDK — forwarded where the
// provider speaks the format, translated through the chat adapters where
// it does not, streaming and tool calls included, logged like chat.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { GATEWAY, logRow, mock, workspace } from './lib/env.mjs';

const PROVIDERS = {
  openai: {},
  groq: {},
  anthropic: { suffix: '' },
  gemini: { suffix: '' },
  bedrock: { suffix: '', key: 'AKIDEXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', config: { region: 'us-west-2' } },
};

const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Every model a Responses client may pick: OpenAI's own API, then translated ones. */
const RESPONSES_MODELS = [
  { model: 'openai/gpt-4o-mini', provider: 'openai', upstreamPath: '/v1/responses' },
  { model: 'anthropic/claude-haiku-4-5', provider: 'anthropic', upstreamPath: '/v1/messages' },
  { model: 'gemini/gemini-2.5-flash', provider: 'gemini', upstreamPath: ':generateContent' },
  { model: 'groq/openai/gpt-oss-20b', provider: 'groq', upstreamPath: '/v1/chat/completions' },
];

/** Collects a Responses stream: event types in order, the final response. */
async function collect(stream) {
  const types = [];
  let completed = null;
  const items = new Map();
  let sequence = -1;
  for await (const event of stream) {
    types.push(event.type);
    assert.ok(event.sequence_number > sequence, `sequence numbers increase (${event.type})`);
    sequence = event.sequence_number;
    if (event.type === 'response.output_item.done') items.set(event.item.id, event.item);
    if (event.type === 'response.completed') completed = event.response;
  }
  return { types, completed, items: [...items.values()] };
}

describe('the Responses API through the OpenAI SDK', () => {
  let ctx;
  before(async () => {
    ctx = await workspace({ providers: PROVIDERS });
  });

  for (const m of RESPONSES_MODELS) {
    test(`${m.provider}: a function-call loop, function_call then function_call_output`, async () => {
      const first = await ctx.client.responses.create({
        model: m.model,
        instructions: 'You are terse.',
        input: 'Paris',
        tools: [weather],
        max_output_tokens: 300,
        store: false,
      });
      assert.equal(first.object, 'response');
      assert.equal(first.status, 'completed');
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call, `a function call: ${JSON.stringify(first.output)}`);
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
      assert.ok(call.call_id.length > 0);
      assert.ok(first.usage.input_tokens > 0 && first.usage.output_tokens > 0);

      const seen = (await mock.requests(ctx.tags[m.provider])).at(-1);
      assert.ok(seen.path.endsWith(m.upstreamPath), `${m.provider} got its own API: ${seen.path}`);
      assert.ok(JSON.stringify(seen.body).includes('You are terse.'), 'instructions reach the provider');

      const second = await ctx.client.responses.create({
        model: m.model,
        input: [
          { role: 'user', content: 'Paris' },
          { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21 C' },
        ],
        tools: [weather],
      });
      assert.equal(second.output_text, 'The tool returned: sunny, 21 C');
    });

    test(`${m.provider}: a streamed function call, in the event sequence clients rely on`, async () => {
      const id = randomUUID();
      const stream = await ctx.client.responses.create(
        { model: m.model, input: 'Lisbon', tools: [weather], stream: true },
        { headers: { 'x-request-id': id, 'alephant-session-id': `codex-${id}` } },
      );
      const { types, completed, items } = await collect(stream);
      assert.equal(types[0], 'response.created');
      assert.ok(types.includes('response.in_progress'));
      for (const t of ['response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done']) {
        assert.ok(types.includes(t), `${t} in ${types.join(',')}`);
      }
      assert.equal(types.at(-1), 'response.completed');
      const call = items.find((i) => i.type === 'function_call');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Lisbon' });
      assert.deepEqual(completed.output.map((o) => o.type), items.map((i) => i.type));
      assert.ok(completed.usage.input_tokens > 0);

      const row = await logRow(ctx.workspace.id, id);
      assert.equal(row.endpoint, 'responses');
      assert.equal(row.provider, m.provider);
      assert.equal(row.stream, 1);
      assert.equal(row.session_id, `codex-${id}`);
      assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0, JSON.stringify(row));
      assert.ok(row.cost_nanos > 0);
    });
  }

  test('a streamed text answer: text deltas add up to output_text', async () => {
    const stream = ctx.client.responses.stream({ model: 'anthropic/claude-haiku-4-5', input: 'tell me something' });
    let text = '';
    stream.on('response.output_text.delta', (e) => { text += e.delta; });
    const final = await stream.finalResponse();
    assert.equal(text, 'Mock answer to: tell me something');
    assert.equal(final.output_text, text);
    assert.equal(final.output[0].type, 'message');
  });

  test('what cannot be translated is a clear 400, not a silent change', async () => {
    const model = 'anthropic/claude-haiku-4-5';
    await assert.rejects(
      ctx.client.responses.create({ model, input: 'hi', previous_response_id: 'resp_123' }),
      (e) => e.status === 400 && /previous_response_id/.test(e.message),
    );
    await assert.rejects(ctx.client.responses.create({ model, input: 42 }), (e) => e.status === 400);
  });

  test('OpenAI-only built-in tools are left out for other models, and named in a header', async () => {
    // Codex always offers web_search and a namespace of sub-agent tools.
    const { data, response } = await ctx.client.responses
      .create({
        model: 'anthropic/claude-haiku-4-5',
        input: 'Oslo',
        tools: [{ type: 'web_search', external_web_access: true }, { type: 'namespace', name: 'multi_agent_v1', tools: [] }, weather],
      })
      .withResponse();
    assert.equal(response.headers.get('alephant-dropped-tools'), 'web_search, multi_agent_v1');
    assert.equal(data.output.find((o) => o.type === 'function_call')?.name, 'get_weather');
    const seen = (await mock.requests(ctx.tags.anthropic)).at(-1);
    assert.deepEqual(seen.body.tools.map((t) => t.name), ['get_weather']);
  });
});

describe('the Messages API through the Anthropic SDK, for any provider', () => {
  let ctx;
  let client;
  const tool = {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };
  before(async () => {
    ctx = await workspace({ providers: PROVIDERS });
    // As Claude Code does with ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN.
    client = new Anthropic({ authToken: ctx.key.key, apiKey: null, baseURL: GATEWAY, maxRetries: 0 });
  });

  test('Anthropic models are forwarded natively, usage logged', async () => {
    const id = randomUUID();
    const msg = await client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hello there' }] },
      { headers: { 'x-request-id': id } },
    );
    assert.equal(msg.content[0].text, 'Mock answer to: hello there');
    const seen = (await mock.requests(ctx.tags.anthropic)).at(-1);
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.body.system[0].cache_control.type, 'ephemeral', 'the body is forwarded as it is');
    assert.equal(seen.headers['x-api-key'], `sk-anthropic-secret-${ctx.tags.anthropic}`);
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.endpoint, 'messages');
    assert.equal(row.provider, 'anthropic');
    assert.ok(row.prompt_tokens > 0 && row.cost_nanos > 0);
  });

  for (const model of ['openai/gpt-4o-mini', 'gemini/gemini-2.5-flash', 'bedrock/anthropic.claude-3-5-haiku-20241022-v1:0']) {
    test(`${model}: a streamed tool-call conversation`, async () => {
      const id = randomUUID();
      const messages = [{ role: 'user', content: 'Lisbon' }];
      const stream = client.messages.stream({ model, max_tokens: 256, messages, tools: [tool] }, { headers: { 'x-request-id': id } });
      const kinds = [];
      stream.on('streamEvent', (e) => kinds.push(e.type));
      const first = await stream.finalMessage();
      assert.deepEqual([kinds[0], kinds.at(-1)], ['message_start', 'message_stop']);
      assert.ok(kinds.includes('content_block_delta'));
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(first.content));
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, { city: 'Lisbon' });
      assert.ok(first.usage.output_tokens > 0);

      messages.push({ role: 'assistant', content: first.content });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'cloudy, 17 C' }] });
      const second = await client.messages.stream({ model, max_tokens: 256, messages, tools: [tool] }).finalMessage();
      assert.equal(second.stop_reason, 'end_turn');
      assert.equal(second.content.map((b) => b.text ?? '').join(''), 'The tool returned: cloudy, 17 C');

      const row = await logRow(ctx.workspace.id, id);
      assert.equal(row.endpoint, 'messages');
      assert.equal(row.provider, model.split('/')[0]);
      assert.equal(row.stream, 1);
      assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0 && row.cost_nanos > 0, JSON.stringify(row));
    });
  }

  test('a translated answer that is not streamed', async () => {
    const msg = await client.messages.create({ model: 'openai/gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.content[0].text, 'Mock answer to: hi');
    assert.equal(msg.stop_reason, 'end_turn');
    const seen = (await mock.requests(ctx.tags.openai)).at(-1);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.max_completion_tokens, 50);
  });

  test('count_tokens: counted by Anthropic, estimated for the others', async () => {
    const body = { messages: [{ role: 'user', content: 'how many tokens is this sentence?' }], tools: [tool] };
    const native = await client.messages.countTokens({ model: 'claude-haiku-4-5', ...body });
    assert.ok(native.input_tokens > 0);
    assert.ok((await mock.requests(ctx.tags.anthropic)).some((r) => r.path === '/v1/messages/count_tokens'));
    const estimated = await client.messages.countTokens({ model: 'openai/gpt-4o-mini', ...body });
    assert.ok(estimated.input_tokens > 5, JSON.stringify(estimated));
  });

  test('errors come in Anthropic’s shape, which its SDK understands', async () => {
    await assert.rejects(
      client.messages.create({ model: 'nosuch/model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof Anthropic.NotFoundError && e.error?.type === 'error' && e.error?.error?.type === 'not_found_error',
    );
    await assert.rejects(
      client.messages.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message),
    );
    const bad = new Anthropic({ apiKey: 'sk-alephant-nope', baseURL: GATEWAY, maxRetries: 0 });
    await assert.rejects(
      bad.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof Anthropic.AuthenticationError && e.error?.error?.type === 'authentication_error',
    );
  });
});
