// A secret shown once, right after its creation, with a copy button. Once
// dismissed it is never rendered again.
import { CopyButton } from '../../components/CopyButton';

export function ShownOnce({ title, secret, onDone, testid, children }: { title: string; secret: string; onDone: () => void; testid: string; children?: any }) {
  return (
    <div class="shown-once" role="region" aria-label={title} data-testid={testid}>
      <h3>{title}</h3>
      <p>Copy it now: it is shown only this once and cannot be read back.</p>
      <div class="secret-row">
        <code class="secret" data-testid={`${testid}-token`}>
          {secret}
        </code>
        <CopyButton text={secret} testid={`${testid}-copy`} />
      </div>
      {children}
      <div class="form-actions">
        <button type="button" class="btn btn-primary" onClick={onDone} data-testid={`${testid}-done`}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
