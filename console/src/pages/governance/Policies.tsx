// Scope policies of the workspace, its agents and departments: list, edit
// (JSON checked against ScopePolicy), delete.
import { useState } from 'preact/hooks';
import { del, get, List, put, wsPath } from '../../api';
import { Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Field, FormError } from '../../components/Field';
import { checkJson, JsonEditor } from '../../components/JsonEditor';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtTime, json } from '../../lib/format';
import { scopePolicySchema } from '../../lib/policySchema';
import { useAsync } from '../../lib/useAsync';
import { can } from '../../roles';
import type { PageProps } from '../../Shell';

export interface PolicyRow {
  scope_type: 'workspace' | 'agent' | 'department';
  scope_id: string;
  policy: Record<string, unknown>;
  updated_at: number;
}

export function Policies({ ws, principal }: PageProps) {
  const policies = useAsync((signal) => get<List<PolicyRow>>(wsPath(ws, '/policies'), undefined, signal), [ws]);
  const [editing, setEditing] = useState<{ scope_type: string; scope_id: string; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const admin = can.administer(principal);
  const check = editing ? checkJson(editing.text, scopePolicySchema) : null;
  return (
    <Section
      title="Policies"
      testid="policies"
      actions={
        admin && !editing ? (
          <button type="button" class="btn" onClick={() => setEditing({ scope_type: 'workspace', scope_id: ws, text: '{\n  "max_tokens": 4096\n}' })} data-testid="policy-new">
            Set a policy
          </button>
        ) : null
      }
    >
      {editing && (
        <form
          class="form form-inline-card"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            if (!check || check.parseError || check.errors.length) return setError('Fix the policy first.');
            try {
              await put(wsPath(ws, `/policies/${editing.scope_type}/${encodeURIComponent(editing.scope_id)}`), check.value);
              setEditing(null);
              policies.reload();
            } catch (err: any) {
              setError(err.param ? `${err.param}: ${err.message}` : err.message);
            }
          }}
        >
          <div class="form-grid">
            <Field label="Scope" id="pol-type">
              <select
                id="pol-type"
                value={editing.scope_type}
                onChange={(e) => {
                  const t = (e.target as HTMLSelectElement).value;
                  setEditing({ ...editing, scope_type: t, scope_id: t === 'workspace' ? ws : '' });
                }}
              >
                <option value="workspace">workspace</option>
                <option value="agent">agent</option>
                <option value="department">department</option>
              </select>
            </Field>
            <Field label={editing.scope_type === 'agent' ? 'Agent id' : editing.scope_type === 'department' ? 'Department' : 'Workspace id'} id="pol-id">
              <input id="pol-id" required readOnly={editing.scope_type === 'workspace'} value={editing.scope_id} onInput={(e) => setEditing({ ...editing, scope_id: (e.target as HTMLInputElement).value })} />
            </Field>
          </div>
          <JsonEditor id="pol-json" label="Policy" text={editing.text} onChange={(text) => setEditing({ ...editing, text })} schema={scopePolicySchema} rows={10} testid="policy-editor" />
          <FormError error={error} />
          <div class="form-actions">
            <button class="btn btn-primary" disabled={!!check?.parseError || !!check?.errors.length}>
              Save policy
            </button>
            <button type="button" class="btn" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <Await state={policies} what="Loading policies">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(p) => `${p.scope_type}/${p.scope_id}`}
            testid="policy-table"
            empty="No policies: requests are limited only by their keys."
            columns={[
              { key: 'scope_type', label: 'Scope' },
              { key: 'scope_id', label: 'Id', render: (p) => <code>{p.scope_id}</code> },
              { key: 'policy', label: 'Policy', sort: false, render: (p) => <code class="clip">{JSON.stringify(p.policy)}</code> },
              { key: 'updated_at', label: 'Updated', render: (p) => fmtTime(p.updated_at) },
              {
                key: 'actions',
                label: 'Actions',
                sort: false,
                render: (p) =>
                  admin ? (
                    <span class="row-actions">
                      <button type="button" class="btn btn-small" onClick={() => setEditing({ scope_type: p.scope_type, scope_id: p.scope_id, text: json(p.policy) })}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        onConfirm={async () => {
                          await del(wsPath(ws, `/policies/${p.scope_type}/${encodeURIComponent(p.scope_id)}`));
                          policies.reload();
                        }}
                      />
                    </span>
                  ) : null,
              },
            ]}
          />
        )}
      </Await>
    </Section>
  );
}
