// Guardrails through the official SDKs: sensitive values found in every
// text field of a request and tokenized (restored in the answer — streams
// and tool-call arguments included), redacted or refused, per detector and
// direction; workspace rules and deny-word lists; the most specific scope
// deciding; a header that can only tighten; requests built to slip a value
// past the scan; and the value never reaching the provider, the cache, the
// log rows or the archive.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GATEWAY, STATE_DIR, admin, logRow, mock, tag, workspace } from './lib/env.mjs';
import { ROOT, d1, r2Get, waitFor } from './lib/processes.mjs';

const EMAIL = 'alice@example.com';
const OTHER_EMAIL = 'bob@example.org';
const PHONE = '+14155550100';
const CARD = '4111 1111 1111 1111';
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
const LEAKY = `Your key, as asked: here: ${SECRET} and keep it safe.`;
const HEADER = 'alephant-guardrails';
const CACHE_ON = { 'alephant-cache-enabled': 'true' };

/** The placeholder tokenize puts in place of the n-th distinct value of a type: ⟨EMAIL_1⟩. */
const ph = (type, n = 1) => `\u27e8${type}_${n}\u27e9`;
const user = (content) => ({ messages: [{ role: 'user', content }] });
/** A guardrails object with one detector set for one direction. */
const only = (detector, direction, action) => ({ detectors: { [detector]: { [direction]: action } } });
const CONTACTS = { detectors: { email: { input: 'tokenize' }, phone: { input: 'tokenize' } } };
const q = (params) => new URLSearchParams(params).toString();

const sendMail = [{
  type: 'function',
  function: { name: 'send_mail', parameters: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] } },
}];

/** Providers on the mock, each under a fresh tag: `openai`, and `anthropic` in its own format. */
function mocked(...names) {
  const options = { openai: {}, anthropic: { suffix: '' } };
  return Object.fromEntries(names.map((n) => [n, { ...options[n], tag: tag(`guard-${n}`) }]));
}

/** A workspace whose key's policy carries `guardrails` (and any other `policy` fields). */
function guarded(guardrails, { providers = ['openai'], policy = {} } = {}) {
  return workspace({ providers: mocked(...providers), keyOptions: { policy: { ...policy, guardrails } } });
}

/** `ctx` with another key of its workspace, and a client for it. */
function withKey(ctx, vk) {
  return { ...ctx, key: vk, client: new OpenAI({ apiKey: vk.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 }) };
}

const setPolicy = (ctx, kind, id, policy) => admin('PUT', `/workspaces/${ctx.workspace.id}/policies/${kind}/${id}`, policy);

/** The Anthropic SDK as Claude Code uses it (origin base URL, bearer token), or at the native pass-through. */
function claude(ctx, { native = false } = {}) {
  return native
    ? new Anthropic({ apiKey: ctx.key.key, baseURL: `${GATEWAY}/anthropic`, maxRetries: 0 })
    : new Anthropic({ authToken: ctx.key.key, apiKey: null, baseURL: GATEWAY, maxRetries: 0 });
}

/** A chat completion through the SDK: its request id, answer text and cache status. */
async function chat(ctx, body, headers = {}) {
  const id = randomUUID();
  const { data, response } = await ctx.client.chat.completions
    .create({ model: 'gpt-4o-mini', ...body }, { headers: { 'x-request-id': id, ...headers } })
    .withResponse();
  return { id, data, text: data.choices[0].message.content, cache: response.headers.get('alephant-cache') };
}

/**
 * A streamed chat completion: the text deltas and tool-call argument deltas
 * joined, and the error the stream ended with (or was refused with), if any.
 */
async function chatStream(ctx, body, headers = {}) {
  const id = randomUUID();
  const out = { id, text: '', args: '', error: null, cache: null };
  try {
    const { data: stream, response } = await ctx.client.chat.completions
      .create({ model: 'gpt-4o-mini', stream: true, ...body }, { headers: { 'x-request-id': id, ...headers } })
      .withResponse();
    out.cache = response.headers.get('alephant-cache');
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      out.text += delta?.content ?? '';
      for (const call of delta?.tool_calls ?? []) out.args += call.function?.arguments ?? '';
    }
  } catch (e) {
    out.error = e;
  }
  return out;
}

/** A request sent as it is (a string body is sent byte for byte), with the key as bearer token. */
function post(ctx, path, body, headers = {}) {
  return fetch(`${GATEWAY}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The error a call is refused with; fails when it succeeds. */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return assert.fail('expected the request to be refused');
}

/** An OpenAI-shaped guardrail refusal naming detector and direction (and scope), never the values. */
function assertViolation(e, { detector, direction, scope, hidden = [], stream = false }) {
  assert.ok(e instanceof OpenAI.APIError, String(e));
  if (!stream) assert.equal(e.status, 400, String(e));
  assert.equal(e.code, 'guardrail_violation', String(e));
  assert.equal(e.type, 'invalid_request_error');
  assert.match(e.message, new RegExp(`guardrail '${detector}' \\(${direction}\\)`));
  if (scope) assert.match(e.message, scope);
  assertAbsent(`${e.message} ${JSON.stringify(e.error ?? null)}`, hidden, 'the error');
}

function assertAbsent(text, values, what) {
  for (const v of values) assert.ok(!text.includes(v), `${what} holds '${v}'`);
}

/** Every body the mock received under `tag`, as one text. */
async function sentText(t) {
  return JSON.stringify((await mock.requests(t)).map((r) => r.body));
}

/** The latest request the mock received under `tag`. */
async function lastSeen(t) {
  const seen = (await mock.requests(t)).at(-1);
  assert.ok(seen, `the provider (${t}) was called`);
  return seen;
}

/** The first message's content in the latest request the mock received for `ctx`'s OpenAI key. */
async function sentContent(ctx) {
  return (await lastSeen(ctx.tags.openai)).body.messages[0].content;
}

/** No request the mock received under `tag` holds any of `values`. */
async function assertNeverSent(t, values) {
  assertAbsent(await sentText(t), values, `the requests to the provider (${t})`);
}

/** The `guardrails` column of a log row: `[{detector, direction, action, count}, …]`. */
function findings(row) {
  return (typeof row.guardrails === 'string' ? JSON.parse(row.guardrails) : row.guardrails) ?? [];
}

/** Asserts the row has a finding for `detector`/`direction` with the given fields. */
function assertFinding(row, expected) {
  const f = findings(row).find((x) => x.detector === expected.detector && x.direction === expected.direction);
  assert.ok(f, `a ${expected.detector} (${expected.direction}) finding in ${JSON.stringify(row.guardrails)}`);
  for (const [k, v] of Object.entries(expected)) assert.equal(f[k], v, `finding ${k}`);
}

/** The `policy.guardrail_violation` audit event of a request. */
function violationAudit(ctx, requestId) {
  return waitFor(async () => {
    const events = await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events?action=policy.guardrail_violation`);
    return events.data.find((a) => a.request_id === requestId);
  }, { what: 'the guardrail audit event' });
}

