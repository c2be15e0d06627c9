// The read side of observability, from real traffic through the OpenAI SDK:
// analytics that agree with the log rows they summarize, log and audit
// search with filters and cursor pages that return every row exactly once,
// archived bodies (whole or in parts), session trees built from paths, and
// run economics (model cost, tool cost, revenue, margin) per run and agent.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { GATEWAY, STATE_DIR, admin, logRow, mock, tag, workspace } from './lib/env.mjs';
import { ROOT, d1 } from './lib/processes.mjs';

const q = (params) => new URLSearchParams(params).toString();
const sql = (v) => (v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
const sum = (rows, f) => rows.reduce((a, r) => a + (f(r) ?? 0), 0);

/** Every row of a paged admin list, following next_cursor; asserts no row comes twice. */
async function allPages(path, params, limit) {
  const rows = [];
  let cursor = null;
  for (let page = 0; page < 1000; page++) {
    const body = await admin('GET', `${path}?${q({ ...params, limit, ...(cursor ? { cursor } : {}) })}`);
    assert.equal(body.object, 'list');
    assert.ok(body.data.length <= limit, `a page holds at most ${limit}`);
    rows.push(...body.data);
    cursor = body.next_cursor;
    if (cursor === null) break;
    assert.equal(body.data.length, limit, 'only the last page is short');
  }
  const ids = rows.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no row on two pages');
  return rows;
}

/** Nearest-rank percentile, as the API defines it. */
function percentile(values, p) {
  const v = values.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.ceil((p * v.length) / 100) - 1];
}

function assertMetricsMatch(metrics, rows, what) {
  assert.equal(metrics.requests, rows.length, `${what}: requests`);
  assert.equal(metrics.errors, rows.filter((r) => r.status >= 400).length, `${what}: errors`);
  for (const k of ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'reasoning_tokens', 'cost_nanos', 'cost_saved_nanos']) {
    assert.equal(metrics[k], sum(rows, (r) => r[k]), `${what}: ${k}`);
  }
  const hits = rows.filter((r) => r.cache_status === 'HIT' || r.cache_status === 'SEMANTIC_HIT').length;
  const misses = rows.filter((r) => r.cache_status === 'MISS').length;
  assert.equal(metrics.cache_hits, hits, `${what}: cache hits`);
  assert.equal(metrics.cache_misses, misses, `${what}: cache misses`);
  assert.equal(metrics.cache_hit_ratio, hits + misses ? hits / (hits + misses) : null, `${what}: hit ratio`);
  assert.equal(metrics.cost_usd, metrics.cost_nanos / 1e9);
  for (const p of [50, 95, 99]) assert.equal(metrics[`latency_p${p}_ms`], percentile(rows.map((r) => r.latency_ms), p), `${what}: latency p${p}`);
  for (const p of [50, 95]) assert.equal(metrics[`ttft_p${p}_ms`], percentile(rows.map((r) => r.ttft_ms), p), `${what}: ttft p${p}`);
  const ordered = [metrics.latency_p50_ms, metrics.latency_p95_ms, metrics.latency_p99_ms];
  if (ordered[0] !== null) assert.ok(ordered[0] <= ordered[1] && ordered[1] <= ordered[2], `${what}: p50 <= p95 <= p99 (${ordered})`);
}

/** Puts a file into the local R2 bucket of the running gateway. */
async function r2Put(key, content) {
  const dir = mkdtempSync(join(tmpdir(), 'alephant-r2-'));
  const file = join(dir, 'body');
  writeFileSync(file, content);
  await promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['r2', 'object', 'put', `alephant-gateway-archive/${key}`, '--file', file, '--local', '--persist-to', STATE_DIR],
    { cwd: ROOT, env: { ...process.env, CI: '1' } },
  );
}

