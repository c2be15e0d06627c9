// The admin API: master-key auth, secrets at rest, keys shown once, audit
// events for every change, custom domains.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { GATEWAY, STATE_DIR, admin, mock, tag, workspace } from './lib/env.mjs';
import { d1 } from './lib/processes.mjs';

/** An HTTP request with a chosen Host header (fetch cannot set Host). */
function withHost(host, path, headers, body) {
  const url = new URL(GATEWAY);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: 'POST', headers: { ...headers, host, 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('admin authentication', () => {
  test('the admin API needs the master key', async () => {
    const none = await fetch(`${GATEWAY}/admin/workspaces`);
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, 'missing_api_key');
    const wrong = await admin('GET', '/workspaces', undefined, { key: 'not-the-master-key', raw: true });
    assert.equal(wrong.status, 401);
    const ctx = await workspace();
    const vk = await admin('GET', '/workspaces', undefined, { key: ctx.key.key, raw: true });
    assert.equal(vk.status, 401, 'a virtual key is not an admin key');
  });

  test('bodies are validated with precise messages', async () => {
    const r = await admin('POST', '/workspaces', { name: 'x', nmae: 'typo' }, { raw: true });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /nmae/);
    const ws = await admin('POST', '/workspaces', { name: 'v' });
    const bad = await admin('POST', `/workspaces/${ws.id}/provider-keys`, { provider: 'nope', key: 'k' }, { raw: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'provider');
    const missing = await admin('GET', '/workspaces/ws_missing/virtual-keys', undefined, { raw: true });
    assert.equal(missing.status, 404);
  });
});

describe('secrets', () => {
  let ctx;
  before(async () => {
    ctx = await workspace();
  });

  test('provider keys are never returned and are encrypted at rest', async () => {
    const secret = `sk-openai-secret-${ctx.tags.openai}`;
    const list = await admin('GET', `/workspaces/${ctx.workspace.id}/provider-keys`);
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].key_hint, `…${secret.slice(-4)}`);
    assert.ok(!JSON.stringify(list).includes(secret));
    assert.ok(!('encrypted_key' in list.data[0]));
    const rows = await d1(STATE_DIR, `SELECT encrypted_key FROM provider_keys WHERE workspace_id = '${ctx.workspace.id}'`);
    assert.match(rows[0].encrypted_key, /^v1\./);
    assert.ok(!rows[0].encrypted_key.includes(secret));
  });

  test('a virtual key is shown once and stored only as its hash', async () => {
    assert.match(ctx.key.key, /^vk-[A-Za-z0-9_-]{32}$/);
    const listed = await admin('GET', `/workspaces/${ctx.workspace.id}/virtual-keys`);
    assert.ok(!JSON.stringify(listed).includes(ctx.key.key));
    assert.equal(listed.data[0].key_prefix, ctx.key.key.slice(0, 10));
    const rows = await d1(STATE_DIR, `SELECT * FROM virtual_keys WHERE id = '${ctx.key.id}'`);
    assert.equal(rows[0].key_hash, createHash('sha256').update(ctx.key.key).digest('hex'));
    assert.ok(!JSON.stringify(rows).includes(ctx.key.key));
  });

  test('the request log holds no secret', async () => {
    await ctx.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await d1(STATE_DIR, `SELECT * FROM request_logs WHERE workspace_id = '${ctx.workspace.id}'`);
    assert.ok(rows.length > 0);
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(ctx.key.key));
    assert.ok(!text.includes(`sk-openai-secret-${ctx.tags.openai}`));
  });
});

describe('provider keys', () => {
  test('a disabled provider key is kept but never used, until enabled again', async () => {
    const ctx = await workspace();
    const ws = ctx.workspace.id;
    const [pk] = (await admin('GET', `/workspaces/${ws}/provider-keys`)).data;
    const ask = () => ctx.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    const before = (await mock.requests(ctx.tags.openai)).length;
    assert.deepEqual(await admin('PATCH', `/workspaces/${ws}/provider-keys/${pk.id}`, { enabled: false }), { id: pk.id, enabled: false });
    const listed = (await admin('GET', `/workspaces/${ws}/provider-keys`)).data.find((k) => k.id === pk.id);
    assert.ok(!listed.enabled, 'still listed, as disabled');
    await assert.rejects(ask(), (e) => e.status >= 400 && e.status < 500 && e.status !== 429);
    assert.equal((await mock.requests(ctx.tags.openai)).length, before, 'nothing reached the provider');
    await admin('PATCH', `/workspaces/${ws}/provider-keys/${pk.id}`, { enabled: true });
    assert.ok((await ask()).choices[0].message.content);
    const bad = await admin('PATCH', `/workspaces/${ws}/provider-keys/${pk.id}`, { enabled: 'no' }, { raw: true });
    assert.equal(bad.status, 400);
    const events = await admin('GET', `/workspaces/${ws}/audit-events?action=provider_key.*`);
    assert.deepEqual(events.data.map((e) => e.action).slice(0, 2), ['provider_key.enabled', 'provider_key.disabled']);
  });
});

describe('audit', () => {
  test('every admin change writes an audit event', async () => {
    const ctx = await workspace();
    await admin('POST', `/workspaces/${ctx.workspace.id}/virtual-keys/${ctx.key.id}/revoke`);
    await admin('POST', `/workspaces/${ctx.workspace.id}/agents`, { name: 'planner', department: 'research' });
    const events = await admin('GET', `/workspaces/${ctx.workspace.id}/audit-events`);
    const actions = events.data.map((e) => e.action).sort();
    assert.deepEqual(actions, [
      'agent.created',
      'provider_key.created',
      'virtual_key.created',
      'virtual_key.revoked',
      'workspace.created',
    ]);
    assert.ok(events.data.every((e) => e.actor === 'master'));
    assert.ok(!JSON.stringify(events).includes('sk-openai-secret'), 'no secret in audit details');
  });
});

describe('custom domains', () => {
  test("a key is refused on another workspace's domain", async () => {
    const a = await workspace({ name: 'a' });
    const b = await workspace({ name: 'b' });
    const host = `${tag('ai')}.example.test`;
    await admin('POST', `/workspaces/${a.workspace.id}/domains`, { hostname: host });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'domain' }] };
    const own = await withHost(host, '/v1/chat/completions', { authorization: `Bearer ${a.key.key}` }, body);
    assert.equal(own.status, 200);
    const other = await withHost(host, '/v1/chat/completions', { authorization: `Bearer ${b.key.key}` }, body);
    assert.equal(other.status, 401);
    assert.equal(other.body.error.code, 'key_not_valid_for_domain');
    const elsewhere = await withHost('localhost', '/v1/chat/completions', { authorization: `Bearer ${b.key.key}` }, body);
    assert.equal(elsewhere.status, 200, 'other hosts are not restricted');
  });

  test('a hostname belongs to one workspace only', async () => {
    const a = await workspace();
    const host = `${tag('dup')}.example.test`;
    await admin('POST', `/workspaces/${a.workspace.id}/domains`, { hostname: host });
    const again = await admin('POST', `/workspaces/${a.workspace.id}/domains`, { hostname: host }, { raw: true });
    assert.equal(again.status, 409);
  });
});
