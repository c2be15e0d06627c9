// Virtual keys: list, create (token shown once, held in memory for the
// Playground), revoke. Developers set only plain fields; admins also
// allowlists, rate limits and policy.
import { useState } from 'preact/hooks';
import { get, List, post, wsPath } from '../../api';
import { Badge, Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { checkJson } from '../../components/JsonEditor';
import { fmtTime, fromLocalInput } from '../../lib/format';
import { describeRateLimit } from '../../lib/rateLimit';
import { useAsync } from '../../lib/useAsync';
import { dropKey, holdKey } from '../../keyring';
import { can } from '../../roles';
import { href } from '../../router';
import type { PageProps } from '../../Shell';
import { ShownOnce } from './ShownOnce';

export interface VirtualKey {
  id: string;
  key_prefix: string;
  name: string;
  agent_id: string | null;
  department: string | null;
  allowed_models: string[] | null;
  allowed_providers: string[] | null;
  rate_limit: string | null;
  policy: Record<string, unknown> | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
  created_by?: string | null;
}

function status(k: VirtualKey) {
  if (k.revoked_at) return <Badge tone="bad">revoked</Badge>;
  if (k.expires_at && k.expires_at <= Date.now()) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function VirtualKeys({ ws, principal }: PageProps) {
  const keys = useAsync((signal) => get<List<VirtualKey>>(wsPath(ws, '/virtual-keys'), undefined, signal), [ws]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ id: string; key: string; name: string } | null>(null);
  const mayCreate = can.createKey(principal);
  return (
    <Section
      title="Virtual keys"
      testid="virtual-keys"
      actions={
        mayCreate && !creating && !created ? (
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="vk-create-open">
            Create key
          </button>
        ) : null
      }
    >
      {creating && (
        <CreateKey
          ws={ws}
          limits={can.keyLimits(principal)}
          onCancel={() => setCreating(false)}
          onCreated={(k) => {
            holdKey({ id: k.id, name: k.name, prefix: k.key_prefix, workspace: ws, token: k.key });
            setCreating(false);
            setCreated({ id: k.id, key: k.key, name: k.name });
            keys.reload();
          }}
        />
      )}
      {created && (
        <ShownOnce title={`Key “${created.name || created.id}” created`} secret={created.key} onDone={() => setCreated(null)} testid="vk-created">
          <p class="hint">
            This tab also keeps it in memory (until you log out or reload) so you can try it in the <a href={href(['playground'], { key: created.id })}>Playground</a>.
          </p>
        </ShownOnce>
      )}
      <Await state={keys} what="Loading virtual keys">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(k) => k.id}
            testid="vk-table"
            rowTestid={(k) => `vk-row-${k.id}`}
            empty={mayCreate ? 'No virtual keys yet. Create one to call the gateway.' : 'No virtual keys.'}
            columns={[
              { key: 'name', label: 'Name', render: (k) => k.name || <span class="muted">(unnamed)</span> },
              { key: 'key_prefix', label: 'Key', render: (k) => <code>{k.key_prefix}…</code> },
              { key: 'status', label: 'Status', sort: (k) => (k.revoked_at ? 2 : k.expires_at && k.expires_at <= Date.now() ? 1 : 0), render: status },
              { key: 'agent_id', label: 'Agent' },
              { key: 'allowed_models', label: 'Models', render: (k) => (k.allowed_models?.length ? k.allowed_models.join(', ') : <span class="muted">any</span>) },
              { key: 'rate_limit', label: 'Rate limit', render: (k) => (k.rate_limit ? <span title={k.rate_limit}>{describeRateLimit(k.rate_limit).join('; ')}</span> : <span class="muted">none</span>) },
              { key: 'expires_at', label: 'Expires', render: (k) => (k.expires_at ? fmtTime(k.expires_at) : <span class="muted">never</span>) },
              { key: 'created_at', label: 'Created', render: (k) => fmtTime(k.created_at) },
              {
                key: 'actions',
                label: 'Actions',
                sort: false,
                render: (k) => (
                  <span class="row-actions">
                    <a class="btn btn-small" href={href(['logs'], { key_id: k.id })}>
                      Logs
                    </a>
                    {mayCreate && !k.revoked_at && (
                      <ConfirmButton
                        label="Revoke"
                        testid={`vk-revoke-${k.id}`}
                        onConfirm={async () => {
                          await post(wsPath(ws, `/virtual-keys/${encodeURIComponent(k.id)}/revoke`));
                          dropKey(k.id);
                          keys.reload();
                        }}
                      />
                    )}
                  </span>
                ),
              },
            ]}
          />
        )}
      </Await>
    </Section>
  );
}