/** A value of the gateway's local KV cache namespace, as text ('' when absent). */
async function kvGet(key) {
  const { stdout } = await promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['kv', 'key', 'get', key, '--binding', 'CACHE', '--local', '--persist-to', STATE_DIR],
    { cwd: ROOT, env: { ...process.env, CI: '1' }, maxBuffer: 64 * 1024 * 1024 },
  ).catch(() => ({ stdout: '' }));
  return stdout;
}

describe('tokenize and restore', () => {
  test('the provider sees numbered placeholders; the client gets the originals back', async () => {
    const ctx = await guarded(CONTACTS);
    await mock.script(ctx.tags.openai, [{ content: `Write to ${ph('EMAIL')} or call ${ph('PHONE')}.` }]);
    const r = await chat(ctx, user(`I am ${EMAIL}, ${PHONE}; my colleague is ${OTHER_EMAIL}; again: ${EMAIL}.`));
    assert.equal(r.text, `Write to ${EMAIL} or call ${PHONE}.`);

    const seen = await lastSeen(ctx.tags.openai);
    assert.equal(
      seen.body.messages[0].content,
      `I am ${ph('EMAIL')}, ${ph('PHONE')}; my colleague is ${ph('EMAIL', 2)}; again: ${ph('EMAIL')}.`,
      'the same value, the same placeholder',
    );
    assertAbsent(JSON.stringify(seen.body), [EMAIL, OTHER_EMAIL, PHONE], 'the provider request');

    const row = await logRow(ctx.workspace.id, r.id);
    assertFinding(row, { detector: 'email', direction: 'input', action: 'tokenize', count: 3 });
    assertFinding(row, { detector: 'phone', direction: 'input', action: 'tokenize', count: 1 });
    assertAbsent(JSON.stringify(row), [EMAIL, OTHER_EMAIL, PHONE], 'the log row');
  });

  test('placeholders the request did not issue are left as they are', async () => {
    const ctx = await guarded(CONTACTS);
    await mock.script(ctx.tags.openai, [{ content: `Known ${ph('EMAIL')}, unknown ${ph('EMAIL', 7)} and ${ph('CARD')}.` }]);
    const r = await chat(ctx, user(`Mail ${EMAIL}`));
    assert.equal(r.text, `Known ${EMAIL}, unknown ${ph('EMAIL', 7)} and ${ph('CARD')}.`);
  });

  for (const p of [
    { name: 'an OpenAI-format provider', provider: 'openai', model: 'gpt-4o-mini' },
    { name: 'a translated provider (Anthropic upstream)', provider: 'anthropic', model: 'anthropic/claude-haiku-4-5' },
  ]) {
    test(`${p.name}: restored in JSON answers and in the stream's deltas`, async () => {
      const ctx = await guarded(CONTACTS, { providers: [p.provider] });
      const answer = `Write to ${ph('EMAIL')} or call ${ph('PHONE')}.`;
      await mock.script(ctx.tags[p.provider], [{ content: answer }, { content: answer }]);
      const body = { model: p.model, ...user(`Reach me at ${EMAIL} or ${PHONE}`) };
      const json = await chat(ctx, body);
      assert.equal(json.text, `Write to ${EMAIL} or call ${PHONE}.`);
      const streamed = await chatStream(ctx, body);
      assert.equal(streamed.error, null, String(streamed.error));
      assert.equal(streamed.text, `Write to ${EMAIL} or call ${PHONE}.`);

      const sent = await sentText(ctx.tags[p.provider]);
      assert.ok(sent.includes(ph('EMAIL')) && sent.includes(ph('PHONE')), sent);
      assertAbsent(sent, [EMAIL, PHONE], 'the provider requests');
    });
  }

  test('tool-call arguments are restored, also when a stream splits a placeholder', async () => {
    // Offered a tool, the mock calls it with the user's words as `to` and
    // streams the arguments in two halves: `{"to":"⟨E` and `MAIL_1⟩"}`.
    const ctx = await guarded(CONTACTS);
    const body = { ...user(EMAIL), tools: sendMail };
    const json = await chat(ctx, body);
    const [call] = json.data.choices[0].message.tool_calls;
    assert.equal(call.function.name, 'send_mail');
    assert.deepEqual(JSON.parse(call.function.arguments), { to: EMAIL });
    assert.equal(await sentContent(ctx), ph('EMAIL'));

    const streamed = await chatStream(ctx, body);
    assert.equal(streamed.error, null, String(streamed.error));
    assert.deepEqual(JSON.parse(streamed.args), { to: EMAIL });
    await assertNeverSent(ctx.tags.openai, [EMAIL]);
  });

  test('the Responses API: output text restored, JSON and stream', async () => {
    const ctx = await guarded(CONTACTS);
    const expected = `Mock answer to: Reply to ${EMAIL}`;
    const first = await ctx.client.responses.create({ model: 'gpt-4o-mini', input: `Reply to ${EMAIL}` });
    assert.equal(first.output_text, expected);
    const stream = ctx.client.responses.stream({ model: 'gpt-4o-mini', input: `Reply to ${EMAIL}` });
    let text = '';
    stream.on('response.output_text.delta', (e) => { text += e.delta; });
    const final = await stream.finalResponse();
    assert.equal(text, expected);
    assert.equal(final.output_text, expected);
    assert.equal((await lastSeen(ctx.tags.openai)).body.input, `Reply to ${ph('EMAIL')}`);
    await assertNeverSent(ctx.tags.openai, [EMAIL]);
  });
});

