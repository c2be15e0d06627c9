// Workspaces run themselves: admin tokens with roles, every role against
// every action class (and against another workspace), developers kept to
// their own keys, console sessions with CSRF, and Cloudflare Access SSO
// against a team stand-in on loopback (lib/access.mjs).

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { GATEWAY, STATE_DIR, admin, mock, tag, workspace } from './lib/env.mjs';
import { d1 } from './lib/processes.mjs';
import { ACCESS_AUD, accessJwt, strangerPem } from './lib/access.mjs';

/** A call with a workspace token (or any bearer); returns status and body. */
async function as(token, method, path, body, headers = {}) {
  const r = await fetch(`${GATEWAY}/admin${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

async function token(ws, role, extra = {}) {
  return admin('POST', `/workspaces/${ws}/tokens`, { name: `${role} token`, role, ...extra });
}

const ROLES = ['viewer', 'developer', 'admin', 'owner'];
const RANK = Object.fromEntries(ROLES.map((r, i) => [r, i]));

/**
 * One call per action class, each with the least role that may make it.
 * Allowed calls must not be refused by role (a 404 for a missing log still
 * proves the role passed); refused ones are 403 naming the role needed.
 */
const ACTIONS = [
  { what: 'read logs', least: 'viewer', call: (ws) => ['GET', `/workspaces/${ws}/logs`] },
  { what: 'read analytics', least: 'viewer', call: (ws) => ['GET', `/workspaces/${ws}/analytics?group_by=model`] },
  { what: 'read the workspace', least: 'viewer', call: (ws) => ['GET', `/workspaces/${ws}`] },
  { what: 'read bodies', least: 'admin', call: (ws) => ['GET', `/workspaces/${ws}/logs/no-such-log?include=bodies`], allowedStatus: 404 },
  { what: 'create a virtual key', least: 'developer', call: (ws) => ['POST', `/workspaces/${ws}/virtual-keys`, { name: 'k' }] },
  { what: 'create a prompt', least: 'developer', call: (ws) => ['POST', `/workspaces/${ws}/prompts`, { id: `p-${tag()}`, template: { messages: [{ role: 'user', content: 'hi {{name}}' }] } }] },
  { what: 'add a provider key', least: 'admin', call: (ws) => ['POST', `/workspaces/${ws}/provider-keys`, { provider: 'openai', key: 'sk-role-test', base_url: mock.baseUrl(tag('o')) }] },
  { what: 'set a policy', least: 'admin', call: (ws) => ['PUT', `/workspaces/${ws}/policies/workspace/${ws}`, { max_tokens: 1000 }] },
  { what: 'purge the cache', least: 'admin', call: (ws) => ['POST', `/workspaces/${ws}/cache/purge`] },
  { what: 'create an agent', least: 'admin', call: (ws) => ['POST', `/workspaces/${ws}/agents`, { name: `agent-${tag()}` }] },
  { what: 'add a custom domain', least: 'admin', call: (ws) => ['POST', `/workspaces/${ws}/domains`, { hostname: `${tag('d')}.example.com` }] },
  { what: 'list admin tokens', least: 'owner', call: (ws) => ['GET', `/workspaces/${ws}/tokens`] },
  { what: 'create an admin token', least: 'owner', call: (ws) => ['POST', `/workspaces/${ws}/tokens`, { role: 'viewer' }] },
  { what: 'add a member', least: 'owner', call: (ws) => ['PUT', `/workspaces/${ws}/members/someone%40example.com`, { role: 'viewer' }] },
  { what: 'create a workspace', least: null, call: () => ['POST', '/workspaces', { name: 'x' }] },
];

describe('workspace admin tokens', () => {
  let a;
  let b;
  const tokens = {};
  before(async () => {
    a = (await workspace({ name: 'access-a' })).workspace.id;
    b = (await workspace({ name: 'access-b' })).workspace.id;
    for (const role of ROLES) tokens[role] = await token(a, role);
  });

  test('a token is shown once, stored as a hash, and listed by prefix only', async () => {
    const t = tokens.owner;
    assert.match(t.token, /^wt-[A-Za-z0-9_-]{32}$/);
    assert.equal(t.role, 'owner');
    const listed = await admin('GET', `/workspaces/${a}/tokens`);
    const row = listed.data.find((x) => x.id === t.id);
    assert.equal(row.token, undefined);
    assert.ok(t.token.startsWith(row.token_prefix));
    assert.ok(!JSON.stringify(listed).includes(t.token));
    const stored = await d1(STATE_DIR, `SELECT * FROM workspace_tokens WHERE id = '${t.id}'`);
    assert.equal(stored[0].token_hash, createHash('sha256').update(t.token).digest('hex'));
    assert.ok(!JSON.stringify(stored).includes(t.token), 'the token itself is nowhere in D1');
  });

  for (const action of ACTIONS) {
    test(`${action.what}: allowed from '${action.least ?? 'master key only'}' up, refused below`, async () => {
      for (const role of ROLES) {
        const [method, path, body] = action.call(a);
        const r = await as(tokens[role].token, method, path, body);
        const allowed = action.least !== null && RANK[role] >= RANK[action.least];
        if (allowed) {
          assert.ok(r.status < 400 || r.status === action.allowedStatus, `${role} ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
        } else {
          assert.equal(r.status, 403, `${role} ${method} ${path} → ${r.status}`);
          assert.equal(r.body.error.code, 'role_not_allowed');
          assert.equal(r.body.error.type, 'permission_error');
          if (action.least) assert.match(r.body.error.message, new RegExp(`'${action.least}'`));
        }
      }
    });
  }

  test('another workspace is a 404 for every role and action, exactly like one that does not exist', async () => {
    for (const role of ROLES) {
      for (const action of ACTIONS.filter((x) => x.least)) {
        const [method, path, body] = action.call(b);
        const other = await as(tokens[role].token, method, path, body);
        const [, ghostPath] = action.call('ws_doesnotexist');
        const ghost = await as(tokens[role].token, method, ghostPath, body);
        assert.equal(other.status, 404, `${role} ${method} ${path} → ${other.status}`);
        assert.equal(other.body.error.code, 'workspace_not_found');
        assert.equal(ghost.status, 404);
        assert.equal(other.body.error.message.replace(b, 'X'), ghost.body.error.message.replace('ws_doesnotexist', 'X'));
      }
    }
    // Nothing was created in B by any of those attempts.
    assert.equal((await admin('GET', `/workspaces/${b}/tokens`)).data.length, 0);
    assert.equal((await admin('GET', `/workspaces/${b}/virtual-keys`)).data.length, 1, 'only the key workspace() made');
  });

  test('a token lists only its own workspace', async () => {
    const r = await as(tokens.viewer.token, 'GET', '/workspaces');
    assert.deepEqual(r.body.data.map((w) => w.id), [a]);
  });

  test('a developer makes keys that narrow, never pick a policy, and sees and revokes only its own', async () => {
    const dev = tokens.developer.token;
    const refused = await as(dev, 'POST', `/workspaces/${a}/virtual-keys`, { name: 'k', policy: { max_tokens: 1e9 } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.param, 'policy');
    for (const field of [{ rate_limit: '1000;w=60' }, { department: 'finance' }]) {
      assert.equal((await as(dev, 'POST', `/workspaces/${a}/virtual-keys`, { name: 'k', ...field })).status, 403);
    }
    const mine = await as(dev, 'POST', `/workspaces/${a}/virtual-keys`, { name: 'mine', allowed_models: ['gpt-4o-mini'] });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.created_by, `token:${tokens.developer.id}`);
    const theirs = await admin('POST', `/workspaces/${a}/virtual-keys`, { name: 'admin key' });
    const listed = await as(dev, 'GET', `/workspaces/${a}/virtual-keys`);
    assert.ok(listed.body.data.every((k) => k.created_by === `token:${tokens.developer.id}`));
    assert.ok(listed.body.data.some((k) => k.id === mine.body.id));
    assert.equal((await as(dev, 'GET', `/workspaces/${a}/virtual-keys/${theirs.id}`)).status, 404);
    assert.equal((await as(dev, 'POST', `/workspaces/${a}/virtual-keys/${theirs.id}/revoke`)).status, 404);
    assert.equal((await admin('GET', `/workspaces/${a}/virtual-keys/${theirs.id}`)).revoked_at, null, 'not revoked');
    // The developer's key works, within what it narrowed to.
    const client = new OpenAI({ apiKey: mine.body.key, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(answer.choices[0].message.content);
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), { status: 403 });
    assert.equal((await as(dev, 'POST', `/workspaces/${a}/virtual-keys/${mine.body.id}/revoke`)).status, 200);
    // A developer may not widen its key afterwards either.
    assert.equal((await as(dev, 'PATCH', `/workspaces/${a}/virtual-keys/${mine.body.id}`, { allowed_models: null })).status, 403);
  });

  test('changes by a token are audited with its id and role', async () => {
    const t = tokens.admin;
    const made = await as(t.token, 'POST', `/workspaces/${a}/agents`, { name: `agent-${tag()}` });
    assert.equal(made.status, 201);
    const events = await admin('GET', `/workspaces/${a}/audit-events?action=agent.created`);
    const e = events.data.find((x) => x.target_id === made.body.id);
    assert.equal(e.actor, `token:${t.id}`);
    assert.equal(e.details.actor_role, 'admin');
    const byMaster = (await admin('GET', `/workspaces/${a}/audit-events?action=admin_token.created`)).data.find((x) => x.actor === 'master');
    assert.equal(byMaster.actor, 'master');
    assert.equal(byMaster.details.actor_role, 'super_admin');
  });

  test('revoked and expired tokens stop working; bad tokens count as guesses', async () => {
    const t = await token(a, 'admin');
    assert.equal((await as(t.token, 'GET', `/workspaces/${a}`)).status, 200);
    await admin('POST', `/workspaces/${a}/tokens/${t.id}/revoke`);
    const revoked = await as(t.token, 'GET', `/workspaces/${a}`);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, 'invalid_admin_token');
    const soon = await token(a, 'viewer', { expires_at: Date.now() + 1500 });
    assert.equal((await as(soon.token, 'GET', `/workspaces/${a}`)).status, 200);
    await new Promise((r) => setTimeout(r, 2000));
    const expired = await as(soon.token, 'GET', `/workspaces/${a}`);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'admin_token_expired');
    const forged = await as(`wt-${'A'.repeat(32)}`, 'GET', `/workspaces/${a}`);
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'invalid_admin_token');
    // A token is an admin credential, not an inference key.
    const client = new OpenAI({ apiKey: tokens.owner.token, baseURL: `${GATEWAY}/v1`, maxRetries: 0 });
    await assert.rejects(client.models.list(), { status: 401 });
  });

  test('token and member inputs are validated', async () => {
    const bad = await as(tokens.owner.token, 'POST', `/workspaces/${a}/tokens`, { role: 'root' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'role');
    const email = await as(tokens.owner.token, 'PUT', `/workspaces/${a}/members/not-an-email`, { role: 'viewer' });
    assert.equal(email.status, 400);
    const put = await as(tokens.owner.token, 'PUT', `/workspaces/${a}/members/Ada%40Example.com`, { role: 'developer' });
    assert.equal(put.status, 200);
    assert.equal(put.body.email, 'ada@example.com');
    const members = await as(tokens.owner.token, 'GET', `/workspaces/${a}/members`);
    assert.ok(members.body.data.some((m) => m.email === 'ada@example.com' && m.role === 'developer'));
    assert.equal((await as(tokens.owner.token, 'DELETE', `/workspaces/${a}/members/ada%40example.com`)).status, 200);
    assert.equal((await as(tokens.owner.token, 'DELETE', `/workspaces/${a}/members/ada%40example.com`)).status, 404);
  });
});