function CreateKey({ ws, limits, onCancel, onCreated }: { ws: string; limits: boolean; onCancel: () => void; onCreated: (k: VirtualKey & { key: string }) => void }) {
  const [f, setF] = useState({ name: '', expires: '', agent_id: '', department: '', allowed_models: '', allowed_providers: '', rate_limit: '', policy: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const agents = useAsync(
    (signal) => (limits ? get<List<{ id: string; name: string }>>(wsPath(ws, '/agents'), undefined, signal) : Promise.resolve({ object: 'list' as const, data: [] })).catch(() => ({ object: 'list' as const, data: [] })),
    [ws, limits],
  );
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const policy = f.policy.trim() ? checkJson(f.policy) : null;
  return (
    <form
      class="form form-inline-card"
      data-testid="vk-create-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        const body: Record<string, unknown> = { name: f.name.trim() };
        const exp = fromLocalInput(f.expires);
        if (exp) body.expires_at = exp;
        if (list(f.allowed_models).length) body.allowed_models = list(f.allowed_models);
        if (list(f.allowed_providers).length) body.allowed_providers = list(f.allowed_providers);
        if (limits) {
          if (f.agent_id) body.agent_id = f.agent_id;
          if (f.department.trim()) body.department = f.department.trim();
          if (f.rate_limit.trim()) body.rate_limit = f.rate_limit.trim();
          if (policy) {
            if (policy.parseError) return setError(`Policy: ${policy.parseError}`);
            body.policy = policy.value;
          }
        }
        setBusy(true);
        try {
          onCreated(await post(wsPath(ws, '/virtual-keys'), body));
        } catch (err: any) {
          setError(err.param ? `${err.param}: ${err.message}` : err.message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="form-grid">
        <Field label="Name" id="vk-name">
          <input id="vk-name" required value={f.name} onInput={set('name')} data-testid="vk-name" placeholder="ci-bot" />
        </Field>
        <Field label="Expires (optional)" id="vk-expires">
          <input id="vk-expires" type="datetime-local" value={f.expires} onInput={set('expires')} data-testid="vk-expires" />
        </Field>
        <Field label="Allowed models" id="vk-models" hint="Comma-separated globs; empty: every model the workspace allows.">
          <input id="vk-models" value={f.allowed_models} onInput={set('allowed_models')} placeholder="gpt-4o*, anthropic/*" data-testid="vk-models" />
        </Field>
        <Field label="Allowed providers" id="vk-providers">
          <input id="vk-providers" value={f.allowed_providers} onInput={set('allowed_providers')} placeholder="openai, anthropic" data-testid="vk-providers" />
        </Field>
        {limits && (
          <>
            <Field label="Agent (optional)" id="vk-agent">
              <select id="vk-agent" value={f.agent_id} onChange={set('agent_id')} data-testid="vk-agent">
                <option value="">none</option>
                {(agents.data?.data ?? []).map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.id})
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Department" id="vk-dept">
              <input id="vk-dept" value={f.department} onInput={set('department')} />
            </Field>
            <Field label="Rate limit" id="vk-rate" hint={f.rate_limit ? describeRateLimit(f.rate_limit).join('; ') : '<quota>;w=<seconds>[;u=request|tokens|cents][;s=scope], e.g. 100;w=60'}>
              <input id="vk-rate" value={f.rate_limit} onInput={set('rate_limit')} placeholder="100;w=60" data-testid="vk-rate" />
            </Field>
            <Field label="Policy (JSON, optional)" id="vk-policy" wide hint={policy?.parseError ? `Not valid JSON: ${policy.parseError}` : 'A ScopePolicy: max_tokens, denied_models, cache, …'}>
              <textarea id="vk-policy" class="code" rows={3} value={f.policy} onInput={set('policy')} placeholder='{"max_tokens": 4096}' />
            </Field>
          </>
        )}
      </div>
      {!limits && <p class="hint">Your role makes keys that only narrow what the workspace allows (name, expiry, allowlists); an admin sets agent, department, rate limit and policy.</p>}
      <FormError error={error} />
      <div class="form-actions">
        <button class="btn btn-primary" disabled={busy} data-testid="vk-submit">
          {busy ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