describe('the Messages API through the Anthropic SDK', () => {
  const ROUTES = [
    { name: 'an Anthropic model, forwarded', model: 'claude-haiku-4-5', provider: 'anthropic' },
    { name: 'an OpenAI model, translated', model: 'openai/gpt-4o-mini', provider: 'openai' },
    { name: 'native pass-through /anthropic', model: 'claude-haiku-4-5', provider: 'anthropic', native: true },
  ];

  for (const route of ROUTES) {
    test(`${route.name}: tokenized upstream, restored in the message and the stream`, async () => {
      const ctx = await guarded(CONTACTS, { providers: ['openai', 'anthropic'] });
      const client = claude(ctx, route);
      const answer = `Write to ${ph('EMAIL')} or call ${ph('PHONE')}.`;
      await mock.script(ctx.tags[route.provider], [{ content: answer }, { content: answer }]);
      const body = { model: route.model, max_tokens: 100, system: 'Reply to the sender.', messages: [{ role: 'user', content: `Reach me at ${EMAIL} or ${PHONE}` }] };
      const expected = `Write to ${EMAIL} or call ${PHONE}.`;

      const msg = await client.messages.create(body);
      assert.equal(msg.content[0].text, expected);
      const stream = client.messages.stream(body);
      let text = '';
      stream.on('text', (t) => { text += t; });
      const final = await stream.finalMessage();
      assert.equal(text, expected);
      assert.equal(final.content.map((b) => b.text ?? '').join(''), expected);

      const sent = await sentText(ctx.tags[route.provider]);
      assert.ok(sent.includes(ph('EMAIL')), sent);
      assertAbsent(sent, [EMAIL, PHONE], 'the provider requests');
    });
  }

  test('an input block is an error in Anthropic\'s shape; an output block ends the stream with an error event', async () => {
    const ctx = await guarded({ detectors: { email: { input: 'block' }, secret: { output: 'block' } } }, { providers: ['anthropic'] });
    const client = claude(ctx);
    const e = await refusal(client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: `Mail ${EMAIL}` }] }));
    assert.ok(e instanceof Anthropic.BadRequestError, String(e));
    assert.equal(e.error.type, 'error');
    assert.equal(e.error.error.type, 'invalid_request_error');
    assert.match(e.error.error.message, /guardrail 'email' \(input\)/);
    assertAbsent(JSON.stringify(e.error), [EMAIL], 'the error');
    assert.equal((await mock.requests(ctx.tags.anthropic)).length, 0, 'nothing reached the provider');

    await mock.script(ctx.tags.anthropic, [{ content: LEAKY }]);
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'my key?' }] });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const failed = await refusal(stream.finalMessage());
    assert.match(`${failed.message} ${JSON.stringify(failed.error ?? null)}`, /guardrail 'secret' \(output\)/);
    assertAbsent(text, [SECRET, 'sk-proj'], 'the streamed text');
  });
});

describe('redact and block', () => {
  test('redact on input: the provider gets the mask, and nothing is restored', async () => {
    const ctx = await guarded(only('email', 'input', 'redact'));
    const r = await chat(ctx, user(`Mail ${EMAIL} please`));
    assert.equal(await sentContent(ctx), 'Mail [EMAIL] please');
    assert.equal(r.text, 'Mock answer to: Mail [EMAIL] please');
    assertFinding(await logRow(ctx.workspace.id, r.id), { detector: 'email', direction: 'input', action: 'redact', count: 1 });
  });

  test('block on input: a 400 naming detector, direction and scope, nothing upstream, logged and audited', async () => {
    const ctx = await workspace({ providers: mocked('openai') });
    await setPolicy(ctx, 'workspace', ctx.workspace.id, { guardrails: only('card', 'input', 'block') });
    const id = randomUUID();
    const e = await refusal(chat(ctx, user(`Charge ${CARD} now`), { 'x-request-id': id }));
    assertViolation(e, { detector: 'card', direction: 'input', scope: /workspace policy/, hidden: [CARD, CARD.replaceAll(' ', '')] });
    assert.equal((await mock.requests(ctx.tags.openai)).length, 0, 'nothing reached the provider');

    const row = await logRow(ctx.workspace.id, id);
    assert.deepEqual([row.status, row.error_code], [400, 'guardrail_violation']);
    assertFinding(row, { detector: 'card', direction: 'input', action: 'block' });
    const audit = await violationAudit(ctx, row.id);
    assert.equal(audit.actor, `key:${ctx.key.id}`);
    assertAbsent(JSON.stringify([row, audit]), [CARD, CARD.replaceAll(' ', '')], 'the log row and audit event');
  });

  test('redact on output: a secret in the answer is masked, JSON and stream', async () => {
    const ctx = await guarded(only('secret', 'output', 'redact'));
    await mock.script(ctx.tags.openai, [{ content: LEAKY }, { content: LEAKY }]);
    const masked = LEAKY.replace(SECRET, '[SECRET]');
    const json = await chat(ctx, user('my key?'));
    assert.equal(json.text, masked);
    const streamed = await chatStream(ctx, user('my key?'));
    assert.equal(streamed.error, null, String(streamed.error));
    assert.equal(streamed.text, masked);
    const row = await logRow(ctx.workspace.id, streamed.id);
    assertFinding(row, { detector: 'secret', direction: 'output', action: 'redact', count: 1 });
    assertAbsent(JSON.stringify(row), [SECRET], 'the log row');
  });

  test('block on output: a JSON answer is withheld with a 400, and audited', async () => {
    const ctx = await guarded(only('secret', 'output', 'block'));
    await mock.script(ctx.tags.openai, [{ content: LEAKY }]);
    const id = randomUUID();
    const e = await refusal(chat(ctx, user('my key?'), { 'x-request-id': id }));
    assertViolation(e, { detector: 'secret', direction: 'output', hidden: [SECRET, 'sk-proj'] });
    assert.match(e.message, /withheld/);
    const row = await logRow(ctx.workspace.id, id);
    assertFinding(row, { detector: 'secret', direction: 'output', action: 'block' });
    await violationAudit(ctx, row.id);
  });

  test('block on output: a stream ends with a guardrail_violation error event, the secret unsent', async () => {
    const ctx = await guarded(only('secret', 'output', 'block'));
    await mock.script(ctx.tags.openai, [{ content: LEAKY }]);
    const streamed = await chatStream(ctx, user('my key?'));
    assert.ok(streamed.error, 'the stream ended with an error');
    assertViolation(streamed.error, { detector: 'secret', direction: 'output', hidden: [SECRET], stream: true });
    assertAbsent(streamed.text, [SECRET, 'sk-proj'], 'the streamed text');
    assertFinding(await logRow(ctx.workspace.id, streamed.id), { detector: 'secret', direction: 'output', action: 'block' });
  });
});

