// Playground: chat through the gateway with a virtual key created in this
// tab (held in memory, never shown) or pasted into a password field; the
// answer streams in with the gateway's response headers.
import { useEffect, useRef, useState } from 'preact/hooks';
import { KeyValues, PageHead, Section } from '../components/Bits';
import { Check, Field, FormError } from '../components/Field';
import { Empty } from '../components/States';
import { keyring } from '../keyring';
import { fmtNum } from '../lib/format';
import { listModels, Model, streamChat } from '../lib/gateway';
import { useStore } from '../lib/store';
import { href } from '../router';
import type { PageProps } from '../Shell';

interface Turn {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

const PASTE = '__paste__';

export function Playground({ ws, query }: PageProps) {
  const held = useStore(keyring).filter((k) => k.workspace === ws);
  const [choice, setChoice] = useState(() => query.get('key') ?? held[held.length - 1]?.id ?? PASTE);
  const [pasted, setPasted] = useState('');
  const token = choice === PASTE ? pasted.trim() : held.find((k) => k.id === choice)?.token ?? '';
  const [models, setModels] = useState<Model[] | null>(null);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('');
  const [message, setMessage] = useState('');
  const [sessionId, setSessionId] = useState('');
  const [temperature, setTemperature] = useState('');
  const [archive, setArchive] = useState(false);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [answer, setAnswer] = useState<string | null>(null);
  const [headers, setHeaders] = useState<[string, string][] | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [usage, setUsage] = useState<{ prompt_tokens: number; completion_tokens: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    setModels(null);
    setModelsError(null);
    if (!token) return;
    const ctl = new AbortController();
    const t = setTimeout(
      () =>
        listModels(token, ctl.signal).then(
          (m) => {
            const chat = m.filter((x) => !x.mode || x.mode === 'chat' || x.mode === 'responses');
            setModels(chat);
            setModel((cur) => (chat.some((x) => x.id === cur) ? cur : chat.find((x) => /gpt-4o-mini/.test(x.id))?.id ?? chat[0]?.id ?? ''));
          },
          (e) => e?.name !== 'AbortError' && setModelsError(e.message),
        ),
      choice === PASTE ? 400 : 0,
    );
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [token]);
  useEffect(() => () => abort.current?.abort(), []);

  const send = async () => {
    const text = message.trim();
    if (!text || !token || !model) return;
    const history: Turn[] = [...turns, { role: 'user', content: text }];
    setTurns(history);
    setMessage('');
    setAnswer('');
    setHeaders(null);
    setStatus(null);
    setUsage(null);
    setError(null);
    setBusy(true);
    const ctl = new AbortController();
    abort.current = ctl;
    let got = '';
    const body: Record<string, unknown> = { model, messages: [...(system.trim() ? [{ role: 'system', content: system.trim() }] : []), ...history] };
    if (temperature !== '') body.temperature = Number(temperature);
    try {
      await streamChat(
        token,
        body,
        {
          ...(sessionId.trim() ? { 'alephant-session-id': sessionId.trim() } : {}),
          ...(archive ? { 'alephant-archive': 'true' } : {}),
        },
        {
          onHeaders: (h, s) => {
            setHeaders(h);
            setStatus(s);
          },
          onDelta: (d) => {
            got += d;
            setAnswer(got);
          },
          onUsage: setUsage,
        },
        ctl.signal,
      );
      setTurns([...history, { role: 'assistant', content: got }]);
      setAnswer(null);
    } catch (e: any) {
      if (e?.name === 'AbortError') {
        setTurns([...history, { role: 'assistant', content: `${got} [stopped]` }]);
        setAnswer(null);
      } else setError(e.message);
    } finally {
      setBusy(false);
      abort.current = null;
    }
  };

  const requestId = headers?.find(([k]) => k === 'alephant-id')?.[1];
  return (
    <>
      <PageHead title="Playground">
        <button
          type="button"
          class="btn"
          disabled={busy || (!turns.length && answer === null)}
          onClick={() => {
            setTurns([]);
            setAnswer(null);
            setHeaders(null);
            setError(null);
          }}
        >
          New conversation
        </button>
      </PageHead>
      <div class="playground">
        <Section title="Setup">
          <div class="form">
            <Field label="Virtual key" id="pg-key" hint={choice === PASTE ? 'Kept in this page only; never stored or shown.' : 'A key created in this tab, kept in memory only.'}>
              <select id="pg-key" value={choice} onChange={(e) => setChoice((e.target as HTMLSelectElement).value)} data-testid="pg-key">
                {held.map((k) => (
                  <option key={k.id} value={k.id}>
                    {k.name || k.id} ({k.prefix}…)
                  </option>
                ))}
                <option value={PASTE}>Paste a key…</option>
              </select>
            </Field>
            {choice === PASTE && (
              <Field label="Key (vk-…)" id="pg-paste">
                <input id="pg-paste" type="password" autoComplete="off" value={pasted} onInput={(e) => setPasted((e.target as HTMLInputElement).value)} data-testid="pg-paste" />
              </Field>
            )}
            <Field label="Model" id="pg-model" hint={modelsError ? `Models could not be listed: ${modelsError}` : models ? `${models.length} models this key may use` : token ? 'Listing models…' : 'Choose a key first.'}>
              {models && models.length ? (
                <select id="pg-model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)} data-testid="pg-model">
                  {models.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.id}
                    </option>
                  ))}
                </select>
              ) : (
                <input id="pg-model" value={model} placeholder="openai/gpt-4o-mini" onInput={(e) => setModel((e.target as HTMLInputElement).value)} data-testid="pg-model-input" />
              )}
            </Field>
            <Field label="System prompt (optional)" id="pg-system">
              <textarea id="pg-system" rows={2} value={system} onInput={(e) => setSystem((e.target as HTMLTextAreaElement).value)} />
            </Field>
            <div class="form-grid">
              <Field label="Temperature" id="pg-temp">
                <input id="pg-temp" type="number" min="0" max="2" step="0.1" value={temperature} placeholder="default" onInput={(e) => setTemperature((e.target as HTMLInputElement).value)} />
              </Field>
              <Field label="Session id" id="pg-session">
                <input id="pg-session" value={sessionId} placeholder="optional" onInput={(e) => setSessionId((e.target as HTMLInputElement).value)} />
              </Field>
            </div>
            <Check label="Archive the bodies (alephant-archive), to read them in Logs" checked={archive} onChange={setArchive} testid="pg-archive" />
          </div>
        </Section>
        <Section title="Conversation" testid="pg-conversation">
          {!turns.length && answer === null ? (
            <Empty>Send a message to see the answer stream in, with the headers the gateway adds.</Empty>
          ) : (
            <ol class="chat">
              {turns.map((t, i) => (
                <li key={i} class={`bubble bubble-${t.role}`} data-testid={t.role === 'assistant' ? 'pg-reply' : 'pg-user'}>
                  <div class="bubble-role">{t.role}</div>
                  <div class="bubble-text">{t.content}</div>
                </li>
              ))}
              {answer !== null && (
                <li class="bubble bubble-assistant" aria-live="polite" data-testid="pg-streaming">
                  <div class="bubble-role">assistant {busy ? '· streaming…' : ''}</div>
                  <div class="bubble-text">{answer || <span class="muted">waiting for the first token…</span>}</div>
                </li>
              )}
            </ol>
          )}
          <FormError error={error} />
          <form
            class="composer"
            onSubmit={(e) => {
              e.preventDefault();
              send();
            }}
          >
            <label for="pg-message" class="sr-only">
              Message
            </label>
            <textarea
              id="pg-message"
              rows={3}
              placeholder="Ask something… (Ctrl+Enter sends)"
              value={message}
              onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  send();
                }
              }}
              data-testid="pg-message"
            />
            <div class="form-actions">
              {busy ? (
                <button type="button" class="btn" onClick={() => abort.current?.abort()} data-testid="pg-stop">
                  Stop
                </button>
              ) : (
                <button class="btn btn-primary" disabled={!token || !model || !message.trim()} data-testid="pg-send">
                  Send
                </button>
              )}
            </div>
          </form>
        </Section>
        <Section title="Gateway headers" testid="pg-headers">
          {headers ? (
            <>
              <table class="table table-compact" data-testid="pg-headers-table">
                <tbody>
                  <tr>
                    <th scope="row">status</th>
                    <td>
                      <code data-testid="pg-status">{status}</code>
                    </td>
                  </tr>
                  {headers.map(([k, v]) => (
                    <tr key={k} data-testid={`pg-header-${k}`}>
                      <th scope="row">
                        <code>{k}</code>
                      </th>
                      <td>
                        <code>{v}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {usage && (
                <KeyValues
                  testid="pg-usage"
                  items={[
                    ['Prompt tokens', fmtNum(usage.prompt_tokens)],
                    ['Completion tokens', fmtNum(usage.completion_tokens)],
                  ]}
                />
              )}
              {requestId && !busy && (
                <p>
                  <a href={href(['logs', requestId])} data-testid="pg-open-log">
                    Open this request in Logs →
                  </a>{' '}
                  <span class="hint">(written a few seconds after the answer)</span>
                </p>
              )}
            </>
          ) : (
            <p class="muted">The headers of the last answer appear here.</p>
          )}
        </Section>
      </div>
    </>
  );
}
