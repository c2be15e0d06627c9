// The cache through the OpenAI SDK: exact hits and misses (keys, seeds,
// workspaces, buckets, TTL switches), streams recorded and replayed in
// either form, failing open when KV fails, what hits cost, request
// coalescing under a burst, the semantic cache on both index backends
// (the Durable Object stand-in under wrangler dev; the Vectorize and
// Workers AI code paths against faithful fakes of those bindings), and
// purging.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAKES_GATEWAY, GATEWAY, admin, logRow, mock, tag, workspace } from './lib/env.mjs';
import { waitFor } from './lib/processes.mjs';

const ON = { 'alephant-cache-enabled': 'true' };

/** A chat completion with cache headers; returns the answer and its headers. */
async function ask(ctx, body, headers = {}) {
  const { data, response } = await ctx.client.chat.completions
    .create({ model: 'gpt-4o-mini', ...body }, { headers: { ...ON, ...headers } })
    .withResponse();
  return { data, headers: response.headers, cache: response.headers.get('alephant-cache') };
}

/** A streamed chat completion: the chunks as the SDK parsed them, and the headers. */
async function askStream(ctx, body, headers = {}) {
  const { data: stream, response } = await ctx.client.chat.completions
    .create({ model: 'gpt-4o-mini', stream: true, ...body }, { headers: { ...ON, ...headers } })
    .withResponse();
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  return { chunks, text, headers: response.headers, cache: response.headers.get('alephant-cache') };
}

const user = (content) => ({ messages: [{ role: 'user', content }] });
const chatCalls = async (t) => (await mock.requests(t)).filter((r) => r.path.endsWith('/chat/completions')).length;

