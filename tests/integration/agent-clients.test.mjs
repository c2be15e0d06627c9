// The real coding-agent CLIs through the gateway, offline: `codex exec`
// (Responses API) on an OpenAI and on an Anthropic model, `opencode run`
// (chat completions through the AI SDK) on an OpenAI and on a Gemini model,
// and Claude Code (`claude -p`, Messages API) on an Anthropic model (passed
// through) and on OpenAI and Gemini models (translated).
// The mock provider plays the agent loop in each provider's own wire format:
// asked a task, it calls the client's shell tool with the task as the
// command; given the tool's output, it answers "The tool returned: …".
// Each run must really execute the command, print the final answer, and
// leave two logged requests (tool call, final answer) with usage and cost.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { admin, GATEWAY, mock, workspace } from './lib/env.mjs';
import { waitFor } from './lib/processes.mjs';
import { runClaudeCode, runCodex, runOpencode } from './lib/clients.mjs';

const MARK = 'alephant-tool-ok';
/** The task is the command the mock's shell tool call will carry. */
const TASK = `echo ${MARK} | tee result.txt`;
const TIMEOUT_MS = 90_000;

/** The workspace's log rows for one provider and endpoint, once `n` have been written. */
async function rows(ws, provider, n, endpoint = 'responses') {
  return waitFor(async () => {
    const r = await admin('GET', `/workspaces/${ws}/logs?provider=${provider}&endpoint=${endpoint}&limit=50`);
    return r.data.length >= n ? r.data : null;
  }, { timeoutMs: 30_000, what: `${n} log rows for ${provider}` });
}

function assertLoop(logged, endpoint) {
  assert.equal(logged.length, 2, `one request for the tool call, one for the answer: ${JSON.stringify(logged.map((r) => [r.status, r.stream, r.prompt_tokens, r.completion_tokens, r.error_class]))}`);
  for (const row of logged) {
    assert.equal(row.endpoint, endpoint);
    assert.equal(row.status, 200);
    assert.equal(row.stream, 1);
    assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0, JSON.stringify(row));
    assert.ok(row.cost_nanos > 0);
  }
}

describe('coding-agent CLIs through the gateway', () => {
  let ctx;
  const work = () => mkdtempSync(join(tmpdir(), 'alephant-agent-'));
  before(async () => {
    ctx = await workspace({ providers: { openai: {}, anthropic: { suffix: '' }, gemini: { suffix: '' } } });
  });

  for (const model of ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5']) {
    test(`codex exec on ${model}: one shell call, then the answer`, { timeout: TIMEOUT_MS + 30_000 }, async () => {
      const provider = model.split('/')[0];
      const cwd = work();
      const run = await runCodex({ baseUrl: GATEWAY, apiKey: ctx.key.key, model, task: TASK, cwd, timeoutMs: TIMEOUT_MS });
      const transcript = `${run.stdout}\n${run.stderr}`;
      assert.equal(run.timedOut, false, transcript);
      assert.equal(run.code, 0, transcript);
      assert.equal(readFileSync(join(cwd, 'result.txt'), 'utf8').trim(), MARK, 'codex ran the command');
      assert.match(run.lastMessage ?? '', new RegExp(`The tool returned: [\\s\\S]*${MARK}`), transcript);
      assert.match(run.stdout, new RegExp(MARK));

      const seen = await mock.requests(ctx.tags[provider]);
      assert.ok(seen.every((r) => !JSON.stringify(r.headers).includes(ctx.key.key)), 'the virtual key stays at the gateway');
      assertLoop(await rows(ctx.workspace.id, provider, 2), 'responses');
    });
  }

  for (const model of ['openai/gpt-4o-mini', 'gemini/gemini-2.5-flash']) {
    test(`opencode run on ${model}: one bash call, then the answer`, { timeout: TIMEOUT_MS + 30_000 }, async () => {
      const provider = model.split('/')[0];
      const before = (await admin('GET', `/workspaces/${ctx.workspace.id}/logs?provider=${provider}&endpoint=chat&limit=50`)).data.length;
      const cwd = work();
      const run = await runOpencode({ baseUrl: GATEWAY, apiKey: ctx.key.key, model, task: TASK, cwd, timeoutMs: TIMEOUT_MS });
      const transcript = stripVTControlCharacters(`${run.stdout}\n${run.stderr}`);
      assert.equal(run.timedOut, false, transcript);
      assert.equal(run.code, 0, transcript);
      assert.ok(existsSync(join(cwd, 'result.txt')), `opencode ran the command:\n${transcript}`);
      assert.match(run.stdout, new RegExp(`The tool returned: [\\s\\S]*${MARK}`), transcript);

      const logged = await waitFor(async () => {
        const r = await admin('GET', `/workspaces/${ctx.workspace.id}/logs?provider=${provider}&endpoint=chat&limit=50`);
        return r.data.length >= before + 2 ? r.data.slice(0, r.data.length - before) : null;
      }, { timeoutMs: 30_000, what: 'opencode log rows' });
      assertLoop(logged, 'chat');
    });
  }

  for (const model of ['anthropic/claude-haiku-4-5', 'openai/gpt-4o-mini', 'gemini/gemini-2.5-flash']) {
    test(`Claude Code on ${model}: one Bash call, then the answer`, { timeout: TIMEOUT_MS + 30_000 }, async () => {
      const provider = model.split('/')[0];
      const cwd = work();
      const run = await runClaudeCode({ baseUrl: GATEWAY, apiKey: ctx.key.key, model, task: TASK, cwd, timeoutMs: TIMEOUT_MS });
      const transcript = stripVTControlCharacters(`${run.stdout}\n${run.stderr}`);
      assert.equal(run.timedOut, false, transcript);
      assert.equal(run.code, 0, transcript);
      assert.equal(readFileSync(join(cwd, 'result.txt'), 'utf8').trim(), MARK, `Claude Code ran the command:\n${transcript}`);
      assert.equal(run.result?.is_error, false, transcript);
      assert.match(run.result.result, new RegExp(`The tool returned: [\\s\\S]*${MARK}`), transcript);

      const logged = await rows(ctx.workspace.id, provider, 2, 'messages');
      assertLoop(logged, 'messages');
      if (provider === 'openai') {
        // Claude Code asks for 32,000 output tokens; gpt-4o-mini allows 16,384.
        const seen = (await mock.requests(ctx.tags.openai))
          .map((r) => (typeof r.body === 'string' ? JSON.parse(r.body) : r.body))
          .filter((b) => JSON.stringify(b?.messages ?? []).includes('<system-reminder>'));
        assert.ok(seen.length >= 2, 'the translated requests reached the mock');
        for (const b of seen) assert.equal(b.max_completion_tokens, 16384);
      }
    });
  }
});
