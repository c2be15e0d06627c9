// The coding-agent CLI harness (lib/clients.mjs) against a fake upstream
// (fakes/agent-upstream.mjs), not the gateway: the pinned `codex exec` and
// `opencode run` must finish a one-tool-call task offline, really run the
// command, print the final answer, and be killed on timeout. If a version
// bump changes what the clients send or need, this fails before the gateway
// tests that use the same harness do.
// Needs no gateway: runs with `node --test tests/integration/clients-harness.test.mjs`.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { runCodex, runOpencode, v1Url } from './lib/clients.mjs';
import { startAgentUpstream } from './fakes/agent-upstream.mjs';

const KEY = 'sk-alephant-harness-check';
const MODEL = 'openai/gpt-4o-mini';
const TASK = 'Run `echo alephant-tool-ok > result.txt` in the shell, then tell me what it printed.';

let scratch;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'alephant-clients-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
const workdir = () => {
  const dir = join(scratch, `work-${++dirs}`);
  return dir;
};

async function withUpstream(options, fn) {
  const upstream = await startAgentUpstream(options);
  try {
    return await fn(upstream);
  } finally {
    await upstream.stop();
  }
}

describe('codex exec (Responses API)', () => {
  test('completes a one-tool-call task and prints the final answer', async () => {
    await withUpstream({}, async (up) => {
      const cwd = workdir();
      const r = await runCodex({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd, timeoutMs: 60_000 });
      assert.equal(r.timedOut, false, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(cwd, 'result.txt'), 'utf8'), 'alephant-tool-ok\n');
      assert.match(r.stdout, /Done\. The command printed:[\s\S]*alephant-tool-ok/);
      assert.match(r.lastMessage, /alephant-tool-ok/);

      assert.deepEqual(up.requests.map((q) => `${q.method} ${q.path}`), ['POST /v1/responses', 'POST /v1/responses']);
      const [first, second] = up.requests;
      assert.equal(first.headers.authorization, `Bearer ${KEY}`);
      assert.equal(first.headers.originator, 'codex_exec');
      assert.match(first.headers['user-agent'], /^codex_exec\/0\.169\.0 /);
      assert.equal(first.body.model, MODEL);
      assert.equal(first.body.stream, true);
      assert.equal(first.body.store, false);
      assert.deepEqual(first.body.include, ['reasoning.encrypted_content']);
      const exec = first.body.tools.find((t) => t.name === 'exec_command');
      assert.equal(exec?.type, 'function');
      assert.deepEqual(exec.parameters.required, ['cmd']);
      const call = second.body.input.find((i) => i.type === 'function_call');
      const output = second.body.input.find((i) => i.type === 'function_call_output');
      assert.equal(call.name, 'exec_command');
      assert.equal(output.call_id, call.call_id);
      assert.match(output.output, /alephant-tool-ok/);
    });
  });

  test('needs only response.output_item.done and response.completed from the stream', async () => {
    await withUpstream({ faults: ['minimal-events'] }, async (up) => {
      const cwd = workdir();
      const r = await runCodex({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd, json: true });
      assert.equal(r.code, 0, r.stderr);
      const command = r.events.find((e) => e.type === 'item.completed' && e.item.type === 'command_execution');
      assert.equal(command?.item.exit_code, 0);
      assert.equal(command.item.aggregated_output, 'alephant-tool-ok\n');
      assert.ok(r.events.some((e) => e.type === 'item.completed' && e.item.type === 'agent_message' && /alephant-tool-ok/.test(e.item.text)));
      assert.ok(r.events.some((e) => e.type === 'turn.completed'));
    });
  });

  test('an error status from the gateway fails the run with the error message', async () => {
    await withUpstream({ faults: ['status:401'] }, async (up) => {
      const r = await runCodex({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd: workdir() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /unexpected status 401 Unauthorized: fake upstream answers 401/);
    });
  });
});

describe('opencode run (chat completions)', () => {
  test('completes a one-tool-call task and prints the final answer', async () => {
    await withUpstream({}, async (up) => {
      const cwd = workdir();
      const r = await runOpencode({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd, timeoutMs: 60_000 });
      assert.equal(r.timedOut, false, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(cwd, 'result.txt'), 'utf8'), 'alephant-tool-ok\n');
      assert.equal(r.stdout.trim(), 'Done. The command printed: alephant-tool-ok');
      assert.match(stripVTControlCharacters(r.stderr), /\$ echo alephant-tool-ok > result\.txt && cat result\.txt\nalephant-tool-ok/);

      assert.deepEqual(up.requests.map((q) => `${q.method} ${q.path}`), ['POST /v1/chat/completions', 'POST /v1/chat/completions']);
      const [first, second] = up.requests;
      assert.equal(first.headers.authorization, `Bearer ${KEY}`);
      assert.match(first.headers['user-agent'], /^opencode\/1\.18\.33 /);
      assert.equal(first.body.model, MODEL);
      assert.equal(first.body.stream, true);
      assert.deepEqual(first.body.stream_options, { include_usage: true });
      assert.equal(first.body.max_tokens, 4096);
      assert.equal(first.body.messages.at(-1).content, TASK);
      const bash = first.body.tools.find((t) => t.function.name === 'bash');
      assert.deepEqual(bash.function.parameters.required, ['command']);
      const [assistant, tool] = second.body.messages.slice(-2);
      assert.equal(assistant.tool_calls[0].function.name, 'bash');
      assert.equal(tool.role, 'tool');
      assert.equal(tool.tool_call_id, assistant.tool_calls[0].id);
      assert.equal(tool.content, 'alephant-tool-ok\n');
    });
  });

  test('json events report the tool call and the answer', async () => {
    await withUpstream({ faults: ['no-done'] }, async (up) => {
      const r = await runOpencode({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd: workdir(), json: true });
      assert.equal(r.code, 0, r.stderr);
      const tool = r.events.find((e) => e.type === 'tool_use');
      assert.equal(tool?.part.tool, 'bash');
      assert.equal(tool.part.state.status, 'completed');
      assert.equal(tool.part.state.metadata.exit, 0);
      assert.ok(r.events.some((e) => e.type === 'text' && e.part.text === 'Done. The command printed: alephant-tool-ok'));
    });
  });

  test('a tool call delta without an id fails the run', async () => {
    await withUpstream({ faults: ['no-tool-call-id'] }, async (up) => {
      const cwd = workdir();
      const r = await runOpencode({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd });
      assert.equal(r.code, 1);
      assert.match(stripVTControlCharacters(r.stderr), /Expected 'id' to be a string/);
      assert.equal(existsSync(join(cwd, 'result.txt')), false);
    });
  });
});

describe('harness', () => {
  test('a run that outlives its timeout is killed with its process group', async () => {
    await withUpstream({ faults: ['hang'] }, async (up) => {
      for (const run of [runCodex, runOpencode]) {
        const started = Date.now();
        const r = await run({ baseUrl: up.url, apiKey: KEY, model: MODEL, task: TASK, cwd: workdir(), timeoutMs: 3_000 });
        assert.equal(r.timedOut, true);
        assert.ok(Date.now() - started < 10_000, `${run.name} took ${Date.now() - started} ms`);
      }
    });
  });

  test('only loopback gateways are accepted', () => {
    assert.equal(v1Url('http://127.0.0.1:8787'), 'http://127.0.0.1:8787/v1');
    assert.equal(v1Url('http://localhost:8787/v1/'), 'http://localhost:8787/v1');
    assert.throws(() => v1Url('https://api.openai.com/v1'), /non-loopback/);
  });
});