describe('exact cache', () => {
  let ctx;
  before(async () => {
    ctx = await workspace();
  });

  test('a miss then a hit: the second answer comes from the cache, not the provider', async () => {
    const first = await ask(ctx, user('cache me once'));
    assert.equal(first.cache, 'MISS');
    const second = await ask(ctx, user('cache me once'));
    assert.equal(second.cache, 'HIT');
    assert.deepEqual(second.data, first.data, 'the stored answer, byte for byte');
    assert.equal(await chatCalls(ctx.tags.openai), 1);
    assert.match(second.headers.get('alephant-cache-latency'), /^\d+$/);
    assert.notEqual(second.headers.get('alephant-id'), first.headers.get('alephant-id'), 'each request has its own id');
    assert.equal(second.headers.get('alephant-model'), 'openai/gpt-4o-mini');

    const miss = await logRow(ctx.workspace.id, first.headers.get('alephant-id'));
    const hit = await logRow(ctx.workspace.id, second.headers.get('alephant-id'));
    assert.equal(miss.cache_status, 'MISS');
    assert.ok(miss.cost_nanos > 0, 'the provider answer cost something');
    assert.equal(hit.cache_status, 'HIT');
    assert.equal(hit.cost_nanos, 0, 'a hit costs nothing');
    assert.equal(hit.cost_saved_nanos, miss.cost_nanos, 'and saves what the answer cost');
    assert.equal(hit.cache_key, miss.cache_key);
    assert.equal(hit.prompt_tokens, miss.prompt_tokens, 'the usage the client saw is logged');
  });

  test('an answer past its TTL is not served: not from the isolate\'s memory, not by the coalescer', async () => {
    // The hit is served from the isolate's hot copy (cache/hot.rs, kept up
    // to 30 s) and the coalescer keeps a landed answer for late arrivals
    // (up to 10 s): the answer's own 1 s expiry must end both.
    const ttl = { 'alephant-cache-ttl': '1' };
    assert.equal((await ask(ctx, user('short-lived answer'), ttl)).cache, 'MISS');
    assert.equal((await ask(ctx, user('short-lived answer'), ttl)).cache, 'HIT');
    await new Promise((r) => setTimeout(r, 1_200));
    const late = await ask(ctx, user('short-lived answer'), ttl);
    assert.equal(late.cache, 'MISS');
    const row = await logRow(ctx.workspace.id, late.headers.get('alephant-id'));
    assert.doesNotMatch(row.cache_detail ?? '', /coalesced/, 'not handed the expired answer by the coalescer');
  });

  test('fields that cannot change the answer do not change the key; the rest do', async () => {
    await ask(ctx, { ...user('key fields'), temperature: 1 });
    const same = await ask(ctx, { ...user('key fields'), temperature: 1.0, user: 'someone-else', metadata: { run: 'x' } });
    assert.equal(same.cache, 'HIT');
    const hotter = await ask(ctx, { ...user('key fields'), temperature: 0.2 });
    assert.equal(hotter.cache, 'MISS');
    const otherModel = await ask(ctx, { ...user('key fields'), temperature: 1, model: 'gpt-4o' });
    assert.equal(otherModel.cache, 'MISS');
  });

  test('another workspace never gets this workspace\'s answer', async () => {
    const other = await workspace({ providers: { openai: { tag: ctx.tags.openai } } });
    await ask(ctx, user('whose answer is this'));
    const theirs = await ask(other, user('whose answer is this'));
    assert.equal(theirs.cache, 'MISS');
  });

  test('a seed is part of the key', async () => {
    assert.equal((await ask(ctx, user('seeded'), { 'alephant-cache-seed': 'a' })).cache, 'MISS');
    assert.equal((await ask(ctx, user('seeded'), { 'alephant-cache-seed': 'b' })).cache, 'MISS');
    assert.equal((await ask(ctx, user('seeded'), { 'alephant-cache-seed': 'a' })).cache, 'HIT');
    assert.equal((await ask(ctx, user('seeded'))).cache, 'MISS', 'no seed is a key of its own');
  });

  test('a bucket of 3 fills with three different answers, then serves one of them', async () => {
    const ctx = await workspace();
    const bucket = { 'alephant-cache-bucket-max-size': '3' };
    const stored = [];
    for (let i = 0; i < 3; i++) {
      const r = await ask(ctx, user('bucket question'), bucket);
      assert.equal(r.cache, 'MISS');
      assert.equal(r.headers.get('alephant-cache-bucket-idx'), String(i));
      stored.push(r.data.id);
    }
    assert.equal(new Set(stored).size, 3, 'three provider answers');
    const seen = new Set();
    for (let i = 0; i < 12; i++) {
      const r = await ask(ctx, user('bucket question'), bucket);
      assert.equal(r.cache, 'HIT');
      const idx = Number(r.headers.get('alephant-cache-bucket-idx'));
      assert.equal(r.data.id, stored[idx], 'the answer stored at that index');
      seen.add(idx);
    }
    assert.ok(seen.size > 1, 'hits are spread over the bucket');
    assert.equal(await chatCalls(ctx.tags.openai), 3);
  });

  test('cache-control: no-cache refreshes, no-store keeps nothing; read and save switches', async () => {
    await ask(ctx, user('control me'));
    const refreshed = await ask(ctx, user('control me'), { 'alephant-cache-control': 'no-cache' });
    assert.equal(refreshed.cache, 'BYPASS');
    assert.equal((await ask(ctx, user('control me'))).data.id, refreshed.data.id, 'the refreshed answer replaced the old one');

    await ask(ctx, user('never stored'), { 'alephant-cache-control': 'no-store' });
    assert.equal((await ask(ctx, user('never stored'), { 'alephant-cache-save': 'false' })).cache, 'MISS');
    assert.equal((await ask(ctx, user('never stored'), { 'alephant-cache-read': 'false' })).cache, 'BYPASS');
    assert.equal((await ask(ctx, user('never stored'))).cache, 'HIT', 'the write-only request stored its answer');
  });

  test('without the header (and no policy default) nothing is cached or reported', async () => {
    const { response } = await ctx.client.chat.completions.create({ model: 'gpt-4o-mini', ...user('uncached') }).withResponse();
    assert.equal(response.headers.get('alephant-cache'), null);
  });

  test('bad cache headers are 400s that name the header', async () => {
    for (const [h, v] of [['alephant-cache-bucket-max-size', '21'], ['alephant-cache-control', 'max-age=soon'], ['alephant-cache-enabled', 'maybe']]) {
      const e = await ask(ctx, user('bad header'), { [h]: v }).catch((err) => err);
      assert.equal(e.status, 400, `${h}: ${v}`);
      assert.equal(e.error.code, 'invalid_cache_header');
      assert.equal(e.error.param, h);
    }
  });

  test('failed answers are never stored', async () => {
    const broken = await workspace({ providers: { openai: { directives: { status: 500 } } } });
    for (let i = 0; i < 2; i++) {
      const e = await ask(broken, user('fails')).catch((err) => err);
      assert.equal(e.status, 500);
    }
    assert.equal(await chatCalls(broken.tags.openai), 2);
  });

  test('embeddings are cached too', async () => {
    const embed = (headers) => ctx.client.embeddings.create({ model: 'text-embedding-3-small', input: 'cache this vector' }, { headers }).withResponse();
    const first = await embed(ON);
    const second = await embed(ON);
    assert.equal(first.response.headers.get('alephant-cache'), 'MISS');
    assert.equal(second.response.headers.get('alephant-cache'), 'HIT');
    assert.deepEqual(second.data.data[0].embedding, first.data.data[0].embedding);
  });
});