describe('detectors', () => {
  const ghp = `ghp_${'a1B2'.repeat(9)}`;
  const DETECTORS = {
    email: { found: [EMAIL, 'first.last+tag@mail.example.co.uk'], kept: ['@handle', 'root@localhost'] },
    phone: { found: [PHONE, '(415) 555-0100', '415-555-0100', '+44 20 7946 0958'], kept: ['order 4155550100', '2024-01-15'] },
    card: { found: [CARD, '5555-5555-5555-4444', '378282246310005'], kept: ['4111 1111 1111 1112', '1234 5678'] },
    iban: { found: ['DE89370400440532013000', 'GB82 WEST 1234 5698 7654 32'], kept: ['DE89370400440532013001'] },
    ssn: { found: ['123-45-6789'], kept: ['000-12-3456', '666-12-3456', '912-34-5678'] },
    ip: { found: ['192.168.1.20', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8::1'], kept: ['999.1.1.1', 'version 1.2.3'] },
    secret: {
      found: [
        SECRET,
        'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH',
        'AKIAIOSFODNN7EXAMPLE',
        ghp,
        `ghs_${'Z9y8'.repeat(9)}`,
        `github_pat_11${'A1b2'.repeat(5)}_${'c3D4'.repeat(14)}xyz`,
        `glpat-${'x1Y2'.repeat(5)}`,
        'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
        '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----',
      ],
      kept: ['risk-free', 'AKIA1234', 'ghp_short'],
    },
  };

  for (const [detector, { found, kept }] of Object.entries(DETECTORS)) {
    test(`${detector}: found values become [${detector.toUpperCase()}], look-alikes pass`, async () => {
      const ctx = await guarded(only(detector, 'input', 'redact'));
      const samples = [...found, ...kept];
      await chat(ctx, { messages: samples.map((s) => ({ role: 'user', content: `ref ${s} end` })) });
      const got = (await lastSeen(ctx.tags.openai)).body.messages.map((m) => m.content);
      const want = [...found.map(() => `ref [${detector.toUpperCase()}] end`), ...kept.map((s) => `ref ${s} end`)];
      for (let i = 0; i < samples.length; i++) assert.equal(got[i], want[i], `${detector}: ${JSON.stringify(samples[i])}`);
    });
  }
});

describe('values cannot be slipped past the scan', () => {
  const MAIL = `mail ${EMAIL}`;
  const lookup = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } };
  const assistantCall = (args) => ({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: args } }] });
  const VECTORS = [
    { what: 'a system message', body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: `Escalate to ${EMAIL}.` }, { role: 'user', content: 'hi' }] } },
    { what: 'an array of content parts', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'Please' }, { type: 'text', text: MAIL }] }] } },
    {
      what: 'a tool result message',
      body: { model: 'gpt-4o-mini', tools: [lookup], messages: [{ role: 'user', content: 'who owns it?' }, assistantCall('{"q":"owner"}'), { role: 'tool', tool_call_id: 'call_1', content: `owner: ${EMAIL}` }] },
    },
    {
      what: 'assistant tool-call arguments',
      body: { model: 'gpt-4o-mini', tools: [lookup], messages: [{ role: 'user', content: 'find them' }, assistantCall(JSON.stringify({ q: EMAIL })), { role: 'tool', tool_call_id: 'call_1', content: 'no match' }] },
    },
    { what: 'an embeddings input array', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['first', MAIL] } },
    { what: 'a completions prompt', path: '/v1/completions', body: { model: 'openai/gpt-3.5-turbo-instruct', prompt: MAIL } },
    { what: 'a completions prompt array', path: '/v1/completions', body: { model: 'openai/gpt-3.5-turbo-instruct', prompt: ['first', MAIL] } },
    {
      what: 'Responses input and instructions',
      path: '/v1/responses',
      body: { model: 'gpt-4o-mini', instructions: `cc ${EMAIL}`, input: [{ role: 'user', content: [{ type: 'input_text', text: MAIL }] }] },
    },
    {
      what: 'a Responses function call and its output',
      path: '/v1/responses',
      body: {
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', name: 'lookup', parameters: lookup.function.parameters }],
        input: [
          { role: 'user', content: 'who?' },
          { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: JSON.stringify({ q: EMAIL }) },
          { type: 'function_call_output', call_id: 'call_1', output: `owner: ${EMAIL}` },
        ],
      },
    },
    {
      what: 'a Messages system prompt, tool_use input and tool_result',
      path: '/v1/messages',
      provider: 'anthropic',
      body: {
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        system: `cc ${EMAIL}`,
        tools: [{ name: 'lookup', input_schema: lookup.function.parameters }],
        messages: [
          { role: 'user', content: 'who?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: EMAIL } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `owner: ${EMAIL}` }] },
        ],
      },
    },
    { what: 'native pass-through /openai/v1/chat/completions', path: '/openai/v1/chat/completions', body: { model: 'gpt-4o-mini', ...user(MAIL) } },
    {
      what: 'native pass-through /anthropic/v1/messages',
      path: '/anthropic/v1/messages',
      provider: 'anthropic',
      headers: { 'anthropic-version': '2023-06-01' },
      body: { model: 'claude-haiku-4-5', max_tokens: 100, ...user(MAIL) },
    },
    { what: 'a \\u-escaped value', body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"mail alice\\u0040example.com"}]}' },
  ];

  let ctx;
  before(async () => {
    ctx = await guarded(only('email', 'input', 'redact'), { providers: ['openai', 'anthropic'] });
  });

  for (const v of VECTORS) {
    test(`${v.what}: the provider gets the mask, never the value`, async () => {
      const r = await post(ctx, v.path ?? '/v1/chat/completions', v.body, v.headers);
      const answer = await r.text();
      assert.equal(r.status, 200, answer);
      const t = ctx.tags[v.provider ?? 'openai'];
      assert.ok(JSON.stringify((await lastSeen(t)).body).includes('[EMAIL]'), 'the mask took the value\'s place');
      await assertNeverSent(t, [EMAIL]);
    });
  }

  const DUPLICATES = [
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${EMAIL}","content":"hi"}]}`,
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi","content":"${EMAIL}"}]}`,
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${EMAIL}"}],"messages":[{"role":"user","content":"hi"}]}`,
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"${EMAIL}"}]}`,
  ];
  for (const action of ['redact', 'block']) {
    test(`duplicate JSON keys do not smuggle a value past ${action}`, async () => {
      const dup = await guarded(only('email', 'input', action));
      const t = dup.tags.openai;
      for (const path of ['/v1/chat/completions', '/openai/v1/chat/completions']) {
        for (const text of DUPLICATES) {
          const before = (await mock.requests(t)).length;
          const r = await post(dup, path, text);
          const answer = await r.text();
          assert.ok([200, 400].includes(r.status), `${path} ${text} → ${r.status} ${answer}`);
          const reqs = await mock.requests(t);
          // The mock records the body parsed (the last duplicate wins), so
          // raw bytes forwarded with both values would look clean: their
          // length gives them away.
          const length = Number(reqs.at(-1)?.headers['content-length']);
          if (reqs.length > before && length) {
            assert.equal(length, Buffer.byteLength(JSON.stringify(reqs.at(-1).body)), `${path} ${text}: the provider got one value per key, not the raw duplicates`);
          }
        }
      }
      await assertNeverSent(t, [EMAIL]);
    });
  }
});

describe('the alephant-guardrails header', () => {
  test('a header tightens an action, and cannot loosen one', async () => {
    const blocking = await guarded(only('email', 'input', 'block'));
    for (const h of ['email=off', 'input.email=log', 'email=redact']) {
      const e = await refusal(chat(blocking, user(`Mail ${EMAIL}`), { [HEADER]: h }));
      assertViolation(e, { detector: 'email', direction: 'input', hidden: [EMAIL] });
    }
    // The loosening entry is ignored; the other entry of the same header applies.
    await chat(blocking, user(`Call ${PHONE}`), { [HEADER]: 'email=off, phone=redact' });
    assert.equal(await sentContent(blocking), 'Call [PHONE]');
    await assertNeverSent(blocking.tags.openai, [EMAIL]);

    const redacting = await guarded(only('email', 'input', 'redact'));
    await chat(redacting, user(`Mail ${EMAIL}`), { [HEADER]: 'email=log' });
    assert.equal(await sentContent(redacting), 'Mail [EMAIL]');
    const e = await refusal(chat(redacting, user(`Mail ${EMAIL}`), { [HEADER]: 'email=block' }));
    assertViolation(e, { detector: 'email', direction: 'input', hidden: [EMAIL] });
  });

  test('a header turns detectors on for a key without guardrails, per direction', async () => {
    const plain = await guarded();
    await mock.script(plain.tags.openai, [{ content: LEAKY }]);
    const r = await chat(plain, user(`Call ${PHONE}`), { [HEADER]: 'input.phone=redact, output.secret=redact' });
    assert.equal(await sentContent(plain), 'Call [PHONE]');
    assert.equal(r.text, LEAKY.replace(SECRET, '[SECRET]'));
    const e = await refusal(chat(plain, user(`Mail ${EMAIL}`), { [HEADER]: 'email=block' }));
    assertViolation(e, { detector: 'email', direction: 'input', hidden: [EMAIL] });
  });

  test('an unknown detector, direction or action is a 400 invalid_guardrails_header', async () => {
    const ctx = await guarded();
    for (const h of ['email=shred', 'fingerprint=block', 'sideways.email=block']) {
      const e = await refusal(chat(ctx, user('hi'), { [HEADER]: h }));
      assert.equal(e.status, 400, h);
      assert.equal(e.code, 'invalid_guardrails_header', h);
    }
    assert.equal((await mock.requests(ctx.tags.openai)).length, 0);
  });
});

describe('the cache, the logs and the archive hold only the guarded body', () => {
  test('tokenized requests: a hit is restored per request; no row, archive or cache entry holds the value', async () => {
    const ctx = await guarded(only('email', 'input', 'tokenize'), { policy: { archive_bodies: true } });
    const ask = (email) => user(`Forward this to ${email} please`);
    const answer = (email) => `Mock answer to: Forward this to ${email} please`;
    const first = await chat(ctx, ask(EMAIL), CACHE_ON);
    const second = await chat(ctx, ask(EMAIL), CACHE_ON);
    assert.deepEqual([first.cache, second.cache], ['MISS', 'HIT']);
    assert.equal(first.text, answer(EMAIL));
    assert.equal(second.text, answer(EMAIL), 'the stored placeholder restored for this request');
    // Another address tokenizes to the same guarded body: the same entry,
    // restored with this request's own value.
    const other = await chat(ctx, ask(OTHER_EMAIL), CACHE_ON);
    assert.equal(other.cache, 'HIT');
    assert.equal(other.text, answer(OTHER_EMAIL));
    const streamed = await chatStream(ctx, ask(EMAIL), CACHE_ON);
    assert.equal(streamed.cache, 'HIT');
    assert.equal(streamed.text, answer(EMAIL));
    assert.equal((await mock.requests(ctx.tags.openai)).length, 1);

    const values = [EMAIL, OTHER_EMAIL];
    const rows = await Promise.all([first, second, other, streamed].map((r) => logRow(ctx.workspace.id, r.id)));
    assert.ok(rows.every((r) => r.cache_key && r.cache_key === rows[0].cache_key), 'one cache entry');
    for (const row of rows) assertAbsent(JSON.stringify(row), values, `log row ${row.id}`);
    const stored = await d1(STATE_DIR, `SELECT * FROM request_logs WHERE workspace_id = '${ctx.workspace.id}'`);
    assert.equal(stored.length, 4);
    assertAbsent(JSON.stringify(stored), values, 'the D1 request_logs rows');
    assertAbsent(JSON.stringify(await d1(STATE_DIR, `SELECT * FROM audit_events WHERE workspace_id = '${ctx.workspace.id}'`)), values, 'the audit events');

    const archived = rows.flatMap((r) => [r.request_body_key, r.response_body_key]).filter(Boolean);
    assert.ok(rows[0].request_body_key && rows[0].response_body_key, 'the policy archives bodies');
    for (const key of archived) assertAbsent((await r2Get(STATE_DIR, key)) ?? '', values, `the archived ${key}`);
    assert.ok((await r2Get(STATE_DIR, rows[0].request_body_key)).includes(ph('EMAIL')), 'the archived request is the guarded one');

    const entry = await waitFor(async () => {
      const text = await kvGet(`c1/${ctx.workspace.id}/${rows[0].cache_key}`);
      return text.includes('Forward this to') ? text : null;
    }, { what: 'the cache entry in KV' });
    assert.ok(entry.includes(ph('EMAIL')), 'the cached answer holds the placeholder');
    assertAbsent(entry, values, 'the cache entry');
    await assertNeverSent(ctx.tags.openai, values);
  });
});

describe('workspace rules and deny words', () => {
  const rule = (over) => ({ id: 'codename', pattern: '(?i)project\\s+falcon', input: 'redact', ...over });
  const many = (n, make) => Array.from({ length: n }, (_, i) => make(i));

  test('rules and lists are checked when written, naming the field', async () => {
    const ctx = await workspace({ providers: mocked('openai') });
    const ws = ctx.workspace.id;
    const cases = [
      [{ rules: [rule({ pattern: '(?i)project\\s+(falcon' })] }, 'guardrails.rules[0].pattern'],
      [{ rules: [rule({ pattern: 'a'.repeat(1001) })] }, 'guardrails.rules[0].pattern'],
      [{ rules: [rule({ id: 'ok', pattern: 'x' }), rule({ pattern: '(?:\\w{1000}){1000}' })] }, 'guardrails.rules[1].pattern'],
      [{ rules: many(51, (i) => rule({ id: `r${i}` })) }, /rules/],
      [{ deny_words: many(51, (i) => ({ id: `d${i}`, words: ['x'], input: 'block' })) }, /deny.words?/],
      [{ deny_words: [{ id: 'big', words: many(501, (i) => `w${i}`), input: 'block' }] }, /deny.words?/],
      [{ detectors: { fingerprint: { input: 'block' } } }, /fingerprint/],
      [{ detectors: { email: { input: 'shred' } } }, /shred/],
      [{ detectors: { email: { output: 'tokenize' } } }, /email/],
    ];
    for (const [guardrails, param] of cases) {
      const r = await admin('PUT', `/workspaces/${ws}/policies/workspace/${ws}`, { guardrails }, { raw: true });
      const what = JSON.stringify(guardrails).slice(0, 120);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
      if (typeof param === 'string') assert.equal(r.body.error.param, param, what);
      else assert.match(`${r.body.error.param} ${r.body.error.message}`, param, what);
    }
    // A key's policy is checked the same way, when the key is made and when it is changed.
    const bad = { guardrails: cases[0][0] };
    const made = await admin('POST', `/workspaces/${ws}/virtual-keys`, { name: 'k', policy: bad }, { raw: true });
    assert.equal(made.status, 400, `a new key: ${JSON.stringify(made.body)}`);
    const patched = await admin('PATCH', `/workspaces/${ws}/virtual-keys/${ctx.key.id}`, { policy: bad }, { raw: true });
    assert.equal(patched.status, 400, `a changed key: ${JSON.stringify(patched.body)}`);
    assert.equal(patched.body.error.param, 'guardrails.rules[0].pattern');
  });

  test('a rule redacts to its id, a deny word blocks as a whole word in any case', async () => {
    const ctx = await workspace({ providers: mocked('openai') });
    await setPolicy(ctx, 'workspace', ctx.workspace.id, {
      guardrails: {
        rules: [rule({ output: 'block' })],
        deny_words: [{ id: 'competitors', words: ['acme', 'globex'], input: 'block' }, { id: 'internal', words: ['bluebird'], input: 'redact' }],
      },
    });
    await chat(ctx, user('Status of PROJECT   Falcon and Bluebird?'));
    assert.equal(await sentContent(ctx), 'Status of [CODENAME] and [INTERNAL]?');

    for (const text of ['Are we cheaper than Acme?', 'GLOBEX called.']) {
      const e = await refusal(chat(ctx, user(text)));
      assertViolation(e, { detector: 'competitors', direction: 'input', scope: /workspace policy/ });
    }
    await chat(ctx, user('Meet me in Acmeville, at the globexpo.'));
    assert.equal(await sentContent(ctx), 'Meet me in Acmeville, at the globexpo.', 'only whole words');

    await mock.script(ctx.tags.openai, [{ content: 'Project Falcon ships on Monday.' }]);
    const e = await refusal(chat(ctx, user('any news?')));
    assertViolation(e, { detector: 'codename', direction: 'output', hidden: ['Falcon'] });
  });
});

describe('the most specific scope decides', () => {
  test('the key over the workspace, both ways, per detector and direction', async () => {
    const ctx = await guarded(only('email', 'input', 'log'));
    await setPolicy(ctx, 'workspace', ctx.workspace.id, { guardrails: only('email', 'input', 'block') });
    const r = await chat(ctx, user(`Mail ${EMAIL}`));
    assert.equal(await sentContent(ctx), `Mail ${EMAIL}`, 'log lets the value through');
    assertFinding(await logRow(ctx.workspace.id, r.id), { detector: 'email', direction: 'input', action: 'log', count: 1 });
    // A key that names only email's output leaves email's input to the workspace.
    const outputOnly = withKey(ctx, await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys`, { name: 'output only', policy: { guardrails: only('email', 'output', 'redact') } }));
    assertViolation(await refusal(chat(outputOnly, user(`Mail ${EMAIL}`))), { detector: 'email', direction: 'input', scope: /workspace policy/ });

    const reverse = await guarded(only('email', 'input', 'block'));
    await setPolicy(reverse, 'workspace', reverse.workspace.id, { guardrails: only('email', 'input', 'log') });
    assertViolation(await refusal(chat(reverse, user(`Mail ${EMAIL}`))), { detector: 'email', direction: 'input', scope: /key/ });
    assert.equal((await mock.requests(reverse.tags.openai)).length, 0);
  });

  test('an agent over its department', async () => {
    const ctx = await workspace({ providers: mocked('openai') });
    const ws = ctx.workspace.id;
    const agent = await admin('POST', `/workspaces/${ws}/agents`, { name: `planner-${tag()}`, department: 'research' });
    await setPolicy(ctx, 'department', 'research', { guardrails: only('email', 'input', 'block') });
    await setPolicy(ctx, 'agent', agent.id, { guardrails: only('email', 'input', 'redact') });
    const agentKey = withKey(ctx, await admin('POST', `/workspaces/${ws}/virtual-keys`, { name: 'agent', agent_id: agent.id, department: 'research' }));
    const deptKey = withKey(ctx, await admin('POST', `/workspaces/${ws}/virtual-keys`, { name: 'dept', department: 'research' }));
    await chat(agentKey, user(`Mail ${EMAIL}`));
    assert.equal(await sentContent(ctx), 'Mail [EMAIL]');
    assertViolation(await refusal(chat(deptKey, user(`Mail ${EMAIL}`))), { detector: 'email', direction: 'input', scope: /department/ });
    await assertNeverSent(ctx.tags.openai, [EMAIL]);
  });
});

