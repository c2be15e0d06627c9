// What the gateway records: the log row of a streamed, a cached, a
// failed-over and a refused request; request and response bodies in R2
// (and kept out by the omit headers); a queue consumer that fails its
// first D1 write still ending with exactly one row; usage events; the
// downstream log sink — and never a secret in any of it.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { GATEWAY, STATE_DIR, admin, logRow, mock, tag, workspace } from './lib/env.mjs';
import { d1, r2Get, waitFor } from './lib/processes.mjs';

const user = (content) => ({ messages: [{ role: 'user', content }] });

/** The request's id (the gateway's own, `alephant-id`) and its answer. */
async function ask(ctx, body, headers = {}) {
  const { data, response } = await ctx.client.chat.completions
    .create({ model: 'gpt-4o-mini', ...body }, { headers: { 'x-request-id': randomUUID(), ...headers } })
    .withResponse();
  return { id: response.headers.get('alephant-id'), data, response };
}

/** No secret of the test's workspace appears in `text`. */
function assertNoSecrets(ctx, text, what) {
  assert.ok(!text.includes(ctx.key.key), `${what} holds the virtual key`);
  for (const t of Object.values(ctx.tags)) assert.ok(!text.includes(`secret-${t}`), `${what} holds a provider key`);
}

/** A key whose policy archives its requests' bodies (the archive is off unless asked). */
const archived = { keyOptions: { policy: { archive_bodies: true } } };

