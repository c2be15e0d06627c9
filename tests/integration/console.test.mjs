// The web console (console/, served at /console/ by Workers Static Assets),
// driven in headless Chromium as a person would use it: sign in with a
// workspace token, create a virtual key, chat with it in the Playground, find
// the request in Logs and on the Overview, revoke the key, log out; then a
// viewer sees no way to create keys and the API refuses it even from the page.
// Every page is screenshotted to target/integration/screenshots/<page>.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { GATEWAY, MASTER_KEY, admin, tag, workspace } from './lib/env.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', 'target', 'integration', 'screenshots');
const CONSOLE = `${GATEWAY}/console/`;
const $ = (id) => `[data-testid="${id}"]`;

let browser;
const pageErrors = [];

async function newPage(context) {
  const page = await context.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => pageErrors.push(String(e?.message ?? e)));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Runs a step; on failure keeps a screenshot of what the page showed. */
async function step(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    await shot(page, `failed-${name}`).catch(() => {});
    throw e;
  }
}

async function text(page, selector) {
  return page.$eval(selector, (el) => el.textContent ?? '');
}

/** Waits until the element's visible text contains `want`. */
async function waitText(page, selector, want, timeout = 20_000) {
  await page.waitForFunction((s, w) => (document.querySelector(s)?.textContent ?? '').includes(w), { timeout }, selector, want);
}

/** Waits until nothing on the page is loading. */
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'), { timeout: 20_000 });
}

/** Goes to a page through the side navigation, as a user would. */
async function visit(page, name) {
  await page.click($(`nav-${name}`));
  await page.waitForSelector($(`page-${name}`));
  await settled(page);
}

