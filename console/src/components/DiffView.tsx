// Two texts side by side as one line diff.
import { useMemo } from 'preact/hooks';
import { lineDiff } from '../lib/diff';

export function DiffView({ before, after, labels }: { before: string; after: string; labels: [string, string] }) {
  const lines = useMemo(() => lineDiff(before, after), [before, after]);
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  return (
    <div class="diff" data-testid="diff">
      <div class="diff-head">
        <span class="diff-del">− {labels[0]}</span> <span class="diff-add">+ {labels[1]}</span>
        <span class="muted">
          {' '}
          · {added} added, {removed} removed
        </span>
      </div>
      <pre class="diff-body">
        {lines.map((l, i) => (
          <div key={i} class={l.op === '+' ? 'diff-line diff-add' : l.op === '-' ? 'diff-line diff-del' : 'diff-line'}>
            <span class="diff-no" aria-hidden="true">
              {l.a ?? ''}
            </span>
            <span class="diff-no" aria-hidden="true">
              {l.b ?? ''}
            </span>
            <span class="diff-op">{l.op === ' ' ? ' ' : l.op}</span>
            {l.text || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
}