describe('log rows', () => {
  let ctx;
  before(async () => {
    ctx = await workspace(archived);
  });

  test('a streamed request: timings, usage, cost, attribution and the reassembled answer in R2', async () => {
    const id = randomUUID();
    const stream = await ctx.client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, ...user('stream for the log') },
      { headers: { 'x-request-id': id, 'alephant-session-id': 'run-1', 'alephant-session-path': '/plan', 'alephant-property-team': 'search', 'cf-ipcountry': 'FR' } },
    );
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    const row = await logRow(ctx.workspace.id, id);
    assert.equal(row.stream, 1);
    assert.equal(row.status, 200);
    assert.equal(row.endpoint, 'chat');
    assert.equal(row.virtual_key_id, ctx.key.id);
    assert.deepEqual([row.session_id, row.session_path, row.properties.team, row.country], ['run-1', '/plan', 'search', 'FR']);
    assert.ok(row.ttft_ms !== null && row.ttft_ms <= row.latency_ms);
    assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0 && row.cost_nanos > 0);
    assert.equal(row.response_body_key, `${row.request_body_key.replace(/request\.json$/, '')}response.json`);

    const answer = JSON.parse(await r2Get(STATE_DIR, row.response_body_key));
    assert.equal(answer.object, 'chat.completion', 'the stream is archived reassembled');
    assert.equal(answer.choices[0].message.content, text);
    const request = JSON.parse(await r2Get(STATE_DIR, row.request_body_key));
    assert.equal(request.messages[0].content, 'stream for the log');
    assert.match(row.request_body_key, new RegExp(`^${ctx.workspace.id}/\\d{4}/\\d{2}/\\d{2}/${row.id}/request\\.json$`), 'under the gateway\'s own id');
  });

  test('a cached request: status HIT, no cost, the saving', async () => {
    const on = { 'alephant-cache-enabled': 'true' };
    await ask(ctx, user('cached for the log'), on);
    const hit = await ask(ctx, user('cached for the log'), on);
    const row = await logRow(ctx.workspace.id, hit.id);
    assert.equal(row.cache_status, 'HIT');
    assert.equal(row.cost_nanos, 0);
    assert.ok(row.cost_saved_nanos > 0);
    assert.deepEqual(row.attempts, null, 'no provider attempt');
  });

  test('a failed-over request: every attempt, the router and the target that answered', async () => {
    const t = { primary: tag('primary'), secondary: tag('secondary') };
    const fo = await workspace({
      providers: { openai: { tag: t.primary, directives: { status: 503 } }, anthropic: { tag: t.secondary, suffix: '' } },
    });
    const router = await admin('POST', `/workspaces/${fo.workspace.id}/routers`, {
      name: 'fo', config: { strategy: 'fallback', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'anthropic', model: 'claude-haiku-4-5' }], retry: { attempts: 0 } },
    });
    const r = await ask(fo, { ...user('fail over'), model: 'router/fo' });
    const row = await logRow(fo.workspace.id, r.id);
    assert.deepEqual(row.attempts.map((a) => [a.provider, a.status]), [['openai', 503], ['anthropic', 200]]);
    assert.equal(row.router_id, router.id);
    assert.equal(row.target, 'anthropic/claude-haiku-4-5');
    assert.equal(row.status, 200);
  });

  test('a refused request: status, error class and code, the policy decision and its audit event', async () => {
    const strict = await workspace({ keyOptions: { allowed_models: ['gpt-4o'] } });
    const id = randomUUID();
    const e = await strict.client.chat.completions
      .create({ model: 'gpt-4o-mini', ...user('not allowed') }, { headers: { 'x-request-id': id } })
      .catch((err) => err);
    assert.equal(e.status, 403);
    const row = await logRow(strict.workspace.id, id);
    assert.deepEqual([row.status, row.error_type, row.error_code], [403, 'permission_error', 'model_not_allowed']);
    const audit = await waitFor(async () => {
      const events = (await admin('GET', `/workspaces/${strict.workspace.id}/audit-events`)).data;
      return events.find((a) => a.request_id === row.id);
    }, { what: 'the audit event' });
    assert.equal(audit.action, 'policy.model_not_allowed');
    assert.equal(audit.actor, `key:${strict.key.id}`);
  });

  test('omit headers keep bodies out of R2', async () => {
    const both = await ask(ctx, user('private prompt'), { 'alephant-omit-request': 'true', 'alephant-omit-response': 'true' });
    const row = await logRow(ctx.workspace.id, both.id);
    assert.equal(row.request_body_key, null);
    assert.equal(row.response_body_key, null);
    const prefix = `${ctx.workspace.id}/${new Date(row.created_at).toISOString().slice(0, 10).replaceAll('-', '/')}/${both.id}/`;
    assert.equal(await r2Get(STATE_DIR, `${prefix}request.json`), null);
    assert.equal(await r2Get(STATE_DIR, `${prefix}response.json`), null);

    const onlyResponse = await ask(ctx, user('half private'), { 'alephant-omit-request': 'true' });
    const r = await logRow(ctx.workspace.id, onlyResponse.id);
    assert.equal(r.request_body_key, null);
    assert.match(await r2Get(STATE_DIR, r.response_body_key), /Mock answer to: half private/);
  });

  test('bodies are archived only when asked: off by default, the header asks, a policy decides over it', async () => {
    const plain = await workspace();
    const quiet = await ask(plain, user('not archived'));
    const asked = await ask(plain, user('archive me'), { 'alephant-archive': 'true' });
    const row = await logRow(plain.workspace.id, quiet.id);
    assert.deepEqual([row.request_body_key, row.response_body_key], [null, null], 'no policy, no header: logged, not archived');
    assert.ok(row.prompt_tokens > 0 && row.cost_nanos > 0, 'the row is complete without the archive');
    const prefix = `${plain.workspace.id}/${new Date(row.created_at).toISOString().slice(0, 10).replaceAll('-', '/')}/${quiet.id}/`;
    assert.equal(await r2Get(STATE_DIR, `${prefix}request.json`), null);
    const kept = await logRow(plain.workspace.id, asked.id);
    assert.match(await r2Get(STATE_DIR, kept.request_body_key), /archive me/);
    assert.match(await r2Get(STATE_DIR, kept.response_body_key), /Mock answer to: archive me/);

    const refused = await workspace({ keyOptions: { policy: { archive_bodies: false } } });
    const r = await ask(refused, user('policy says no'), { 'alephant-archive': 'true' });
    const no = await logRow(refused.workspace.id, r.id);
    assert.deepEqual([no.request_body_key, no.response_body_key], [null, null], 'the policy decides over the header');
  });

  test('an error\'s body is archived; no secret reaches a log row or R2', async () => {
    const broken = await workspace({ providers: { openai: { directives: { status: 401 } } }, ...archived });
    const r = await ask(broken, user('with a bad provider key')).catch((e) => e);
    assert.ok(r.status >= 400);
    const id = r.headers?.get?.('alephant-id') ?? r.headers?.['alephant-id'];
    const row = await logRow(broken.workspace.id, id);
    assertNoSecrets(broken, JSON.stringify(row), 'the log row');
    const body = await r2Get(STATE_DIR, row.response_body_key);
    assert.match(body, /"error"/);
    assertNoSecrets(broken, body, 'the archived error');
    assertNoSecrets(broken, await r2Get(STATE_DIR, row.request_body_key), 'the archived request');
  });
});

