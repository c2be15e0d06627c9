// Provider credentials: listed by hint only, added (the secret goes into a
// password field and is never shown), disabled / enabled, deleted.
import { useState } from 'preact/hooks';
import { del, get, List, patch, post, wsPath } from '../../api';
import { Badge, Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { can } from '../../roles';
import type { PageProps } from '../../Shell';

interface ProviderKey {
  id: string;
  provider: string;
  name: string;
  key_hint: string | null;
  base_url: string | null;
  enabled: boolean | number;
  created_at: number;
}

export function ProviderKeys({ ws, principal }: PageProps) {
  const keys = useAsync((signal) => get<List<ProviderKey>>(wsPath(ws, '/provider-keys'), undefined, signal), [ws]);
  const [adding, setAdding] = useState(false);
  const admin = can.administer(principal);
  return (
    <Section
      title="Provider keys"
      testid="provider-keys"
      actions={
        admin && !adding ? (
          <button type="button" class="btn" onClick={() => setAdding(true)} data-testid="pk-add-open">
            Add provider key
          </button>
        ) : null
      }
    >
      {adding && (
        <AddProviderKey
          ws={ws}
          onDone={(added) => {
            setAdding(false);
            if (added) keys.reload();
          }}
        />
      )}
      <Await state={keys} what="Loading provider keys">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(k) => k.id}
            testid="pk-table"
            empty="No provider keys: add one so the workspace can reach a provider."
            columns={[
              { key: 'provider', label: 'Provider' },
              { key: 'name', label: 'Name' },
              { key: 'key_hint', label: 'Key', render: (k) => (k.key_hint ? <code>{k.key_hint}</code> : <span class="muted">none needed</span>) },
              { key: 'base_url', label: 'Base URL', render: (k) => (k.base_url ? <code>{k.base_url}</code> : <span class="muted">catalog default</span>) },
              { key: 'enabled', label: 'Status', render: (k) => (k.enabled ? <Badge tone="ok">enabled</Badge> : <Badge>disabled</Badge>) },
              { key: 'created_at', label: 'Added', render: (k) => fmtTime(k.created_at) },
              ...(admin
                ? [
                    {
                      key: 'actions',
                      label: 'Actions',
                      sort: false as const,
                      render: (k: ProviderKey) => (
                        <span class="row-actions">
                        <ConfirmButton
                          label={k.enabled ? 'Disable' : 'Enable'}
                          danger={!!k.enabled}
                          testid={`pk-toggle-${k.id}`}
                          onConfirm={async () => {
                            await patch(wsPath(ws, `/provider-keys/${encodeURIComponent(k.id)}`), { enabled: !k.enabled });
                            keys.reload();
                          }}
                        />
                        <ConfirmButton
                          label="Delete"
                          testid={`pk-delete-${k.id}`}
                          onConfirm={async () => {
                            await del(wsPath(ws, `/provider-keys/${encodeURIComponent(k.id)}`));
                            keys.reload();
                          }}
                        />
                        </span>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Await>
    </Section>
  );
}

function AddProviderKey({ ws, onDone }: { ws: string; onDone: (added: boolean) => void }) {
  const [f, setF] = useState({ provider: '', key: '', name: '', base_url: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const providers = useAsync((signal) => get<List<{ id: string; name: string }>>('/admin/providers', undefined, signal).catch(() => null), []);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <form
      class="form form-inline-card"
      data-testid="pk-add-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const body: Record<string, string> = { provider: f.provider.trim() };
        if (f.key) body.key = f.key;
        if (f.name.trim()) body.name = f.name.trim();
        if (f.base_url.trim()) body.base_url = f.base_url.trim();
        try {
          await post(wsPath(ws, '/provider-keys'), body);
          setF({ provider: '', key: '', name: '', base_url: '' });
          onDone(true);
        } catch (err: any) {
          setError(err.param ? `${err.param}: ${err.message}` : err.message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="form-grid">
        <Field label="Provider" id="pk-provider">
          <input id="pk-provider" list="pk-provider-list" required value={f.provider} onInput={set('provider')} placeholder="openai" data-testid="pk-provider" />
          <datalist id="pk-provider-list">
            {(providers.data?.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </datalist>
        </Field>
        <Field label="API key" id="pk-key" hint="Encrypted at rest; only its last characters are ever shown.">
          <input id="pk-key" type="password" autoComplete="off" value={f.key} onInput={set('key')} data-testid="pk-key" />
        </Field>
        <Field label="Name (optional)" id="pk-name">
          <input id="pk-name" value={f.name} onInput={set('name')} />
        </Field>
        <Field label="Base URL (optional)" id="pk-base">
          <input id="pk-base" type="url" value={f.base_url} onInput={set('base_url')} placeholder="https://…/v1" />
        </Field>
      </div>
      <FormError error={error} />
      <div class="form-actions">
        <button class="btn btn-primary" disabled={busy} data-testid="pk-submit">
          {busy ? 'Adding…' : 'Add key'}
        </button>
        <button type="button" class="btn" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
