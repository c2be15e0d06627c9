// A stand-in for the gateway, for checking the coding-agent CLI harness
// (lib/clients.mjs) on its own: it speaks the streaming Responses API (what
// `codex exec` uses) and streaming chat completions (what `opencode run`
// uses) and plays a two-step script on every conversation:
//
//   1. no tool output in the request yet → call the client's shell tool
//      (Codex: `exec_command` {cmd}; opencode: `bash` {command, description};
//      older shapes such as `shell` {command: string[]} are handled too)
//   2. a tool output is present → a final text that quotes that output
//
// A request offering no tools (opencode's title generation) gets a short
// plain answer. Every request is kept in `requests` ({ method, path, headers,
// body }) so tests can assert on what the client sent.
//
// startAgentUpstream({ command, faults }) → { url, requests, stop }
//   command  the shell command the model "asks" for (default writes and cats result.txt)
//   faults   set of deviations for robustness checks:
//            'minimal-events'  Responses: only response.output_item.done + response.completed
//            'no-completed'    Responses: omit response.completed
//            'no-done'         chat: omit the `data: [DONE]` line
//            'no-tool-call-id' chat: omit the tool call id (opencode rejects this)
//            'hang'            accept the request and never answer
//            'status:<n>'      answer every request with HTTP <n> and an OpenAI-style error body
//
// Run directly (`node agent-upstream.mjs [port]`) it serves until killed and
// prints each request line to stdout.

import { createServer } from 'node:http';

export const DEFAULT_COMMAND = 'echo alephant-tool-ok > result.txt && cat result.txt';
const SHELL_TOOLS = ['exec_command', 'shell_command', 'shell', 'bash', 'local_shell'];

/** Arguments for the chosen shell tool, shaped after its JSON schema. */
function shellArguments(parameters, command) {
  const props = parameters?.properties ?? {};
  if (props.cmd) return { cmd: command };
  if (props.command?.type === 'array') return { command: ['bash', '-lc', command] };
  const args = { command };
  if (props.description) args.description = 'Write and print result.txt';
  return args;
}

function pickShellTool(tools) {
  for (const name of SHELL_TOOLS) {
    const tool = tools.find((t) => t.name === name);
    if (tool) return tool;
  }
  return null;
}

function outputText(output) {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((p) => p.text ?? '').join('');
  if (output && typeof output === 'object') return String(output.content ?? JSON.stringify(output));
  return String(output);
}

const finalText = (toolOutput) => `Done. The command printed: ${toolOutput.trim()}`;

// ---- Responses API -------------------------------------------------------

