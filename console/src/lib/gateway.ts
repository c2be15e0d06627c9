// Calls to the OpenAI-compatible API with a virtual key (the Playground):
// GET /v1/models and a streamed POST /v1/chat/completions.
import { ApiError } from '../api';
import { SseParser } from './sse';

export interface Model {
  id: string;
  owned_by?: string;
  mode?: string;
}

async function failure(r: Response): Promise<ApiError> {
  const text = await r.text().catch(() => '');
  try {
    const e = JSON.parse(text).error;
    return new ApiError(r.status, e?.message ?? text, e?.type, e?.code, e?.param ?? null);
  } catch {
    return new ApiError(r.status, text || `The gateway answered ${r.status}.`);
  }
}

export async function listModels(key: string, signal?: AbortSignal): Promise<Model[]> {
  const r = await fetch('/v1/models', { headers: { authorization: `Bearer ${key}` }, credentials: 'omit', signal });
  if (!r.ok) throw await failure(r);
  const body = await r.json();
  return (body.data ?? []) as Model[];
}

/** Every alephant-* header and x-request-id of an answer. */
export function gatewayHeaders(h: Headers): [string, string][] {
  const out: [string, string][] = [];
  h.forEach((v, k) => {
    if (k.startsWith('alephant-') || k === 'x-request-id') out.push([k, v]);
  });
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

export interface StreamCallbacks {
  onHeaders: (headers: [string, string][], status: number) => void;
  onDelta: (text: string) => void;
  onUsage: (usage: { prompt_tokens: number; completion_tokens: number; total_tokens?: number }) => void;
}

/** Streams a chat completion; resolves when the stream ends, throws ApiError on a refusal or a mid-stream error event. */
export async function streamChat(key: string, body: Record<string, unknown>, extraHeaders: Record<string, string>, cb: StreamCallbacks, signal: AbortSignal) {
  const r = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream', ...extraHeaders },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    credentials: 'omit',
    signal,
  });
  cb.onHeaders(gatewayHeaders(r.headers), r.status);
  if (!r.ok) throw await failure(r);
  if (!r.body) throw new ApiError(r.status, 'The answer had no body.');
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const handle = (data: string) => {
    if (!data || data === '[DONE]') return;
    let j: any;
    try {
      j = JSON.parse(data);
    } catch {
      return;
    }
    if (j.error) throw new ApiError(r.status, j.error.message ?? 'The stream ended with an error.', j.error.type, j.error.code);
    const delta = j.choices?.[0]?.delta?.content;
    if (delta) cb.onDelta(delta);
    if (j.usage) cb.onUsage(j.usage);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const ev of parser.push(value)) handle(ev.data);
  }
  for (const ev of parser.flush()) handle(ev.data);
}
