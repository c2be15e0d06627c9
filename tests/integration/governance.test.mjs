// Governance that holds under concurrency: exact rate limits, concurrency
// leases, budgets with reservations, model policy, and their audit trail.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY, admin, mock, pricedWorkspace, tag, workspace } from './lib/env.mjs';
import { waitFor } from './lib/processes.mjs';

const chat = (key, body = {}, headers = {}) =>
  fetch(`${GATEWAY}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });


describe('rate limits', () => {
  test('100 concurrent requests against 20;w=60: exactly 20 succeed, 80 get 429 with headers', async () => {
    const ctx = await workspace({ keyOptions: { rate_limit: '20;w=60' } });
    const answers = await Promise.all(Array.from({ length: 100 }, () => chat(ctx.key.key)));
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(ok.length, 20);
    assert.equal(refused.length, 80);
    for (const r of refused) {
      assert.equal(r.headers.get('alephant-ratelimit-limit'), '20');
      assert.equal(r.headers.get('alephant-ratelimit-remaining'), '0');
      assert.equal(r.headers.get('alephant-ratelimit-policy'), '20;w=60');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      const body = await r.json();
      assert.equal(body.error.code, 'rate_limit_exceeded');
      assert.match(body.error.message, /this key/);
    }
    assert.equal((await mock.stats(ctx.tags.openai)).count, 20, 'refused requests never reached the provider');
  });

  test('token limits are settled from real usage', async () => {
    const long = 'word '.repeat(100);
    const ctx = await workspace({
      providers: { openai: { directives: { content: long.trim().replaceAll(' ', '+') } } },
      keyOptions: { rate_limit: '60;w=60;u=tokens' },
    });
    const first = await chat(ctx.key.key);
    assert.equal(first.status, 200, 'the small estimate fits');
    const second = await chat(ctx.key.key);
    assert.equal(second.status, 429, 'the first answer really used over 100 tokens');
    assert.equal(second.headers.get('alephant-ratelimit-policy'), '60;w=60;u=tokens');
  });

  test('a tighter header policy applies; a looser one cannot loosen', async () => {
    const tight = await workspace({ keyOptions: { rate_limit: '5;w=60' } });
    const header = { 'alephant-ratelimit-policy': '2;w=60' };
    assert.deepEqual(
      [(await chat(tight.key.key, {}, header)).status, (await chat(tight.key.key, {}, header)).status, (await chat(tight.key.key, {}, header)).status],
      [200, 200, 429],
    );
    const loose = await workspace({ keyOptions: { rate_limit: '2;w=60' } });
    const more = { 'alephant-ratelimit-policy': '100;w=60' };
    assert.deepEqual(
      [(await chat(loose.key.key, {}, more)).status, (await chat(loose.key.key, {}, more)).status, (await chat(loose.key.key, {}, more)).status],
      [200, 200, 429],
    );
    const bad = await chat(loose.key.key, {}, { 'alephant-ratelimit-policy': 'lots' });
    assert.equal(bad.status, 400);
  });

  test('workspace and end-user rules count at their own scopes', async () => {
    const ctx = await workspace();
    await admin('PUT', `/workspaces/${ctx.workspace.id}/policies/workspace/${ctx.workspace.id}`, { rate_limit: '1;w=60;s=user' });
    assert.equal((await chat(ctx.key.key, { user: 'alice' })).status, 200);
    assert.equal((await chat(ctx.key.key, { user: 'alice' })).status, 429);
    assert.equal((await chat(ctx.key.key, { user: 'bob' })).status, 200);
    assert.equal((await chat(ctx.key.key, {}, { 'alephant-user-id': 'alice' })).status, 429);
  });
});

describe('concurrency', () => {
  test('a limit of 3 holds at the provider, and an aborted stream frees its lease', async () => {
    const t = tag('slow');
    const ctx = await workspace({
      providers: { openai: { tag: t, directives: { chunk_delay: 400 } } },
      keyOptions: { policy: { max_concurrency: 3 } },
    });
    const streams = await Promise.all(
      Array.from({ length: 6 }, () => chat(ctx.key.key, { stream: true, messages: [{ role: 'user', content: 'a slow stream please' }] })),
    );
    assert.deepEqual(streams.map((r) => r.status).sort(), [200, 200, 200, 429, 429, 429]);
    for (const r of streams.filter((r) => r.status === 429)) assert.equal((await r.json()).error.code, 'concurrency_limit_exceeded');
    // Abort one client mid-stream: its lease is returned without waiting for the stream's end.
    const open = streams.filter((r) => r.status === 200);
    const reader = open[0].body.getReader();
    await reader.read();
    await reader.cancel();
    const next = await waitFor(async () => {
      const r = await chat(ctx.key.key);
      return r.status === 200 ? r : null;
    }, { timeoutMs: 4000, intervalMs: 100, what: 'a lease freed by the aborted stream' });
    assert.equal(next.status, 200);
    for (const r of open.slice(1)) await r.text();
    assert.ok((await mock.stats(t)).max_in_flight <= 3, JSON.stringify(await mock.stats(t)));
  });
});

describe('budgets', () => {
  test('$0.10 and 50 parallel requests of $0.01 worst case: 10 admitted, spend within the budget', async () => {
    const ctx = await pricedWorkspace({ latency: 1500 });
    const budget = await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, {
      scope_type: 'key', scope_id: ctx.key.id, period: 'monthly', limit_usd: 0.10,
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => chat(ctx.key.key, { model: 'acme/acme-out', max_tokens: 1000 })));
    const ok = answers.filter((r) => r.status === 200).length;
    assert.ok(ok <= 10 && ok >= 1, `admitted ${ok}`);
    const refused = answers.find((r) => r.status === 429);
    const e = (await refused.json()).error;
    assert.equal(e.code, 'budget_exceeded');
    assert.match(e.message, /monthly budget .* of this key/);
    await waitFor(async () => (await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`)).reserved_nanos === 0, { what: 'settlement' });
    const state = await admin('GET', `/workspaces/${ctx.workspace.id}/budgets/${budget.id}`);
    assert.ok(state.spent_usd <= 0.10 && state.spent_usd > 0, JSON.stringify(state));
    assert.equal((await mock.stats(ctx.tag)).count, ok);
  });

  test('a daily budget refuses, then a new day starts from zero (injected clock)', async () => {
    const ctx = await pricedWorkspace();
    // The first answer is 1,000 tokens: $0.01 at $10 per million.
    await mock.script(ctx.tag, [{ content: 'x'.repeat(4000) }]);
    await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, {
      scope_type: 'workspace', period: 'daily', limit_usd: 0.015,
    });
    const day = Date.UTC(2026, 10, 20, 12);
    const at = (t) => ({ 'alephant-test-now': String(t) });
    const ask = (t) => chat(ctx.key.key, { model: 'acme/acme-out', max_tokens: 1000 }, at(t));
    assert.equal((await ask(day)).status, 200);
    // Once the first answer is settled at $0.01, $0.005 remain: less than the next worst case.
    await new Promise((r) => setTimeout(r, 300));
    const refused = await ask(day + 1000);
    assert.equal(refused.status, 429);
    assert.match((await refused.json()).error.message, /daily budget/);
    assert.equal((await ask(day + 24 * 3600 * 1000)).status, 200, 'the next day has its own budget');
  });

  test('crossing the soft threshold is audited and posted to the webhook once', async () => {
    const ctx = await pricedWorkspace({ content: 'x'.repeat(40) });
    const hook = tag('hook');
    await admin('POST', `/workspaces/${ctx.workspace.id}/budgets`, {
      scope_type: 'key', scope_id: ctx.key.id, period: 'total', limit_usd: 1, soft_threshold: 0.0000001,
      webhook_url: `${mock.url}/~tag=${hook}/budget-hook`,
    });
    for (let i = 0; i < 3; i++) assert.equal((await chat(ctx.key.key, { model: 'acme/acme-out', max_tokens: 50 })).status, 200);
    const posted = await waitFor(async () => {
      const r = await mock.requests(hook);
      return r.length > 0 ? r : null;
    }, { what: 'the budget webhook' });
    assert.equal(posted[0].body.event, 'budget.soft_threshold');
    const events = await waitFor(async () => {
      const e = (await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events`)).data.filter((a) => a.action === 'budget.soft_threshold');
      return e.length > 0 ? e : null;
    }, { what: 'the audit event' });
    assert.equal(events.length, 1);
  });
});

describe('policy', () => {
  test('a denied model is a 403 naming the rule, and an audit event', async () => {
    const ctx = await workspace();
    await admin('PUT', `/workspaces/${ctx.workspace.id}/policies/workspace/${ctx.workspace.id}`, { denied_models: ['gpt-4o'] });
    const r = await chat(ctx.key.key, { model: 'gpt-4o' });
    assert.equal(r.status, 403);
    const e = (await r.json()).error;
    assert.equal(e.code, 'model_not_allowed');
    assert.match(e.message, /workspace policy \(rule 'gpt-4o'\)/);
    assert.equal((await chat(ctx.key.key, { model: 'gpt-4o-mini' })).status, 200);
    const audit = await waitFor(async () => {
      const a = (await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events`)).data.find((x) => x.action === 'policy.model_not_allowed');
      return a ?? null;
    }, { what: 'the policy audit event' });
    assert.equal(audit.actor, `key:${ctx.key.id}`);
  });

  test('agent policies apply to the agent’s keys', async () => {
    const ctx = await workspace();
    const agent = await admin('POST', `/workspaces/${ctx.workspace.id}/agents`, { name: 'planner' });
    await admin('PUT', `/workspaces/${ctx.workspace.id}/policies/agent/${agent.id}`, { allowed_providers: ['anthropic'] });
    const vk = await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys`, { agent_id: agent.id });
    const r = await chat(vk.key);
    assert.equal(r.status, 403);
    assert.match((await r.json()).error.message, /agent/);
    assert.equal((await chat(ctx.key.key)).status, 200, 'other keys are not affected');
  });

  test('a max_tokens cap holds a larger ask to the cap and fills it in when none is given', async () => {
    const ctx = await workspace({ keyOptions: { policy: { max_tokens: 50 } } });
    const r = await chat(ctx.key.key, { max_tokens: 100 });
    assert.equal(r.status, 200);
    assert.equal((await mock.requests(ctx.tags.openai)).at(-1).body.max_tokens, 50);
    assert.equal((await chat(ctx.key.key, { max_tokens: 20 })).status, 200);
    assert.equal((await mock.requests(ctx.tags.openai)).at(-1).body.max_tokens, 20, 'a smaller ask is kept');
    assert.equal((await chat(ctx.key.key)).status, 200);
    assert.equal((await mock.requests(ctx.tags.openai)).at(-1).body.max_tokens, 50);
  });

  test('a key may be denied gateway headers', async () => {
    const ctx = await workspace({ keyOptions: { policy: { denied_headers: ['alephant-session-*'] } } });
    const r = await chat(ctx.key.key, {}, { 'alephant-session-id': 's' });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error.code, 'header_not_allowed');
  });

  test('keys can be changed in place', async () => {
    const ctx = await workspace();
    const patched = await admin('PATCH', `/workspaces/${ctx.workspace.id}/virtual-keys/${ctx.key.id}`, { rate_limit: '1;w=60' });
    assert.equal(patched.rate_limit, '1;w=60');
    assert.equal((await chat(ctx.key.key)).status, 200);
    assert.equal((await chat(ctx.key.key)).status, 429);
  });
});