function respond(res, body, state, faults) {
  const n = ++state.seq;
  const id = `resp_fake_${n}`;
  const tools = (body.tools ?? []).filter((t) => t.type === 'function').map((t) => ({ name: t.name, parameters: t.parameters }));
  const outputs = (Array.isArray(body.input) ? body.input : []).filter((i) => /_call_output$/.test(i.type ?? ''));
  const toolOutput = outputs.length ? outputText(outputs[outputs.length - 1].output) : null;
  const tool = toolOutput == null ? pickShellTool(tools) : null;
  const shell = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model: body.model, status: 'in_progress', output: [] };
  let sequence = 0;
  const essential = new Set(['response.output_item.done', 'response.completed']);
  const send = (type, data) => {
    if (faults.has('minimal-events') && !essential.has(type)) return;
    if (faults.has('no-completed') && type === 'response.completed') return;
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  send('response.created', { response: shell });
  send('response.in_progress', { response: shell });
  let item;
  if (tool) {
    const args = JSON.stringify(shellArguments(tool.parameters, state.command));
    item = { id: `fc_fake_${n}`, type: 'function_call', status: 'in_progress', name: tool.name, call_id: `call_fake_${n}`, arguments: '' };
    send('response.output_item.added', { output_index: 0, item });
    const cut = Math.floor(args.length / 2);
    for (const delta of [args.slice(0, cut), args.slice(cut)]) {
      send('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta });
    }
    send('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: args });
    item = { ...item, status: 'completed', arguments: args };
  } else {
    const text = toolOutput == null ? 'Alephant fake reply' : finalText(toolOutput);
    const at = { item_id: `msg_fake_${n}`, output_index: 0, content_index: 0 };
    item = { id: at.item_id, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    send('response.output_item.added', { output_index: 0, item });
    send('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } });
    const cut = Math.floor(text.length / 2);
    for (const delta of [text.slice(0, cut), text.slice(cut)]) send('response.output_text.delta', { ...at, delta, logprobs: [] });
    send('response.output_text.done', { ...at, text, logprobs: [] });
    const part = { type: 'output_text', text, annotations: [] };
    send('response.content_part.done', { ...at, part });
    item = { ...item, status: 'completed', content: [part] };
  }
  send('response.output_item.done', { output_index: 0, item });
  const usage = {
    input_tokens: 120, input_tokens_details: { cached_tokens: 0 },
    output_tokens: 12, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 132,
  };
  send('response.completed', { response: { ...shell, status: 'completed', output: [item], usage } });
  res.end();
}

// ---- Chat completions ----------------------------------------------------

function chat(res, body, state, faults) {
  const n = ++state.seq;
  const id = `chatcmpl-fake-${n}`;
  const created = Math.floor(Date.now() / 1000);
  const tools = (body.tools ?? []).map((t) => ({ name: t.function?.name, parameters: t.function?.parameters }));
  const last = body.messages?.[body.messages.length - 1];
  const toolOutput = last?.role === 'tool' ? outputText(last.content) : null;
  const tool = toolOutput == null ? pickShellTool(tools) : null;
  const text = toolOutput == null ? 'Alephant fake reply' : finalText(toolOutput);
  const usage = { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 };
  const args = tool ? JSON.stringify(shellArguments(tool.parameters, state.command)) : '';
  if (!body.stream) {
    const message = tool
      ? { role: 'assistant', content: null, tool_calls: [{ id: `call_fake_${n}`, type: 'function', function: { name: tool.name, arguments: args } }] }
      : { role: 'assistant', content: text };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, object: 'chat.completion', created, model: body.model, choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop' }], usage }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices, extra = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices, ...extra })}\n\n`);
  const delta = (d, finish = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
  if (tool) {
    const first = { index: 0, id: `call_fake_${n}`, type: 'function', function: { name: tool.name, arguments: '' } };
    if (faults.has('no-tool-call-id')) delete first.id;
    delta({ role: 'assistant', content: null, tool_calls: [first] });
    const cut = Math.floor(args.length / 2);
    for (const part of [args.slice(0, cut), args.slice(cut)]) delta({ tool_calls: [{ index: 0, function: { arguments: part } }] });
    delta({}, 'tool_calls');
  } else {
    delta({ role: 'assistant', content: '' });
    const cut = Math.floor(text.length / 2);
    delta({ content: text.slice(0, cut) });
    delta({ content: text.slice(cut) });
    delta({}, 'stop');
  }
  if (body.stream_options?.include_usage) chunk([], { usage });
  if (!faults.has('no-done')) res.write('data: [DONE]\n\n');
  res.end();
}

// ---- server --------------------------------------------------------------

export function startAgentUpstream({ command = DEFAULT_COMMAND, faults = [], port = 0, onRequest } = {}) {
  const faultSet = new Set(faults);
  const statusFault = [...faultSet].find((f) => f.startsWith('status:'));
  const state = { seq: 0, command };
  const requests = [];
  const open = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = { unparsed: raw.slice(0, 2000) };
      }
      const path = req.url.split('?')[0];
      const entry = { method: req.method, path, headers: req.headers, body };
      requests.push(entry);
      onRequest?.(entry);
      if (faultSet.has('hang')) return;
      if (statusFault) {
        const status = Number(statusFault.slice('status:'.length));
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake upstream answers ${status}`, type: 'invalid_request_error', code: `fake_${status}` } }));
        return;
      }
      if (req.method === 'POST' && path.endsWith('/responses')) return respond(res, body ?? {}, state, faultSet);
      if (req.method === 'POST' && path.endsWith('/chat/completions')) return chat(res, body ?? {}, state, faultSet);
      if (req.method === 'GET' && path.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'openai/gpt-4o-mini', object: 'model', created: 0, owned_by: 'alephant' }] }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route for ${req.method} ${path}`, type: 'invalid_request_error' } }));
    });
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      const stop = () => new Promise((done) => {
        for (const socket of open) socket.destroy();
        server.close(() => done());
      });
      resolve({ url, requests, stop });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startAgentUpstream({
    port: Number(process.argv[2] ?? 0),
    onRequest: (r) => console.log(`${r.method} ${r.path} ${r.headers['user-agent'] ?? ''}`),
  });
  console.log(`agent upstream listening on ${url}`);
}
