// A JSON text area checked as you type: parse errors with line and column,
// and schema errors with the path of each mistake.
import { useMemo } from 'preact/hooks';
import { parseJson, validate, SchemaError } from '../lib/schema';

export interface JsonCheck {
  value?: unknown;
  parseError?: string;
  errors: SchemaError[];
}

export function checkJson(text: string, schema?: unknown): JsonCheck {
  const p = parseJson(text);
  if (p.error) return { parseError: p.error, errors: [] };
  return { value: p.value, errors: schema ? validate(schema, p.value) : [] };
}

export function JsonEditor({
  id,
  label,
  text,
  onChange,
  schema,
  rows = 14,
  testid,
  readOnly,
}: {
  id: string;
  label: string;
  text: string;
  onChange?: (text: string) => void;
  schema?: unknown;
  rows?: number;
  testid?: string;
  readOnly?: boolean;
}) {
  const check = useMemo(() => checkJson(text, schema), [text, schema]);
  const ok = !check.parseError && check.errors.length === 0;
  return (
    <div class="json-editor">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        class={`code${ok ? '' : ' invalid'}`}
        rows={rows}
        spellcheck={false}
        value={text}
        readOnly={readOnly}
        aria-invalid={!ok}
        aria-describedby={`${id}-check`}
        data-testid={testid}
        onInput={(e) => onChange?.((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          // Tab indents inside the editor; Escape then Tab leaves it.
          if (e.key === 'Tab' && !e.shiftKey && !readOnly && (e.target as any).dataset.escaped !== '1') {
            const t = e.target as HTMLTextAreaElement;
            e.preventDefault();
            const { selectionStart: s, selectionEnd: end } = t;
            const v = t.value.slice(0, s) + '  ' + t.value.slice(end);
            onChange?.(v);
            requestAnimationFrame(() => t.setSelectionRange(s + 2, s + 2));
          }
          (e.target as any).dataset.escaped = e.key === 'Escape' ? '1' : '0';
        }}
      />
      <div id={`${id}-check`} class={`json-check ${ok ? 'json-ok' : 'json-bad'}`} aria-live="polite" data-testid={testid ? `${testid}-check` : undefined}>
        {check.parseError ? (
          <span>Not valid JSON: {check.parseError}</span>
        ) : check.errors.length ? (
          <ul>
            {check.errors.slice(0, 8).map((e) => (
              <li key={e.path + e.message}>
                <code>{e.path}</code> {e.message}
              </li>
            ))}
            {check.errors.length > 8 && <li>… and {check.errors.length - 8} more</li>}
          </ul>
        ) : (
          <span>✓ Valid{schema ? ' against the schema' : ' JSON'}</span>
        )}
      </div>
      {!readOnly && <div class="hint">Tab indents; press Escape, then Tab, to move on.</div>}
    </div>
  );
}
