// Copies a text to the clipboard (with a fallback for browsers that refuse
// the async clipboard), and says whether it worked.
import { useState } from 'preact/hooks';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = 'Copy', testid }: { text: string; label?: string; testid?: string }) {
  const [state, setState] = useState<'idle' | 'ok' | 'failed'>('idle');
  return (
    <button
      type="button"
      class="btn btn-small"
      data-testid={testid}
      onClick={async () => {
        setState((await copy(text)) ? 'ok' : 'failed');
        setTimeout(() => setState('idle'), 2500);
      }}
    >
      <span aria-live="polite">{state === 'ok' ? 'Copied ✓' : state === 'failed' ? 'Copy failed: select the text' : label}</span>
    </button>
  );
}
