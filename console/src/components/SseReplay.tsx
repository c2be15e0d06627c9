// An archived event stream played back event by event, with the text it
// assembled so far.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { deltaText, parseTranscript } from '../lib/sse';

export function SseReplay({ transcript }: { transcript: string }) {
  const events = useMemo(() => parseTranscript(transcript), [transcript]);
  const [shown, setShown] = useState(events.length);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!playing) return;
    if (shown >= events.length) {
      setPlaying(false);
      return;
    }
    const t = setTimeout(() => setShown((n) => n + 1), 40);
    return () => clearTimeout(t);
  }, [playing, shown, events.length]);
  const text = events.slice(0, shown).map(deltaText).join('');
  return (
    <div class="sse" data-testid="sse-replay">
      <div class="toolbar">
        <button
          type="button"
          class="btn btn-small"
          data-testid="sse-play"
          onClick={() => {
            setShown(0);
            setPlaying(true);
          }}
        >
          ▶ Replay
        </button>
        <button type="button" class="btn btn-small" disabled={!playing} onClick={() => setPlaying(false)}>
          Pause
        </button>
        <button
          type="button"
          class="btn btn-small"
          onClick={() => {
            setPlaying(false);
            setShown(events.length);
          }}
        >
          Show all
        </button>
        <span class="muted" aria-live="polite">
          {shown} / {events.length} events
        </span>
      </div>
      <div class="bubble bubble-assistant">
        <div class="bubble-role">assembled text</div>
        <div class="bubble-text">{text || <span class="muted">(no text yet)</span>}</div>
      </div>
      <ol class="sse-events">
        {events.slice(0, shown).map((e, i) => (
          <li key={i}>
            {e.event && <span class="badge badge-info">{e.event}</span>} <code>{e.data}</code>
          </li>
        ))}
      </ol>
    </div>
  );
}
