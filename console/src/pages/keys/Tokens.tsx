// Workspace tokens (owners): sign-in tokens for the console and admin API,
// each with a role; created (shown once), listed, revoked.
import { useState } from 'preact/hooks';
import { get, List, post, wsPath } from '../../api';
import { Badge, Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Check, Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtAgo, fmtTime, fromLocalInput } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import type { PageProps } from '../../Shell';
import { ShownOnce } from './ShownOnce';

interface Token {
  id: string;
  name: string;
  role: string;
  read_bodies: boolean;
  token_prefix: string;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
}

export const ROLES = ['owner', 'admin', 'developer', 'viewer'];

export function Tokens({ ws }: PageProps) {
  const tokens = useAsync((signal) => get<List<Token>>(wsPath(ws, '/tokens'), undefined, signal), [ws]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  const [f, setF] = useState({ name: '', role: 'developer', expires: '', read_bodies: false });
  const [error, setError] = useState<string | null>(null);
  return (
    <Section
      title="Workspace tokens"
      testid="tokens"
      actions={
        !creating && !created ? (
          <button type="button" class="btn" onClick={() => setCreating(true)} data-testid="token-create-open">
            Create token
          </button>
        ) : null
      }
    >
      {creating && (
        <form
          class="form form-inline-card"
          data-testid="token-create-form"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            const body: Record<string, unknown> = { name: f.name.trim(), role: f.role, read_bodies: f.read_bodies };
            const exp = fromLocalInput(f.expires);
            if (exp) body.expires_at = exp;
            try {
              const t = await post<{ token: string; name: string }>(wsPath(ws, '/tokens'), body);
              setCreated({ token: t.token, name: t.name });
              setCreating(false);
              setF({ name: '', role: 'developer', expires: '', read_bodies: false });
              tokens.reload();
            } catch (err: any) {
              setError(err.message);
            }
          }}
        >
          <div class="form-grid">
            <Field label="Name" id="tok-name">
              <input id="tok-name" required value={f.name} onInput={(e) => setF({ ...f, name: (e.target as HTMLInputElement).value })} data-testid="token-name" />
            </Field>
            <Field label="Role" id="tok-role">
              <select id="tok-role" value={f.role} onChange={(e) => setF({ ...f, role: (e.target as HTMLSelectElement).value })} data-testid="token-role">
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Expires (optional)" id="tok-exp">
              <input id="tok-exp" type="datetime-local" value={f.expires} onInput={(e) => setF({ ...f, expires: (e.target as HTMLInputElement).value })} />
            </Field>
            <div class="field">
              <Check label="May read request and response bodies" checked={f.read_bodies} onChange={(v) => setF({ ...f, read_bodies: v })} testid="token-read-bodies" />
            </div>
          </div>
          <FormError error={error} />
          <div class="form-actions">
            <button class="btn btn-primary" data-testid="token-submit">
              Create token
            </button>
            <button type="button" class="btn" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {created && <ShownOnce title={`Token “${created.name}” created`} secret={created.token} onDone={() => setCreated(null)} testid="token-created" />}
      <Await state={tokens} what="Loading tokens">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(t) => t.id}
            testid="token-table"
            empty="No workspace tokens."
            columns={[
              { key: 'name', label: 'Name' },
              { key: 'token_prefix', label: 'Token', render: (t) => <code>{t.token_prefix}…</code> },
              { key: 'role', label: 'Role', render: (t) => <Badge tone="info">{t.role}</Badge> },
              { key: 'read_bodies', label: 'Bodies', render: (t) => (t.read_bodies ? 'yes' : 'no') },
              { key: 'status', label: 'Status', sort: (t) => (t.revoked_at ? 1 : 0), render: (t) => (t.revoked_at ? <Badge tone="bad">revoked</Badge> : t.expires_at && t.expires_at < Date.now() ? <Badge tone="warn">expired</Badge> : <Badge tone="ok">active</Badge>) },
              { key: 'last_used_at', label: 'Last used', render: (t) => fmtAgo(t.last_used_at) },
              { key: 'expires_at', label: 'Expires', render: (t) => (t.expires_at ? fmtTime(t.expires_at) : <span class="muted">never</span>) },
              { key: 'created_at', label: 'Created', render: (t) => `${fmtTime(t.created_at)}${t.created_by ? ` by ${t.created_by}` : ''}` },
              {
                key: 'actions',
                label: 'Actions',
                sort: false,
                render: (t) =>
                  t.revoked_at ? null : (
                    <ConfirmButton
                      label="Revoke"
                      testid={`token-revoke-${t.id}`}
                      onConfirm={async () => {
                        await post(wsPath(ws, `/tokens/${encodeURIComponent(t.id)}/revoke`));
                        tokens.reload();
                      }}
                    />
                  ),
              },
            ]}
          />
        )}
      </Await>
    </Section>
  );
}