describe('streams and the cache', () => {
  let ctx;
  before(async () => {
    ctx = await workspace();
  });

  test('a streamed answer is recorded, then replayed as the same chunks and folded into JSON', async () => {
    const live = await askStream(ctx, { ...user('stream and remember'), stream_options: { include_usage: true } });
    assert.equal(live.cache, 'MISS');
    const replay = await askStream(ctx, { ...user('stream and remember'), stream_options: { include_usage: true } });
    assert.equal(replay.cache, 'HIT');
    assert.equal(replay.headers.get('content-type').split(';')[0], 'text/event-stream');
    assert.deepEqual(replay.chunks, live.chunks, 'the same chunks, usage chunk included');
    assert.ok(replay.chunks.at(-1).usage.total_tokens > 0);

    const quiet = await askStream(ctx, user('stream and remember'));
    assert.equal(quiet.cache, 'HIT');
    assert.equal(quiet.text, live.text);
    assert.ok(quiet.chunks.every((c) => !c.usage), 'no usage chunk the client did not ask for');

    const json = await ask(ctx, user('stream and remember'));
    assert.equal(json.cache, 'HIT');
    assert.equal(json.data.object, 'chat.completion');
    assert.equal(json.data.choices[0].message.content, live.text);
    assert.equal(json.data.choices[0].finish_reason, 'stop');
    assert.equal(json.data.usage.total_tokens, live.chunks.at(-1).usage.total_tokens);
    assert.equal(await chatCalls(ctx.tags.openai), 1);
  });

  test('a JSON answer is served to a streaming request as chunks', async () => {
    const json = await ask(ctx, user('json first'));
    const streamed = await askStream(ctx, { ...user('json first'), stream_options: { include_usage: true } });
    assert.equal(streamed.cache, 'HIT');
    assert.equal(streamed.text, json.data.choices[0].message.content);
    assert.equal(streamed.chunks.at(-1).usage.total_tokens, json.data.usage.total_tokens);
    assert.equal(streamed.chunks[0].id, json.data.id);
  });

  test('a translated provider\'s stream (Anthropic) is recorded as the OpenAI chunks the client got', async () => {
    const claude = await workspace({ providers: { anthropic: { suffix: '' } } });
    const body = { model: 'anthropic/claude-haiku-4-5', ...user('translate and remember'), stream_options: { include_usage: true } };
    const live = await askStream(claude, body);
    assert.equal(live.cache, 'MISS');
    const replay = await askStream(claude, body);
    assert.equal(replay.cache, 'HIT');
    assert.deepEqual(replay.chunks, live.chunks);
    const json = await ask(claude, { model: 'anthropic/claude-haiku-4-5', ...user('translate and remember') });
    assert.equal(json.cache, 'HIT');
    assert.equal(json.data.choices[0].message.content, 'Mock answer to: translate and remember');
    assert.equal(json.headers.get('alephant-model'), 'anthropic/claude-haiku-4-5');
    assert.equal((await mock.requests(claude.tags.anthropic)).length, 1);
  });

  test('a stream cut off by the provider is not stored', async () => {
    const cut = await workspace({ providers: { openai: { directives: { cut_after: 2 } } } });
    for (let i = 0; i < 2; i++) {
      const r = await askStream(cut, user('cut me off')).catch((e) => ({ error: e }));
      assert.ok(r.error || r.cache === 'MISS', 'never a hit');
    }
    assert.equal(await chatCalls(cut.tags.openai), 2);
  });

  test('tool calls survive the replay', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const body = { ...user('weather in Paris? use a tool'), tools };
    const live = await askStream(ctx, body);
    const replay = await askStream(ctx, body);
    assert.equal(replay.cache, 'HIT');
    assert.deepEqual(replay.chunks, live.chunks);
    assert.ok(live.chunks.some((c) => c.choices[0]?.delta?.tool_calls), 'the mock called the tool');
    const json = await ask(ctx, body);
    assert.equal(json.cache, 'HIT');
    const [call] = json.data.choices[0].message.tool_calls;
    assert.equal(call.function.name, 'get_weather');
    const streamedArgs = live.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
    assert.equal(call.function.arguments, streamedArgs, 'the arguments as they were streamed');
    assert.equal(json.data.choices[0].finish_reason, 'tool_calls');
  });
});