describe('max_input_tokens', () => {
  test('a prompt over the limit is a 400 that never reaches the provider', async () => {
    const ctx = await guarded({ max_input_tokens: 50 });
    await chat(ctx, user('a short question'));
    const e = await refusal(chat(ctx, user('lorem ipsum dolor sit amet '.repeat(100))));
    assert.equal(e.status, 400);
    assert.equal(e.code, 'max_input_tokens_exceeded');
    assert.equal((await mock.requests(ctx.tags.openai)).length, 1, 'only the short one');
  });
});

describe('analytics', () => {
  test('group_by=guardrail counts requests per detector', async () => {
    const from = Date.now() - 60_000;
    const ctx = await guarded({ detectors: { email: { input: 'log' }, phone: { input: 'log' } } });
    const sent = [
      await chat(ctx, user(`a ${EMAIL}`)),
      await chat(ctx, user(`b ${EMAIL} and ${OTHER_EMAIL}, ${PHONE}`)),
      await chat(ctx, user('nothing to find')),
    ];
    for (const s of sent) await logRow(ctx.workspace.id, s.id);
    const a = await admin('GET', `/workspaces/${ctx.workspace.id}/analytics?${q({ from, to: Date.now() + 60_000, group_by: 'guardrail' })}`);
    assert.deepEqual(a.group_by, ['guardrail']);
    const group = (name) => a.groups.find((g) => g.group.guardrail === name);
    assert.equal(group('email')?.requests, 2, JSON.stringify(a.groups));
    assert.equal(group('phone')?.requests, 1, JSON.stringify(a.groups));
  });
});