/** Logs in; returns the cookie header value and the session body. */
async function login(tokenValue) {
  const r = await fetch(`${GATEWAY}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokenValue }) });
  const body = await r.json();
  const setCookie = r.headers.get('set-cookie');
  return { status: r.status, body, setCookie, cookie: setCookie?.split(';')[0] };
}

describe('console sessions', () => {
  let ws;
  let owner;
  before(async () => {
    ws = (await workspace({ name: 'sessions' })).workspace.id;
    owner = await token(ws, 'owner');
  });

  test('logging in sets an HttpOnly, Secure, SameSite=Strict cookie; the cookie then authenticates', async () => {
    const s = await login(owner.token);
    assert.equal(s.status, 201);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(s.setCookie.includes(attr), s.setCookie);
    assert.ok(!s.setCookie.includes(owner.token), 'the cookie is a session, not the token');
    assert.equal(s.body.principal.role, 'owner');
    assert.equal(s.body.principal.workspace_id, ws);
    assert.match(s.body.csrf_token, /^[0-9a-f]{48}$/);
    const me = await as(null, 'GET', '/session', undefined, { cookie: s.cookie });
    assert.equal(me.status, 200);
    assert.equal(me.body.csrf_token, s.body.csrf_token);
    assert.equal((await as(null, 'GET', `/workspaces/${ws}/logs`, undefined, { cookie: s.cookie })).status, 200);
  });

  test('state-changing calls with the cookie need the CSRF token', async () => {
    const s = await login(owner.token);
    const without = await as(null, 'POST', `/workspaces/${ws}/agents`, { name: 'a' }, { cookie: s.cookie });
    assert.equal(without.status, 403);
    assert.equal(without.body.error.code, 'csrf_token_invalid');
    const wrong = await as(null, 'POST', `/workspaces/${ws}/agents`, { name: 'a' }, { cookie: s.cookie, 'x-csrf-token': '0'.repeat(48) });
    assert.equal(wrong.status, 403);
    const other = await login(owner.token);
    const crossed = await as(null, 'POST', `/workspaces/${ws}/agents`, { name: 'a' }, { cookie: s.cookie, 'x-csrf-token': other.body.csrf_token });
    assert.equal(crossed.status, 403, "another session's CSRF token does not do");
    const ok = await as(null, 'POST', `/workspaces/${ws}/agents`, { name: 'a' }, { cookie: s.cookie, 'x-csrf-token': s.body.csrf_token });
    assert.equal(ok.status, 201);
    const events = await admin('GET', `/workspaces/${ws}/audit-events?action=agent.created`);
    assert.equal(events.data[0].actor, `token:${owner.id}`);
  });

  test('logging out ends the session; revoking the token ends its sessions', async () => {
    const s = await login(owner.token);
    assert.equal((await as(null, 'DELETE', '/session', undefined, { cookie: s.cookie })).status, 403, 'log out needs CSRF too');
    const out = await as(null, 'DELETE', '/session', undefined, { cookie: s.cookie, 'x-csrf-token': s.body.csrf_token });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
    const after = await as(null, 'GET', '/session', undefined, { cookie: s.cookie });
    assert.equal(after.status, 401);
    assert.equal((await as(null, 'GET', `/workspaces/${ws}/logs`, undefined, { cookie: s.cookie })).status, 401);

    const t = await token(ws, 'admin');
    const s2 = await login(t.token);
    assert.equal((await as(null, 'GET', `/workspaces/${ws}`, undefined, { cookie: s2.cookie })).status, 200);
    await admin('POST', `/workspaces/${ws}/tokens/${t.id}/revoke`);
    assert.equal((await as(null, 'GET', `/workspaces/${ws}`, undefined, { cookie: s2.cookie })).status, 401);
  });

  test('a wrong token does not log in; the master key logs in as super admin', async () => {
    const bad = await login(`wt-${'B'.repeat(32)}`);
    assert.equal(bad.status, 401);
    assert.equal(bad.setCookie, null);
    const vk = (await admin('GET', `/workspaces/${ws}/virtual-keys`)).data[0];
    assert.equal((await login(`vk-${'C'.repeat(32)}`)).status, 401, `a virtual key (${vk.key_prefix}…) is no login`);
    const m = await login(process.env.GATEWAY_MASTER_KEY);
    assert.equal(m.status, 201);
    assert.equal(m.body.principal.role, 'super_admin');
    const all = await as(null, 'GET', '/workspaces', undefined, { cookie: m.cookie });
    assert.ok(all.body.data.length >= 2);
    const forged = await as(null, 'GET', '/workspaces', undefined, { cookie: `alephant_session=cs-${'D'.repeat(32)}` });
    assert.equal(forged.status, 401);
  });
});

describe('Cloudflare Access single sign-on', () => {
  let ws;
  let other;
  before(async () => {
    ws = (await workspace({ name: 'sso' })).workspace.id;
    other = (await workspace({ name: 'sso-other' })).workspace.id;
    await admin('PUT', `/workspaces/${ws}/members/grace%40example.com`, { role: 'viewer' });
    await admin('PUT', `/workspaces/${ws}/members/linus%40example.com`, { role: 'admin' });
  });

  const sso = (jwt, method, path, body, headers = {}) => as(null, method, path, body, { 'cf-access-jwt-assertion': jwt, ...headers });

  test('a verified assertion maps the e-mail to its member and role', async () => {
    const viewer = await sso(accessJwt('Grace@Example.com'), 'GET', `/workspaces/${ws}/logs`);
    assert.equal(viewer.status, 200, JSON.stringify(viewer.body));
    const refused = await sso(accessJwt('grace@example.com'), 'GET', `/workspaces/${ws}/tokens`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'role_not_allowed');
    assert.equal((await sso(accessJwt('grace@example.com'), 'GET', `/workspaces/${other}`)).status, 404, 'not a member there');
  });

  test('forged, expired, foreign and unknown assertions are refused', async () => {
    const path = `/workspaces/${ws}/logs`;
    const cases = {
      forged: accessJwt('linus@example.com', { pem: strangerPem() }),
      expired: accessJwt('linus@example.com', { expiresIn: -600 }),
      'other audience': accessJwt('linus@example.com', { aud: `${ACCESS_AUD}-other` }),
      'other issuer': accessJwt('linus@example.com', { issuer: 'https://evil.cloudflareaccess.com' }),
      'unknown key id': accessJwt('linus@example.com', { kid: 'not-published' }),
      garbage: 'a.b.c',
    };
    for (const [what, jwt] of Object.entries(cases)) {
      const r = await sso(jwt, 'GET', path);
      assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'access_jwt_invalid', what);
    }
    const alg = accessJwt('linus@example.com').split('.');
    alg[0] = Buffer.from(JSON.stringify({ alg: 'none', kid: 'test-key-1' })).toString('base64url');
    assert.equal((await sso(alg.join('.'), 'GET', path)).status, 401, 'alg none');
    const stranger = await sso(accessJwt('nobody@example.com'), 'GET', '/session');
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body.error.code, 'not_a_member');
  });

  test('Access logs the console in directly; writes need the session CSRF token', async () => {
    const jwt = accessJwt('linus@example.com');
    const direct = await sso(jwt, 'POST', `/workspaces/${ws}/agents`, { name: 'a' });
    assert.equal(direct.status, 403);
    assert.equal(direct.body.error.code, 'csrf_token_invalid');
    const s = await sso(jwt, 'GET', '/session');
    assert.equal(s.status, 201);
    assert.equal(s.body.principal.email, 'linus@example.com');
    assert.equal(s.body.principal.role, 'admin');
    const cookie = s.headers.get('set-cookie').split(';')[0];
    const made = await as(null, 'POST', `/workspaces/${ws}/agents`, { name: 'by-sso' }, { cookie, 'x-csrf-token': s.body.csrf_token });
    assert.equal(made.status, 201);
    const e = (await admin('GET', `/workspaces/${ws}/audit-events?action=agent.created`)).data.find((x) => x.target_id === made.body.id);
    assert.equal(e.actor, 'member:linus@example.com');
    // Removing the member ends what the session may do.
    await admin('DELETE', `/workspaces/${ws}/members/linus%40example.com`);
    assert.equal((await as(null, 'GET', `/workspaces/${ws}`, undefined, { cookie })).status, 404);
  });
});
