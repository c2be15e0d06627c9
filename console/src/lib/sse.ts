// Server-sent events: an incremental parser for a live stream, and a
// transcript parser for an archived one.

export interface SseEvent {
  event: string | null;
  data: string;
}

/** Feed chunks of text; complete events come back as they finish. */
export class SseParser {
  private buf = '';
  push(text: string): SseEvent[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let at: number;
    while ((at = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, at);
      this.buf = this.buf.slice(at + 2);
      const ev = parseBlock(block);
      if (ev) out.push(ev);
    }
    return out;
  }
  flush(): SseEvent[] {
    const rest = this.buf;
    this.buf = '';
    const ev = rest.trim() ? parseBlock(rest) : null;
    return ev ? [ev] : [];
  }
}

function parseBlock(block: string): SseEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length && event === null) return null;
  return { event, data: data.join('\n') };
}

export function parseTranscript(text: string): SseEvent[] {
  const p = new SseParser();
  return [...p.push(text), ...p.flush()];
}

/** Whether a text body looks like an SSE transcript. */
export function looksLikeSse(v: unknown): v is string {
  return typeof v === 'string' && /^(data|event|id|retry):/m.test(v) && v.includes('\n');
}

/** The text an event adds, for OpenAI chat chunks, Responses and Anthropic streams. */
export function deltaText(ev: SseEvent): string {
  if (!ev.data || ev.data === '[DONE]') return '';
  try {
    const j = JSON.parse(ev.data);
    return (
      j?.choices?.[0]?.delta?.content ??
      j?.choices?.[0]?.text ??
      (j?.type === 'response.output_text.delta' ? j.delta : undefined) ??
      (j?.type === 'content_block_delta' ? j.delta?.text : undefined) ??
      ''
    );
  } catch {
    return '';
  }
}