describe('output_schema: answers held to the JSON schema the request asked for', () => {
  const schema = { type: 'object', additionalProperties: false, required: ['city'], properties: { city: { type: 'string' } } };
  const asking = { response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } };
  const router = (ctx, name, config) => admin('POST', `/workspaces/${ctx.workspace.id}/routers`, { name, config });

  test('reject: a non-conforming answer is a 502 invalid_model_output saying where; a conforming one passes', async () => {
    const ctx = await guarded({ output_schema: 'reject' });
    await mock.script(ctx.tags.openai, [{ content: '{"city":"Oslo"}' }, { content: '{"town":"Oslo"}' }, { content: 'Oslo, I think' }]);
    const ok = await chat(ctx, { ...asking, ...user('where?') });
    assert.deepEqual(JSON.parse(ok.text), { city: 'Oslo' });
    const e = await refusal(chat(ctx, { ...asking, ...user('where?') }));
    assert.equal(e.status, 502);
    assert.equal(e.code, 'invalid_model_output');
    assert.match(e.message, /required property 'city' is missing/);
    const notJson = await refusal(chat(ctx, { ...asking, ...user('where?') }));
    assert.match(notJson.message, /not JSON/);
    // Without a schema in the request nothing is checked.
    await mock.script(ctx.tags.openai, [{ content: 'free text' }]);
    assert.equal((await chat(ctx, user('where?'))).text, 'free text');
  });

  test('fallback: the next target of the route is tried once, and its answer sent when it conforms', async () => {
    const ctx = await guarded({ output_schema: 'fallback' }, { providers: ['openai', 'anthropic'] });
    await router(ctx, 'places', { strategy: 'fallback', targets: [
      { provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'anthropic', model: 'claude-haiku-4-5' }] });
    await mock.script(ctx.tags.openai, [{ content: '{"town":"Oslo"}' }]);
    await mock.script(ctx.tags.anthropic, [{ content: '{"city":"Bergen"}' }]);
    const id = randomUUID();
    const { data, response } = await ctx.client.chat.completions
      .create({ model: 'router/places', ...asking, ...user('where?') }, { headers: { 'x-request-id': id } })
      .withResponse();
    assert.deepEqual(JSON.parse(data.choices[0].message.content), { city: 'Bergen' });
    assert.equal(response.headers.get('alephant-provider'), 'anthropic');
    const row = await logRow(ctx.workspace.id, id);
    const decisions = typeof row.policy === 'string' ? JSON.parse(row.policy) : row.policy;
    assert.ok(decisions.some((d) => d.decision === 'invalid_model_output' && d.action === 'fallback'), JSON.stringify(decisions));
  });

  test('fallback with no target left: the non-conforming answer is rejected', async () => {
    const ctx = await guarded({ output_schema: 'fallback' });
    await mock.script(ctx.tags.openai, [{ content: '[]' }]);
    const e = await refusal(chat(ctx, { ...asking, ...user('where?') }));
    assert.equal(e.code, 'invalid_model_output');
    assert.match(e.message, /expected object, got array/);
  });
});