describe('the log consumer', () => {
  for (const fault of ['d1-fail-once', 'd1-dup-once']) {
    test(`${fault === 'd1-fail-once' ? 'a first D1 write that fails' : 'a write whose acknowledgement is lost'}: exactly one row in the end`, async () => {
      const ctx = await workspace();
      const r = await ask(ctx, user(`consumer ${fault}`), { 'alephant-test-fault': fault });
      const row = await logRow(ctx.workspace.id, r.id, { timeoutMs: 60_000 });
      assert.equal(row.status, 200);
      // Let any redelivery land before counting.
      await waitFor(async () => {
        const [{ n }] = await d1(STATE_DIR, `SELECT COUNT(*) AS n FROM request_logs WHERE id = '${r.id}'`);
        return n === 1;
      }, { what: 'one row' });
      await new Promise((ok) => setTimeout(ok, 6_000));
      const [{ n }] = await d1(STATE_DIR, `SELECT COUNT(*) AS n FROM request_logs WHERE id = '${r.id}'`);
      assert.equal(n, 1);
    });
  }
});

describe('usage events', () => {
  const post = (ctx, body, headers = {}) =>
    fetch(`${GATEWAY}/v1/usage-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.key.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  test('a run\'s tool costs and revenue are recorded against its agent and session, idempotently', async () => {
    const base = await workspace();
    const agent = await admin('POST', `/workspaces/${base.workspace.id}/agents`, { name: `agent-${tag()}` });
    const vk = await admin('POST', `/workspaces/${base.workspace.id}/virtual-keys`, { name: 'agent key', agent_id: agent.id });
    const ctx = { ...base, key: vk };
    const r = await post(ctx, {
      events: [
        { kind: 'tool_call', name: 'web_search', cost_usd: 0.002, id: 'call-1' },
        { kind: 'revenue', name: 'invoice', revenue_usd: 0.5 },
      ],
    }, { 'alephant-session-id': 'run-42' });
    assert.equal(r.status, 202);
    const { data } = await r.json();
    assert.equal(data.length, 2);
    assert.ok(data.every((e) => e.session_id === 'run-42' && e.agent_id === agent.id));
    // The same tool call posted again (a client retry) is not counted twice.
    assert.equal((await post(ctx, { kind: 'tool_call', name: 'web_search', cost_usd: 0.002, id: 'call-1', session_id: 'run-42' })).status, 202);
    const rows = await waitFor(async () => {
      const got = await d1(STATE_DIR, `SELECT kind, cost_nanos, revenue_nanos, agent_id FROM usage_events WHERE workspace_id = '${base.workspace.id}' AND session_id = 'run-42' ORDER BY kind`);
      return got.length === 2 ? got : null;
    }, { what: 'the usage event rows' });
    assert.deepEqual(rows.map((x) => [x.kind, x.cost_nanos, x.revenue_nanos, x.agent_id]), [
      ['revenue', 0, 500_000_000, agent.id],
      ['tool_call', 2_000_000, 0, agent.id],
    ]);
  });

  test('a run\'s margin: revenue minus its model cost and tool costs', async () => {
    const base = await workspace();
    const agent = await admin('POST', `/workspaces/${base.workspace.id}/agents`, { name: `margin-${tag()}` });
    const vk = await admin('POST', `/workspaces/${base.workspace.id}/virtual-keys`, { name: 'agent key', agent_id: agent.id });
    const client = new OpenAI({ apiKey: vk.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    const ctx = { ...base, key: vk, client };
    const session = { 'alephant-session-id': 'run-margin', 'alephant-session-path': '/plan' };
    const calls = [await ask(ctx, user('plan the trip'), session), await ask(ctx, user('book it'), session)];
    await post(ctx, { events: [
      { kind: 'tool_call', name: 'flights_api', cost_usd: 0.01 },
      { kind: 'paid_endpoint', name: 'maps', cost_nanos: 2_500_000 },
      { kind: 'revenue', name: 'booking fee', revenue_usd: 0.25 },
    ] }, session);
    const rows = await Promise.all(calls.map((c) => logRow(base.workspace.id, c.id)));
    const modelCost = rows.reduce((n, r) => n + r.cost_nanos, 0);
    assert.ok(modelCost > 0);
    const run = await waitFor(async () => {
      const s = await admin('GET', `/workspaces/${base.workspace.id}/sessions/run-margin`, undefined, { expect: [200, 404] });
      return s.run?.tool_cost_nanos === 12_500_000 && s.run?.model_cost_nanos === modelCost ? s : null;
    }, { what: 'the run summary' });
    assert.equal(run.run.revenue_nanos, 250_000_000);
    assert.equal(run.run.margin_nanos, 250_000_000 - modelCost - 12_500_000);
    const summary = await admin('GET', `/workspaces/${base.workspace.id}/agents/${agent.id}/summary`);
    assert.equal(summary.margin_nanos, run.run.margin_nanos, 'the agent\'s only run');
  });

  test('bad events are 400s naming the field; no key is a 401', async () => {
    const ctx = await workspace();
    const bad = await post(ctx, { events: [{ kind: 'tool_call' }, { kind: 'lunch' }] });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, 'events[1].kind');
    const anonymous = await fetch(`${GATEWAY}/v1/usage-events`, { method: 'POST', body: '{}' });
    assert.equal(anonymous.status, 401);
  });
});

describe('log sink', () => {
  test('every record is posted to the workspace\'s sink as JSON lines, with its headers and no secrets', async () => {
    const ctx = await workspace();
    const sinkTag = tag('sink');
    const put = await admin('PUT', `/workspaces/${ctx.workspace.id}/log-sink`, {
      url: `${mock.url}/~tag=${sinkTag}/ingest`, headers: { authorization: 'Bearer sink-token' },
    });
    assert.deepEqual(put.header_names, ['authorization']);
    const shown = await admin('GET', `/workspaces/${ctx.workspace.id}/log-sink`);
    assert.ok(!JSON.stringify(shown).includes('sink-token'), 'header values are never returned');
    const r = await ask(ctx, user('sink me'));
    // The mock records a body that parses as JSON (one line) as JSON, else as text.
    const lines = (q) => (typeof q.body === 'string' ? q.body.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [q.body]);
    const posted = await waitFor(async () => {
      const reqs = await mock.requests(sinkTag);
      return reqs.find((q) => lines(q).some((rec) => rec?.id === r.id));
    }, { what: 'the sink delivery' });
    assert.equal(posted.headers.authorization, 'Bearer sink-token');
    assert.match(posted.headers['content-type'], /ndjson/);
    const line = lines(posted).find((rec) => rec.id === r.id);
    assert.equal(line.kind, 'log');
    assert.equal(line.status, 200);
    assert.equal(line.model, 'gpt-4o-mini');
    assertNoSecrets(ctx, JSON.stringify(posted.body), 'the sink delivery');
    const invalid = await admin('PUT', `/workspaces/${ctx.workspace.id}/log-sink`, { url: 'ftp://x' }, { raw: true });
    assert.equal(invalid.status, 400);
  });
});
