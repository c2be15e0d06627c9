// Agents: the runs' owners that virtual keys can be bound to.
import { useState } from 'preact/hooks';
import { get, List, post, wsPath } from '../../api';
import { Section } from '../../components/Bits';
import { Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { can } from '../../roles';
import { href } from '../../router';
import type { PageProps } from '../../Shell';

interface Agent {
  id: string;
  name: string;
  department: string | null;
  description: string;
  created_at: number;
}

export function Agents({ ws, principal }: PageProps) {
  const agents = useAsync((signal) => get<List<Agent>>(wsPath(ws, '/agents'), undefined, signal), [ws]);
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState({ name: '', department: '', description: '' });
  const [error, setError] = useState<string | null>(null);
  const admin = can.administer(principal);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <Section
      title="Agents"
      testid="agents"
      actions={
        admin && !adding ? (
          <button type="button" class="btn" onClick={() => setAdding(true)} data-testid="agent-add-open">
            Add agent
          </button>
        ) : null
      }
    >
      {adding && (
        <form
          class="form form-inline-card"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            const body: Record<string, string> = { name: f.name.trim() };
            if (f.department.trim()) body.department = f.department.trim();
            if (f.description.trim()) body.description = f.description.trim();
            try {
              await post(wsPath(ws, '/agents'), body);
              setF({ name: '', department: '', description: '' });
              setAdding(false);
              agents.reload();
            } catch (err: any) {
              setError(err.message);
            }
          }}
        >
          <div class="form-grid">
            <Field label="Name" id="ag-name">
              <input id="ag-name" required value={f.name} onInput={set('name')} />
            </Field>
            <Field label="Department" id="ag-dept">
              <input id="ag-dept" value={f.department} onInput={set('department')} />
            </Field>
            <Field label="Description" id="ag-desc" wide>
              <input id="ag-desc" value={f.description} onInput={set('description')} />
            </Field>
          </div>
          <FormError error={error} />
          <div class="form-actions">
            <button class="btn btn-primary">Add agent</button>
            <button type="button" class="btn" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <Await state={agents} what="Loading agents">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(a) => a.id}
            empty="No agents. Bind keys to an agent to see its runs and margins."
            columns={[
              { key: 'name', label: 'Name' },
              { key: 'id', label: 'Id', render: (a) => <code>{a.id}</code> },
              { key: 'department', label: 'Department' },
              { key: 'description', label: 'Description' },
              { key: 'created_at', label: 'Created', render: (a) => fmtTime(a.created_at) },
              { key: 'runs', label: 'Runs', sort: false, render: (a) => <a href={href(['sessions'], { kind: 'runs', agent_id: a.id })}>Runs</a> },
            ]}
          />
        )}
      </Await>
    </Section>
  );
}