describe('moderation: a moderation model as a guardrail', () => {
  const moderation = (extra = {}) => ({ model: 'openai/omni-moderation-latest', threshold: 0.5, ...extra });

  test('a flagged request is a 400 naming the category; the moderation call sees only the guarded text', async () => {
    const ctx = await guarded({ ...CONTACTS, moderation: moderation() });
    const e = await refusal(chat(ctx, user(`Here is my attack plan, reply to ${EMAIL}`)));
    assertViolation(e, { detector: 'moderation', direction: 'input', hidden: [EMAIL] });
    assert.match(e.message, /violence 0\.93/);
    const calls = (await mock.requests(ctx.tags.openai)).filter((r) => r.path.endsWith('/moderations'));
    assert.equal(calls.length, 1, 'one moderation call');
    assert.ok(calls[0].body.input.includes(ph('EMAIL')), JSON.stringify(calls[0].body));
    assertAbsent(JSON.stringify(calls[0].body), [EMAIL], 'the moderation request');
    assert.equal((await mock.requests(ctx.tags.openai)).filter((r) => r.path.endsWith('/chat/completions')).length, 0);

    const ok = await chat(ctx, user('What is the capital of Norway?'));
    const row = await logRow(ctx.workspace.id, ok.id);
    const decisions = typeof row.policy === 'string' ? JSON.parse(row.policy) : row.policy;
    assert.ok(decisions.some((d) => d.decision === 'moderation' && d.flagged.length === 0 && d.cost_nanos === 0), JSON.stringify(decisions));
  });

  test('threshold and categories decide; log only counts', async () => {
    const strict = await guarded({ moderation: moderation({ threshold: 0.3, categories: ['harassment'] }) });
    const e = await refusal(chat(strict, user('you idiot, and here is my attack plan')));
    assert.match(e.message, /harassment 0\.40/);
    assert.doesNotMatch(e.message, /violence/, 'only the listed categories count');
    const logged = await guarded({ moderation: moderation({ input: 'log' }) });
    const r = await chat(logged, user('my attack plan'));
    assertFinding(await logRow(logged.workspace.id, r.id), { detector: 'moderation', direction: 'input', action: 'log', count: 1 });
  });

  test('a moderation call that fails: open lets the request on, closed refuses it with 503', async () => {
    const open = await guarded({ moderation: moderation({ model: 'mistral/mistral-moderation-latest', on_error: 'open' }) });
    const r = await chat(open, user('hello'));
    const row = await logRow(open.workspace.id, r.id);
    const decisions = typeof row.policy === 'string' ? JSON.parse(row.policy) : row.policy;
    assert.ok(decisions.some((d) => d.decision === 'moderation_unavailable'), JSON.stringify(decisions));
    const closed = await guarded({ moderation: moderation({ model: 'mistral/mistral-moderation-latest', on_error: 'closed' }) });
    const e = await refusal(chat(closed, user('hello')));
    assert.equal(e.status, 503);
    assert.equal(e.code, 'moderation_unavailable');
  });

  test('moderation settings are checked when written', async () => {
    const ctx = await workspace();
    const bad = await admin('PUT', `/workspaces/${ctx.workspace.id}/policies/workspace/${ctx.workspace.id}`,
      { guardrails: { moderation: { model: 'openai/omni-moderation-latest', threshold: 2 } } }, { raw: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'guardrails.moderation.threshold');
  });
});
