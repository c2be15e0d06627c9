// The master key with no workspace yet: create the first one.
import { useState } from 'preact/hooks';
import { post } from '../api';
import { Field, FormError } from '../components/Field';
import { PageHead, Section } from '../components/Bits';
import { loadWorkspaces, selectWorkspace } from '../workspace';

export function CreateWorkspace() {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <PageHead title="Welcome" />
      <Section title="Create a workspace">
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              const ws = await post<{ id: string }>('/admin/workspaces', { name: name.trim() });
              selectWorkspace(ws.id);
              await loadWorkspaces();
            } catch (err: any) {
              setError(err.message);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field label="Name" id="ws-name">
            <input id="ws-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="ws-create-name" />
          </Field>
          <FormError error={error} />
          <div class="form-actions">
            <button class="btn btn-primary" disabled={busy || !name.trim()} data-testid="ws-create-submit">
              Create workspace
            </button>
          </div>
        </form>
      </Section>
    </>
  );
}