async function signIn(page, token) {
  await page.goto(CONSOLE, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector($('login-page'));
  await page.type($('login-token'), token);
  await page.click($('login-submit'));
  await page.waitForSelector($('app-shell'));
  await settled(page);
}

async function visibleErrors(page) {
  return page.$$eval($('error'), (els) => els.map((e) => e.textContent.trim()));
}

describe('web console', () => {
  let ctx;
  let ownerToken;
  let page;
  const keyName = tag('console-key');
  const message = `hello console ${tag('m')}`;
  let keyId;
  let requestId;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ctx = await workspace({ name: tag('console') });
    const owner = await admin('POST', `/workspaces/${ctx.workspace.id}/tokens`, { name: 'console owner', role: 'owner' });
    assert.match(owner.token, /^wt-/);
    ownerToken = owner.token;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    const origin = new URL(GATEWAY).origin;
    await browser
      .defaultBrowserContext()
      .overridePermissions(origin, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write'])
      .catch(() => {});
    page = await newPage(browser.defaultBrowserContext());
  });

  after(async () => {
    await browser?.close();
  });

  test('the login page refuses a wrong token and signs in an owner token', { timeout: 60_000 }, async () => {
    await step(page, 'login', async () => {
      await page.goto(CONSOLE, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector($('login-page'));
      await shot(page, 'login');
      await page.type($('login-token'), 'wt-not-a-real-token');
      await page.click($('login-submit'));
      await page.waitForSelector($('login-error'));
      assert.ok((await text(page, $('login-error'))).length > 0, 'a wrong token is explained');
      await page.$eval($('login-token'), (el) => (el.value = ''));
      await signIn(page, ownerToken);
      assert.match(await text(page, $('principal')), /owner/);
      assert.ok(!(await page.content()).includes(ownerToken), 'the token is not rendered');
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
      assert.ok(!stored.includes(ownerToken), 'the token is not kept in storage or a readable cookie');
    });
  });

  test('Keys: a new virtual key is shown once, with a copy button', { timeout: 60_000 }, async () => {
    await step(page, 'keys', async () => {
      await visit(page, 'keys');
      await page.click($('vk-create-open'));
      await page.type($('vk-name'), keyName);
      await page.click($('vk-submit'));
      await page.waitForSelector($('vk-created'));
      const token = (await text(page, $('vk-created-token'))).trim();
      assert.match(token, /^vk-/);
      await page.click($('vk-created-copy'));
      await page.waitForFunction((s) => /Copied|Copy failed/.test(document.querySelector(s)?.textContent ?? ''), {}, $('vk-created-copy'));
      const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
      if (copied !== null) assert.equal(copied, token, 'the copy button copies the key');
      await waitText(page, $('vk-table'), keyName);
      await shot(page, 'keys');
      await page.click($('vk-created-done'));
      await page.waitForFunction((s) => !document.querySelector(s), {}, $('vk-created'));
      assert.ok(!(await page.content()).includes(token), 'the key is not rendered once its panel is closed');
      keyId = await page.$$eval('[data-testid^="vk-row-"]', (rows, name) => {
        const row = rows.find((r) => r.textContent.includes(name));
        return row?.getAttribute('data-testid').slice('vk-row-'.length);
      }, keyName);
      assert.ok(keyId, 'the new key is listed');
      assert.match(await text(page, $(`vk-row-${keyId}`)), /active/);
    });
  });

  test('Playground: the answer streams in with the gateway headers', { timeout: 60_000 }, async () => {
    await step(page, 'playground', async () => {
      await visit(page, 'playground');
      await page.select($('pg-key'), keyId);
      await page.waitForFunction((s) => [...(document.querySelector(s)?.options ?? [])].some((o) => /(^|\/)gpt-4o-mini$/.test(o.value)), {}, $('pg-model'));
      const model = await page.$eval($('pg-model'), (el) => [...el.options].map((o) => o.value).find((v) => /(^|\/)gpt-4o-mini$/.test(v)));
      await page.select($('pg-model'), model);
      const answered = page.waitForResponse((r) => r.url().endsWith('/v1/chat/completions') && r.request().method() === 'POST');
      await page.click($('pg-archive'));
      await page.type($('pg-message'), message);
      await page.click($('pg-send'));
      const response = await answered;
      await waitText(page, $('pg-reply'), `Mock answer to: ${message}`);
      await page.waitForSelector($('pg-headers-table'));
      assert.match(await text(page, $('pg-header-alephant-provider')), /openai/);
      assert.match(await text(page, $('pg-header-alephant-attempts')), /\d/);
      requestId = (await page.$eval(`${$('pg-header-alephant-id')} td`, (el) => el.textContent)).trim();
      assert.ok(requestId.length > 8, 'alephant-id is shown');
      // Every gateway header of the answer (cache status, cost, rate limits… when present) is shown.
      const sent = Object.keys(response.headers()).filter((h) => h.startsWith('alephant-') || h === 'x-request-id');
      for (const h of sent) assert.ok(await page.$($(`pg-header-${h}`)), `header ${h} is shown`);
      assert.ok(!(await page.content()).includes(ctx.key.key), 'no key is rendered');
      await shot(page, 'playground');
    });
  });

  test('Logs: the request appears (written through the queue) and its detail opens', { timeout: 90_000 }, async () => {
    await step(page, 'logs', async () => {
      await visit(page, 'logs');
      const row = $(`log-row-${requestId}`);
      const deadline = Date.now() + 60_000;
      while (!(await page.$(row))) {
        assert.ok(Date.now() < deadline, `request ${requestId} never appeared in Logs`);
        await new Promise((r) => setTimeout(r, 1000));
        await page.click($('logs-refresh'));
        await settled(page);
      }
      assert.match(await text(page, row), /gpt-4o-mini/);
      assert.match(await text(page, row), /200/);
      await shot(page, 'logs');
      await page.click($(`log-link-${requestId}`));
      await page.waitForSelector($('log-detail'));
      await settled(page);
      assert.equal((await text(page, $('log-id'))).trim(), requestId);
      assert.match(await text(page, $('log-model')), /gpt-4o-mini/);
      assert.match(await text(page, $('log-response-headers')), /alephant-provider\s*openai/);
      assert.ok(await page.$($('log-attempts')), 'attempts are shown');
      assert.ok(await page.$($('log-cost-value')), 'the cost is shown');
      // The Playground asked for the bodies to be archived (alephant-archive): they render as a chat.
      const chatDeadline = Date.now() + 20_000;
      while (!(await page.$($('body-chat-view')))) {
        assert.ok(Date.now() < chatDeadline, `the archived bodies never showed: ${await text(page, $('log-bodies'))}`);
        await new Promise((r) => setTimeout(r, 1000));
        await page.click($('log-reload'));
        await settled(page);
      }
      await waitText(page, $('body-chat-view'), message);
      await waitText(page, $('body-chat-view'), `Mock answer to: ${message}`);
      await page.click($('tab-raw'));
      await waitText(page, $('body-request-raw'), '"messages"');
      await shot(page, 'log-detail');
    });
  });

  test('Overview: the request is in the totals, the chart and the top models', { timeout: 60_000 }, async () => {
    await step(page, 'overview', async () => {
      await visit(page, 'overview');
      const requests = Number((await text(page, `${$('stat-requests')} .stat-value`)).replace(/[^\d]/g, ''));
      assert.ok(requests >= 1, `the requests total shows ${requests}`);
      assert.ok(await page.$(`${$('chart-requests')} canvas`), 'the requests chart is drawn');
      await waitText(page, $('top-models'), 'gpt-4o-mini');
      await shot(page, 'overview');
    });
  });

  test('every other page loads without an error', { timeout: 120_000 }, async () => {
    for (const name of ['sessions', 'governance', 'routers', 'prompts', 'cache', 'domains', 'audit']) {
      await step(page, name, async () => {
        await visit(page, name);
        assert.deepEqual(await visibleErrors(page), [], `${name} shows no error`);
        await shot(page, name);
      });
    }
    await step(page, 'audit', async () => {
      await waitText(page, $('audit-table'), 'virtual_key.created');
    });
  });

  test('Keys: revoking the key', { timeout: 60_000 }, async () => {
    await step(page, 'revoke', async () => {
      await visit(page, 'keys');
      await page.click($(`vk-revoke-${keyId}`));
      await page.click($(`vk-revoke-${keyId}-confirm`));
      await waitText(page, $(`vk-row-${keyId}`), 'revoked');
      await shot(page, 'keys-revoked');
    });
  });

  test('logging out ends the session: a reload shows the login page', { timeout: 60_000 }, async () => {
    await step(page, 'logout', async () => {
      await page.click($('logout'));
      await page.waitForSelector($('login-page'));
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector($('login-page'));
      assert.equal(await page.$($('app-shell')), null);
    });
  });

  test('a viewer sees no create action, and the API refuses it from the page', { timeout: 60_000 }, async () => {
    const viewer = await admin('POST', `/workspaces/${ctx.workspace.id}/tokens`, { name: 'console viewer', role: 'viewer' });
    const context = await browser.createBrowserContext();
    const vpage = await newPage(context);
    try {
      await step(vpage, 'viewer', async () => {
        await signIn(vpage, viewer.token);
        assert.match(await text(vpage, $('principal')), /viewer/);
        await visit(vpage, 'keys');
        await waitText(vpage, $('vk-table'), keyName);
        assert.equal(await vpage.$($('vk-create-open')), null, 'no Create key button');
        const actions = await vpage.$$eval('main button:not(.th-sort)', (bs) => bs.map((b) => b.textContent.trim()).filter((t) => /^(Create|Add|Revoke|Delete)\b/.test(t)));
        assert.deepEqual(actions, [], 'no create, add, revoke or delete action');
        await shot(vpage, 'keys-viewer');
        const refused = await vpage.evaluate(async (ws) => {
          const s = await (await fetch('/admin/session', { credentials: 'same-origin' })).json();
          const r = await fetch(`/admin/workspaces/${ws}/virtual-keys`, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
            body: JSON.stringify({ name: 'viewer attempt' }),
          });
          return { status: r.status, body: await r.json().catch(() => null) };
        }, ctx.workspace.id);
        assert.equal(refused.status, 403);
        assert.ok(refused.body?.error?.message, 'the refusal explains itself');
        assert.match(refused.body.error.message, /developer|admin|owner/i, 'the refusal names the role needed');
      });
    } finally {
      await context.close();
    }
  });

  test('the master key signs in too, with a workspace picker', { timeout: 60_000 }, async () => {
    const context = await browser.createBrowserContext();
    const mpage = await newPage(context);
    try {
      await step(mpage, 'master', async () => {
        await signIn(mpage, MASTER_KEY);
        assert.match(await text(mpage, $('principal')), /super admin/);
        const ids = await mpage.$$eval(`${$('workspace-picker')} option`, (os) => os.map((o) => o.value));
        assert.ok(ids.length >= 1, 'the picker lists workspaces');
        if (ids.includes(ctx.workspace.id)) {
          await mpage.select($('workspace-picker'), ctx.workspace.id);
          await settled(mpage);
          await waitText(mpage, $('top-models'), 'gpt-4o-mini');
        }
        await shot(mpage, 'overview-master');
        await mpage.click($('logout'));
        await mpage.waitForSelector($('login-page'));
      });
    } finally {
      await context.close();
    }
  });

  test('the pages raised no script error', () => {
    assert.deepEqual(pageErrors, []);
  });
});
