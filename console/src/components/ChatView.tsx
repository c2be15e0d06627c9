// A request and its answer as a conversation: OpenAI chat and completions,
// the Responses API and Anthropic Messages bodies.
import type { ComponentChildren } from 'preact';

interface Turn {
  role: string;
  text: ComponentChildren;
}

function partText(p: any): string {
  if (typeof p === 'string') return p;
  if (!p || typeof p !== 'object') return JSON.stringify(p);
  if (typeof p.text === 'string') return p.text;
  if (p.type === 'image_url' || p.type === 'image' || p.type === 'input_image') return '[image]';
  if (p.type === 'tool_use') return `→ tool ${p.name}(${JSON.stringify(p.input)})`;
  if (p.type === 'tool_result') return `← tool result: ${content(p.content)}`;
  return JSON.stringify(p);
}

function content(c: any): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map(partText).join('\n');
  return partText(c);
}

function toolCalls(m: any): string {
  const calls = m?.tool_calls ?? [];
  return calls.map((t: any) => `→ ${t.function?.name ?? t.name}(${t.function?.arguments ?? ''})`).join('\n');
}

export function requestTurns(body: any): Turn[] {
  if (!body || typeof body !== 'object') return [];
  const turns: Turn[] = [];
  if (typeof body.system === 'string' || Array.isArray(body.system)) turns.push({ role: 'system', text: content(body.system) });
  if (typeof body.instructions === 'string') turns.push({ role: 'system', text: body.instructions });
  const messages = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : null;
  if (messages)
    for (const m of messages) turns.push({ role: m.role ?? m.type ?? 'message', text: [content(m.content ?? m.output), toolCalls(m)].filter(Boolean).join('\n') });
  else if (typeof body.input === 'string') turns.push({ role: 'user', text: body.input });
  else if (body.prompt !== undefined) turns.push({ role: 'user', text: content(body.prompt) });
  return turns;
}

export function responseTurns(body: any): Turn[] {
  if (!body || typeof body !== 'object') return [];
  if (body.error) return [{ role: 'error', text: body.error.message ?? JSON.stringify(body.error) }];
  if (Array.isArray(body.choices))
    return body.choices.map((c: any) => ({
      role: c.message?.role ?? 'assistant',
      text: [content(c.message?.content ?? c.text), toolCalls(c.message)].filter(Boolean).join('\n'),
    }));
  if (Array.isArray(body.content)) return [{ role: body.role ?? 'assistant', text: content(body.content) }];
  if (Array.isArray(body.output))
    return body.output.map((o: any) => ({ role: o.role ?? o.type ?? 'assistant', text: content(o.content ?? o.arguments ?? o) }));
  return [];
}

export function ChatView({ request, response, testid }: { request: unknown; response: unknown; testid?: string }) {
  const turns = [...requestTurns(request), ...responseTurns(response)];
  if (!turns.length) return <p class="muted">This body is not a conversation; see the raw JSON.</p>;
  return (
    <ol class="chat" data-testid={testid}>
      {turns.map((t, i) => (
        <li key={i} class={`bubble bubble-${t.role}`}>
          <div class="bubble-role">{t.role}</div>
          <div class="bubble-text">{t.text || <span class="muted">(empty)</span>}</div>
        </li>
      ))}
    </ol>
  );
}