describe('observability read API', () => {
  let ctx; // the workspace, its plain key (no agent) and client
  let ws;
  let agent;
  let agentKey;
  let rows; // every log row of the workspace, from the logs API
  const sent = { ids: [], failed: [], s1: `s1-${randomUUID()}`, s2: `s2-${randomUUID()}`, s3: `s3-${randomUUID()}` };
  let from;
  let to;

  before(async () => {
    from = Date.now() - 60_000;
    ctx = await workspace({ providers: { openai: {}, groq: { directives: { status: 500 } } } });
    ws = ctx.workspace.id;
    const acme = tag('acme');
    await admin('POST', `/workspaces/${ws}/providers`, {
      id: 'acme', adapter: 'openai', base_url: mock.baseUrl(acme), auth: 'bearer',
      models: [{ id: 'acme-out', input: 1, output: 10 }],
    });
    await admin('POST', `/workspaces/${ws}/provider-keys`, { provider: 'acme', key: 'k' });
    agent = await admin('POST', `/workspaces/${ws}/agents`, { name: 'researcher' });
    agentKey = await admin('POST', `/workspaces/${ws}/virtual-keys`, { name: 'agent key', agent_id: agent.id });
    const agentClient = new OpenAI({ apiKey: agentKey.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });

    const send = async (client, body, headers = {}) => {
      const id = randomUUID();
      sent.ids.push(id);
      const opts = { headers: { 'x-request-id': id, ...headers } };
      try {
        if (body.stream) {
          const stream = await client.chat.completions.create(body, opts);
          for await (const _ of stream) { /* drain */ }
          return { id };
        }
        const { response } = await client.chat.completions.create(body, opts).withResponse();
        return { id, cache: response.headers.get('alephant-cache') };
      } catch (e) {
        assert.ok(e.status >= 400, `expected an HTTP error, got ${e}`);
        sent.failed.push(id);
        return { id, status: e.status };
      }
    };
    const ask = (content, extra = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
    const team = (t) => ({ 'alephant-property-team': t });

    await send(ctx.client, ask('one'), { ...team('alpha'), 'alephant-session-id': sent.s1, 'alephant-session-path': '/a' });
    await send(ctx.client, ask('two words'), { ...team('alpha'), 'alephant-session-id': sent.s1, 'alephant-session-path': '/a/b' });
    await send(ctx.client, ask('three words here'), team('beta'));
    await send(ctx.client, ask('four'), { 'alephant-user-id': 'user-1' });
    await send(ctx.client, ask('streamed', { stream: true }), team('alpha'));
    await send(ctx.client, ask('streamed again please', { stream: true }), team('alpha'));
    for (const path of ['/plan', '/plan/search', '/plan/search/fetch', '/plan/write']) {
      await send(agentClient, ask(`agent step ${path}`, { model: 'acme/acme-out' }), {
        ...team('beta'), 'alephant-session-id': sent.s2, 'alephant-session-path': path, 'alephant-session-name': 'Research run',
      });
    }
    for (let i = 0; i < 3; i++) await send(ctx.client, ask(`fails ${i}`, { model: 'groq/llama-3.1-8b-instant' }), team('gamma'));
    // A miss, then (once the answer is stored) a hit.
    const cached = { 'alephant-cache-enabled': 'true', ...team('beta') };
    assert.equal((await send(ctx.client, ask('cache me'), cached)).cache, 'MISS');
    let hit = false;
    for (let i = 0; i < 10 && !hit; i++) hit = (await send(ctx.client, ask('cache me'), cached)).cache === 'HIT';
    assert.ok(hit, 'the repeated question was answered from the cache');

    for (const id of sent.ids) await logRow(ws, id);
    to = Date.now() + 60_000;
    rows = await allPages(`/workspaces/${ws}/logs`, {}, 500);
  });

  test('the logs API holds one row per request sent, failures included', () => {
    // Each row carries the id the client sent beside the gateway's own.
    assert.deepEqual(rows.map((r) => r.client_request_id).sort(), [...sent.ids].sort());
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
    assert.equal(sent.failed.length, 3);
    for (const id of sent.failed) assert.equal(rows.find((r) => r.client_request_id === id).status, 500);
  });

  test('analytics totals equal the sums over the log rows; percentiles are nearest-rank', async () => {
    const a = await admin('GET', `/workspaces/${ws}/analytics?${q({ from, to })}`);
    assert.equal(a.object, 'analytics');
    assertMetricsMatch(a.totals, rows, 'totals');
    assert.ok(a.totals.cost_nanos > 0 && a.totals.errors === 3 && a.totals.cache_hits >= 1, JSON.stringify(a.totals));
    assert.ok(a.totals.latency_p50_ms !== null && a.totals.ttft_p50_ms !== null);
    assert.equal(a.totals.error_rate, 3 / rows.length);
  });

  test('groups partition the totals, for every kind of dimension', async () => {
    for (const group_by of ['model', 'provider,status', 'property:team,day', 'key,agent,hour', 'session,cache_status', 'user,endpoint']) {
      const a = await admin('GET', `/workspaces/${ws}/analytics?${q({ from, to, group_by })}`);
      const dims = group_by.split(',');
      assert.deepEqual(a.group_by, dims);
      assert.equal(a.truncated, false);
      for (const m of ['requests', 'errors', 'prompt_tokens', 'completion_tokens', 'cost_nanos', 'cache_hits']) {
        assert.equal(sum(a.groups, (g) => g[m]), a.totals[m], `${group_by}: groups sum to the total ${m}`);
      }
      const keys = a.groups.map((g) => JSON.stringify(g.group));
      assert.equal(new Set(keys).size, keys.length, `${group_by}: each group once`);
      const valueOf = {
        model: (r) => r.model, provider: (r) => r.provider, status: (r) => r.status, 'property:team': (r) => r.properties?.team ?? null,
        day: (r) => new Date(r.created_at).toISOString().slice(0, 10), hour: (r) => `${new Date(r.created_at).toISOString().slice(0, 13)}:00:00Z`,
        key: (r) => r.virtual_key_id, agent: (r) => r.agent_id, session: (r) => r.session_id, cache_status: (r) => r.cache_status,
        user: (r) => r.user_id, endpoint: (r) => r.endpoint,
      };
      for (const g of a.groups) {
        const members = rows.filter((r) => dims.every((d) => (valueOf[d](r) ?? null) === g.group[d]));
        assertMetricsMatch(g, members, `${group_by} ${JSON.stringify(g.group)}`);
      }
    }
  });

  test('analytics filters narrow every number the same way', async () => {
    const cases = [
      [{ model: 'acme-out' }, (r) => r.model === 'acme-out'],
      [{ 'property.team': 'beta' }, (r) => r.properties?.team === 'beta'],
      [{ status: '5xx' }, (r) => r.status >= 500],
      [{ agent_id: agent.id, session_id: sent.s2 }, (r) => r.agent_id === agent.id && r.session_id === sent.s2],
      [{ key_id: ctx.key.id, cache_status: 'hit' }, (r) => r.virtual_key_id === ctx.key.id && r.cache_status === 'HIT'],
    ];
    for (const [filters, keep] of cases) {
      const a = await admin('GET', `/workspaces/${ws}/analytics?${q({ from, to, group_by: 'model', ...filters })}`);
      const expected = rows.filter(keep);
      assert.ok(expected.length > 0, `${JSON.stringify(filters)} matches some rows`);
      assertMetricsMatch(a.totals, expected, JSON.stringify(filters));
    }
    const acme = await admin('GET', `/workspaces/${ws}/analytics?${q({ from, to, model: 'acme-out' })}`);
    assert.equal(acme.totals.requests, 4);
  });

  test('bad analytics parameters are refused with a 400 naming them', async () => {
    for (const [params, param] of [
      [{ group_by: 'colour' }, 'group_by'],
      [{ group_by: 'model,key,agent,user' }, 'group_by'],
      [{ group_by: "property:x') OR 1=1 --" }, 'group_by'],
      [{ from: 10, to: 5 }, 'from'],
      [{ to: 'tomorrow' }, 'to'],
      [{ modle: 'x' }, 'modle'],
      [{ status: 'teapot' }, 'status'],
    ]) {
      const r = await admin('GET', `/workspaces/${ws}/analytics?${q(params)}`, undefined, { raw: true });
      assert.equal(r.status, 400, JSON.stringify(params));
      assert.equal(r.body.error.param, param, JSON.stringify(r.body));
    }
    const r = await admin('GET', `/workspaces/${ws}/analytics?${q({ 'property.team': "beta' OR '1'='1" })}`);
    assert.equal(r.totals.requests, 0, 'a value is a value, never SQL');
  });

  test('log search: every filter returns exactly its rows, across cursor pages', async () => {
    const cheapest = Math.min(...rows.filter((r) => r.cost_nanos > 0).map((r) => r.cost_nanos));
    const failedCode = rows.find((r) => r.status === 500).error_code;
    assert.equal(typeof failedCode, 'string');
    const cases = [
      [{ status: '500' }, (r) => r.status === 500],
      [{ status: 'ok' }, (r) => r.status < 400],
      [{ provider: 'acme' }, (r) => r.provider === 'acme'],
      [{ 'property.team': 'alpha' }, (r) => r.properties?.team === 'alpha'],
      [{ 'property.team': 'alpha', model: 'gpt-4o-mini' }, (r) => r.properties?.team === 'alpha' && r.model === 'gpt-4o-mini'],
      [{ session_id: sent.s2 }, (r) => r.session_id === sent.s2],
      [{ user_id: 'user-1' }, (r) => r.user_id === 'user-1'],
      [{ error_code: failedCode }, (r) => r.error_code === failedCode],
      [{ min_cost_nanos: cheapest + 1 }, (r) => (r.cost_nanos ?? 0) >= cheapest + 1],
      [{ cache_status: 'MISS' }, (r) => r.cache_status === 'MISS'],
      [{ endpoint: 'chat', from: rows[rows.length - 1].created_at + 1 }, (r) => r.created_at > rows[rows.length - 1].created_at],
      [{ model: 'gpt-4o-mini', to: rows[0].created_at }, (r) => r.model === 'gpt-4o-mini' && r.created_at < rows[0].created_at],
    ];
    for (const [filters, keep] of cases) {
      const expected = rows.filter(keep).map((r) => r.id);
      assert.ok(expected.length > 0, `${JSON.stringify(filters)} matches some rows`);
      const got = await allPages(`/workspaces/${ws}/logs`, filters, 2);
      assert.deepEqual(got.map((r) => r.id).sort(), [...expected].sort(), JSON.stringify(filters));
    }
    const all = await allPages(`/workspaces/${ws}/logs`, {}, 3);
    assert.deepEqual(all.map((r) => r.id), rows.map((r) => r.id), 'pages keep the newest-first order');
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1], all[i]];
      assert.ok(a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id), 'ordered by (created_at, id) descending');
    }
  });

  test('?before= still pages by time, and bad search parameters are a 400', async () => {
    const pivot = rows[Math.floor(rows.length / 2)].created_at;
    const older = await admin('GET', `/workspaces/${ws}/logs?before=${pivot}&limit=500`);
    assert.deepEqual(older.data.map((r) => r.id).sort(), rows.filter((r) => r.created_at < pivot).map((r) => r.id).sort());
    for (const [params, param] of [[{ modle: 'x' }, 'modle'], [{ cursor: 'garbage!' }, 'cursor'], [{ limit: 0 }, 'limit'], [{ from: 9, to: 1 }, 'from']]) {
      const r = await admin('GET', `/workspaces/${ws}/logs?${q(params)}`, undefined, { raw: true });
      assert.equal(r.status, 400, JSON.stringify(params));
      assert.equal(r.body.error.param, param);
    }
  });

  test('a log row with include=bodies returns archived bodies, whole or in parts, and says when one is missing', async () => {
    const [whole, parted] = rows.filter((r) => r.status === 200);
    const k = (id, what) => `${ws}/${id}/${what}-${randomUUID()}`;
    const keys = { wholeReq: k(whole.id, 'request'), wholeResp: k(whole.id, 'response'), partedReq: k(parted.id, 'request'), gone: k(parted.id, 'response') };
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'héllo' }] };
    const response = JSON.stringify({ id: 'chatcmpl-1', choices: [{ message: { content: 'a long answer, ünïcode included' } }] });
    await r2Put(keys.wholeReq, JSON.stringify(request));
    await r2Put(keys.wholeResp, 'data: not json\n\n');
    // Split inside a multi-byte character: parts are joined as bytes.
    const bytes = Buffer.from(response);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1;
    await r2Put(`${keys.partedReq}.part-0000`, bytes.subarray(0, cut));
    await r2Put(`${keys.partedReq}.part-0001`, bytes.subarray(cut, cut + 10));
    await r2Put(`${keys.partedReq}.part-0002`, bytes.subarray(cut + 10));
    await d1(STATE_DIR, `UPDATE request_logs SET request_body_key = ${sql(keys.wholeReq)}, response_body_key = ${sql(keys.wholeResp)} WHERE id = ${sql(whole.id)}`);
    await d1(STATE_DIR, `UPDATE request_logs SET request_body_key = ${sql(keys.partedReq)}, response_body_key = ${sql(keys.gone)} WHERE id = ${sql(parted.id)}`);

    const a = await admin('GET', `/workspaces/${ws}/logs/${whole.id}?include=bodies`);
    assert.deepEqual(a.request_body, request, 'JSON bodies are JSON');
    assert.equal(a.response_body, 'data: not json\n\n', 'other bodies are text');
    assert.equal(a.body_missing, false);
    const b = await admin('GET', `/workspaces/${ws}/logs/${parted.id}?include=bodies`);
    assert.deepEqual(b.request_body, JSON.parse(response), 'parts are concatenated in order');
    assert.equal(b.response_body, null);
    assert.equal(b.body_missing, true);
    const plain = await admin('GET', `/workspaces/${ws}/logs/${whole.id}`);
    assert.equal('request_body' in plain, false, 'bodies only when asked for');
    const bad = await admin('GET', `/workspaces/${ws}/logs/${whole.id}?include=everything`, undefined, { raw: true });
    assert.equal(bad.status, 400);
  });

  describe('sessions and runs', () => {
    const events = [];
    before(async () => {
      // Just after the newest request: inside the [from, to) of the runs queries.
      const at = rows[0].created_at + 1;
      const ev = (session, kind, cost, revenue) => {
        const id = `ue_${randomUUID()}`;
        events.push({ id, session, kind, cost, revenue });
        return `(${[id, ws, at, agentKey.id, agent.id, session, kind, `${kind} event`, cost, revenue].map(sql).join(', ')})`;
      };
      await d1(STATE_DIR, `INSERT INTO usage_events (id, workspace_id, created_at, virtual_key_id, agent_id, session_id, kind, name, cost_nanos, revenue_nanos) VALUES ${[
        ev(sent.s2, 'tool_call', 1_000, 0),
        ev(sent.s2, 'paid_endpoint', 500, 0),
        ev(sent.s2, 'custom', 250, 7),
        ev(sent.s2, 'revenue', 3, 100_000_000),
        // A run with usage events and no LLM request yet.
        ev(sent.s3, 'tool_call', 300, 0),
        ev(sent.s3, 'revenue', 0, 1_000),
      ].join(', ')}`);
    });

    test('a session tree is assembled from paths, with subtotals rolled up to the root', async () => {
      const s = await admin('GET', `/workspaces/${ws}/sessions/${encodeURIComponent(sent.s2)}`);
      // Oldest first, as the tree lists requests.
      const mine = rows.filter((r) => r.session_id === sent.s2).reverse();
      const under = (p) => mine.filter((r) => r.session_path === p || r.session_path.startsWith(`${p}/`));
      assert.equal(s.session_id, sent.s2);
      assert.equal(s.session_name, 'Research run');
      assert.equal(s.agent_id, agent.id);
      const root = s.tree;
      assert.equal(root.path, '/');
      assert.equal(root.totals.requests, 4);
      assert.equal(root.totals.cost_nanos, sum(mine, (r) => r.cost_nanos));
      const plan = root.children.find((c) => c.name === 'plan');
      assert.equal(root.children.length, 1);
      const search = plan.children.find((c) => c.name === 'search');
      const fetchNode = search.children.find((c) => c.name === 'fetch');
      const write = plan.children.find((c) => c.name === 'write');
      for (const [node, path] of [[plan, '/plan'], [search, '/plan/search'], [fetchNode, '/plan/search/fetch'], [write, '/plan/write']]) {
        assert.equal(node.path, path);
        assert.equal(node.totals.requests, under(path).length, `${path} requests`);
        assert.equal(node.totals.cost_nanos, sum(under(path), (r) => r.cost_nanos), `${path} cost`);
        assert.equal(node.totals.prompt_tokens, sum(under(path), (r) => r.prompt_tokens), `${path} tokens`);
        assert.deepEqual(node.requests.map((r) => r.id), mine.filter((r) => r.session_path === path).map((r) => r.id), `${path} own requests`);
      }
      assert.deepEqual(plan.children.map((c) => c.name), ['search', 'write'], 'children in order of first appearance');
      assert.equal(s.usage_events.length, 4);
      const model = sum(mine, (r) => r.cost_nanos);
      assert.deepEqual(
        [s.run.model_cost_nanos, s.run.tool_cost_nanos, s.run.revenue_nanos, s.run.margin_nanos],
        [model, 1_750, 100_000_000, 100_000_000 - model - 1_750],
      );
      assert.equal(s.run.margin_usd, s.run.margin_nanos / 1e9);
      const none = await admin('GET', `/workspaces/${ws}/sessions/nope`, undefined, { raw: true });
      assert.equal(none.status, 404);
    });

    test('sessions list every session with totals, usage-only sessions included; runs are those with an agent', async () => {
      const sessions = (await admin('GET', `/workspaces/${ws}/sessions`)).data;
      const byId = Object.fromEntries(sessions.map((s) => [s.session_id, s]));
      assert.deepEqual(Object.keys(byId).sort(), [sent.s1, sent.s2, sent.s3].sort());
      const s1 = rows.filter((r) => r.session_id === sent.s1);
      assert.equal(byId[sent.s1].requests, s1.length);
      assert.equal(byId[sent.s1].cost_nanos, sum(s1, (r) => r.cost_nanos));
      assert.equal(byId[sent.s1].agent_id, null);
      assert.equal(byId[sent.s3].requests, 0);
      assert.equal(byId[sent.s3].usage_events, 2);
      assert.equal(byId[sent.s3].margin_nanos, 1_000 - 300);
      const paged = [];
      let cursor = null;
      do {
        const page = await admin('GET', `/workspaces/${ws}/sessions?${q({ limit: 1, ...(cursor ? { cursor } : {}) })}`);
        paged.push(...page.data.map((s) => s.session_id));
        cursor = page.next_cursor;
      } while (cursor);
      assert.deepEqual(paged, sessions.map((s) => s.session_id), 'cursor pages list each session once, in order');

      const runs = (await admin('GET', `/workspaces/${ws}/runs?${q({ agent_id: agent.id, from, to })}`)).data;
      assert.deepEqual(runs.map((r) => r.session_id).sort(), [sent.s2, sent.s3].sort());
      for (const r of runs) assert.equal(r.margin_nanos, r.revenue_nanos - r.model_cost_nanos - r.tool_cost_nanos);
      const summary = await admin('GET', `/workspaces/${ws}/agents/${agent.id}/summary?${q({ from, to })}`);
      assert.equal(summary.runs, 2);
      for (const k of ['model_cost_nanos', 'tool_cost_nanos', 'revenue_nanos', 'margin_nanos', 'requests']) {
        assert.equal(summary[k], sum(runs, (r) => r[k]), `agent ${k} is the sum over its runs`);
      }
      assert.equal(summary.tool_cost_nanos, 1_750 + 300);
      assert.equal(summary.revenue_nanos, 100_000_000 + 1_000);
      const later = await admin('GET', `/workspaces/${ws}/agents/${agent.id}/summary?${q({ from: to, to: to + 1000 })}`);
      assert.equal(later.runs, 0);
      const unknown = await admin('GET', `/workspaces/${ws}/agents/ag_nope/summary`, undefined, { raw: true });
      assert.equal(unknown.status, 404);
    });
  });

  test('audit search: exact and prefix actions, actor, target and request filters, cursor pages', async () => {
    const now = Date.now();
    const requestId = randomUUID();
    const ins = (action, actor, target, at) => `(${[`ae_${randomUUID()}`, ws, at, actor, action, 'virtual_key', target, '{}', requestId].map(sql).join(', ')})`;
    await d1(STATE_DIR, `INSERT INTO audit_events (id, workspace_id, created_at, actor, action, target_type, target_id, details, request_id) VALUES ${[
      ins('policy.denied', `key:${ctx.key.id}`, ctx.key.id, now),
      ins('policy.model_not_allowed', `key:${ctx.key.id}`, ctx.key.id, now),
      ins('policyx.other', 'system', ctx.key.id, now),
    ].join(', ')}`);
    const path = `/workspaces/${ws}/audit-events`;
    const all = await allPages(path, {}, 500);
    const paged = await allPages(path, {}, 2);
    assert.deepEqual(paged.map((e) => e.id), all.map((e) => e.id), 'pages list every event once, in order');
    const cases = [
      [{ action: 'policy.*' }, (e) => e.action.startsWith('policy.')],
      [{ action: 'virtual_key.created' }, (e) => e.action === 'virtual_key.created'],
      [{ action: 'provider_key.*', actor: 'master' }, (e) => e.action.startsWith('provider_key.') && e.actor === 'master'],
      [{ actor: `key:${ctx.key.id}` }, (e) => e.actor === `key:${ctx.key.id}`],
      [{ target_type: 'agent', target_id: agent.id }, (e) => e.target_type === 'agent' && e.target_id === agent.id],
      [{ request_id: requestId }, (e) => e.request_id === requestId],
    ];
    for (const [filters, keep] of cases) {
      const expected = all.filter(keep).map((e) => e.id);
      assert.ok(expected.length > 0, JSON.stringify(filters));
      const got = await allPages(path, filters, 1);
      assert.deepEqual(got.map((e) => e.id).sort(), [...expected].sort(), JSON.stringify(filters));
    }
    assert.equal((await allPages(path, { action: 'policy.*' }, 10)).length, 2, 'policyx.other is not under policy.*');
    assert.equal((await allPages(path, { action: 'virtual_key.created' }, 10)).length, 2, 'both keys');
    const older = await admin('GET', `${path}?before=${now}`);
    assert.ok(older.data.every((e) => e.created_at < now) && older.data.length === all.filter((e) => e.created_at < now).length);
    const bad = await admin('GET', `${path}?acton=policy.*`, undefined, { raw: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'acton');
  });
});