describe('the cache fails open and costs nothing', () => {
  test('when KV fails the provider answers, and the log says why', async () => {
    const ctx = await workspace();
    await ask(ctx, user('kv trouble'));
    // Without coalescing: its object would hand over the answer that just landed.
    const r = await ask(ctx, user('kv trouble'), { 'alephant-test-fault': 'kv-read', 'alephant-cache-coalesce': 'false' });
    assert.equal(r.cache, 'MISS');
    assert.equal(r.data.choices[0].message.content, 'Mock answer to: kv trouble');
    assert.equal(await chatCalls(ctx.tags.openai), 2);
    const row = await logRow(ctx.workspace.id, r.headers.get('alephant-id'));
    assert.equal(row.status, 200);
    assert.match(row.cache_detail, /kv read failed: injected fault/);
  });

  test('hits do not spend the budget; a key policy turns the cache on by default', async () => {
    const ctx = await workspace({ providers: {}, keyOptions: { policy: { cache: { enabled: true, ttl_seconds: 600 } } } });
    const t = tag('acme');
    await admin('POST', `/workspaces/${ctx.workspace.id}/providers`, {
      id: 'acme', adapter: 'openai', base_url: mock.baseUrl(t), auth: 'bearer', models: [{ id: 'acme-out', input: 1, output: 10 }],
    });
    await admin('POST', `/workspaces/${ctx.workspace.id}/provider-keys`, { provider: 'acme', key: 'k' });
    const budget = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, {
      scope_type: 'key', scope_id: ctx.key.id, period: 'total', limit_usd: 1,
    });
    const call = (headers = {}) =>
      ctx.client.chat.completions.create({ model: 'acme/acme-out', ...user('priced question'), max_tokens: 100 }, { headers }).withResponse();
    const first = await call();
    assert.equal(first.response.headers.get('alephant-cache'), 'MISS', 'on by the key policy, no header needed');
    for (let i = 0; i < 3; i++) assert.equal((await call()).response.headers.get('alephant-cache'), 'HIT');
    const off = await call({ 'alephant-cache-enabled': 'false' });
    assert.equal(off.response.headers.get('alephant-cache'), null, 'a header can opt out');
    assert.equal((await mock.requests(t)).length, 2);

    const state = await waitFor(async () => {
      const s = await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`);
      return s.reserved_nanos === 0 ? s : null;
    }, { what: 'settlement' });
    const miss = await logRow(ctx.workspace.id, first.response.headers.get('alephant-id'));
    const uncached = await logRow(ctx.workspace.id, off.response.headers.get('alephant-id'));
    assert.ok(miss.cost_nanos > 0);
    assert.equal(state.spent_nanos, miss.cost_nanos + uncached.cost_nanos, 'only the two provider answers were spent');
  });
});

describe('request coalescing', () => {
  test('20 simultaneous identical requests make one upstream call', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { latency: 1500 } } } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(ctx, user('burst question'))));
    assert.equal(await chatCalls(ctx.tags.openai), 1);
    const statuses = answers.map((a) => a.cache).sort();
    assert.deepEqual(statuses, ['MISS', ...Array(19).fill('HIT')].sort());
    assert.equal(new Set(answers.map((a) => a.data.id)).size, 1, 'everyone got the one answer');
    const follower = answers.find((a) => a.cache === 'HIT');
    const row = await logRow(ctx.workspace.id, follower.headers.get('alephant-id'));
    assert.match(row.cache_detail, /coalesced/);
  });

  test('followers of a failed leader fall through to the provider themselves', async () => {
    const ctx = await workspace({ providers: { openai: { directives: { latency: 800, status: 503 } } } });
    const answers = await Promise.all(Array.from({ length: 3 }, () => ask(ctx, user('doomed burst')).catch((e) => e)));
    assert.ok(answers.every((a) => a.status === 503), 'each got the provider\'s error, none hung');
  });
});

/** The semantic cache's behaviour, on whichever gateway and embeddings model. */
function semanticSuite(name, gateway, embeddingsModel, backend) {
  describe(`semantic cache (${name})`, { skip: gateway ? false : 'gateway not started' }, () => {
    let ctx;
    const semantic = { 'alephant-cache-semantic-threshold': '0.9', 'alephant-embeddings-model': embeddingsModel };
    const asked = (system, q) => ({ messages: [{ role: 'system', content: system }, { role: 'user', content: q }] });
    before(async () => {
      ctx = await workspace({ gateway });
    });

    test('a paraphrase is a semantic hit; an unrelated question and another context are not', async () => {
      const first = await ask(ctx, asked('Be brief.', 'What is the capital of France?'), semantic);
      assert.equal(first.cache, 'MISS');
      const para = await waitFor(async () => {
        const r = await ask(ctx, asked('Be brief.', 'Tell me the capital of France please'), semantic);
        return r.cache === 'SEMANTIC_HIT' ? r : null;
      }, { what: 'the paraphrase to hit', timeoutMs: 15_000, intervalMs: 500 });
      assert.equal(para.data.choices[0].message.content, 'Mock answer to: What is the capital of France?');
      assert.ok(Number(para.headers.get('alephant-cache-similarity')) >= 0.9);
      const row = await logRow(ctx.workspace.id, para.headers.get('alephant-id'), { gateway });
      assert.equal(row.cache_status, 'SEMANTIC_HIT');
      assert.match(row.cache_detail, new RegExp(backend));

      const unrelated = await ask(ctx, asked('Be brief.', 'How do I bake sourdough bread?'), semantic);
      assert.equal(unrelated.cache, 'MISS');
      const otherContext = await ask(ctx, asked('Answer in French.', 'What is the capital of France?'), semantic);
      assert.equal(otherContext.cache, 'MISS', 'same question, other system prompt');
      assert.equal(otherContext.data.choices[0].message.content, 'Mock answer to: What is the capital of France?');
    });
  });
}

semanticSuite('Durable Object stand-in, mock embeddings', GATEWAY, 'openai/text-embedding-3-small', 'durable-object');
semanticSuite('Vectorize binding, Workers AI embeddings', FAKES_GATEWAY, 'workers-ai/@cf/baai/bge-small-en-v1.5', 'vectorize');

describe('semantic cache failing open', { skip: FAKES_GATEWAY ? false : 'gateway not started' }, () => {
  test('embeddings of the wrong size for the index: answered upstream, noted in the log', async () => {
    const ctx = await workspace({ gateway: FAKES_GATEWAY });
    const semantic = { 'alephant-cache-semantic-threshold': '0.9', 'alephant-embeddings-model': 'openai/text-embedding-3-small' };
    const r = await ask(ctx, user('wrong dimensions'), semantic);
    assert.equal(r.cache, 'MISS');
    assert.equal(r.data.choices[0].message.content, 'Mock answer to: wrong dimensions');
    const row = await logRow(ctx.workspace.id, r.headers.get('alephant-id'), { gateway: FAKES_GATEWAY });
    assert.match(row.cache_detail, /semantic/);
  });

  test('an unknown embeddings model is the request\'s 400 only when named badly; a failing one fails open', async () => {
    const ctx = await workspace();
    const e = await ask(ctx, user('no model'), { 'alephant-cache-semantic-threshold': '0.9' }).catch((err) => err);
    assert.equal(e.status, 400);
    const r = await ask(ctx, user('missing provider'), { 'alephant-cache-semantic-threshold': '0.9', 'alephant-embeddings-model': 'cohere/embed-v4.0' });
    assert.equal(r.cache, 'MISS', 'no Cohere key in this workspace: the lookup fails open');
  });
});

describe('cache administration', () => {
  test('a purge forgets every answer; the status endpoint counts hits and savings', async () => {
    const ctx = await workspace();
    await ask(ctx, user('purge me'));
    assert.equal((await ask(ctx, user('purge me'))).cache, 'HIT');
    const purged = await admin('POST', `/workspaces/${ctx.workspace.id}/cache/purge`);
    assert.equal(purged.cache_generation, 1);
    assert.equal((await ask(ctx, user('purge me'))).cache, 'MISS');
    const status = await waitFor(async () => {
      const s = await admin('GET', `/workspaces/${ctx.workspace.id}/cache`);
      return s.by_status.reduce((n, r) => n + r.requests, 0) >= 3 ? s : null;
    }, { what: 'log rows' });
    assert.equal(status.cache_generation, 1);
    assert.equal(status.hit_rate, 1 / 3);
    assert.ok(status.cost_saved_nanos > 0);
    const events = (await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events`)).data;
    assert.ok(events.some((e) => e.action === 'cache.purged'));
  });
});
