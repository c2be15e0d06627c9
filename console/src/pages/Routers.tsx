// Routers: list and create (config checked against router.schema.json).
import { useState } from 'preact/hooks';
import { get, List, post, wsPath } from '../api';
import { PageHead, Section } from '../components/Bits';
import { Field, FormError } from '../components/Field';
import { checkJson, JsonEditor } from '../components/JsonEditor';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtTime, json } from '../lib/format';
import { routerSchema, describeRouter } from '../lib/routerSchema';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href, navigate } from '../router';
import type { PageProps } from '../Shell';

export interface RouterRow {
  id: string;
  name: string;
  current_version: number;
  config: unknown;
  created_at: number;
  updated_at: number;
  versions?: { version: number; config: unknown; created_at: number }[];
}

export function Routers({ ws, principal }: PageProps) {
  const routers = useAsync((signal) => get<List<RouterRow>>(wsPath(ws, '/routers'), undefined, signal), [ws]);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHead title="Routers">
        {can.editConfig(principal) && !creating && (
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="router-create-open">
            Create router
          </button>
        )}
      </PageHead>
      {creating && <CreateRouter ws={ws} onCancel={() => setCreating(false)} />}
      <Section title="Routers">
        <Await state={routers} what="Loading routers">
          {(l) => (
            <Table
              rows={l.data}
              rowKey={(r) => r.id}
              testid="router-table"
              empty="No routers. A router spreads or falls back across providers; use it as model “router/<name>”."
              columns={[
                { key: 'name', label: 'Name', render: (r) => <a href={href(['routers', r.id])}>{r.name}</a> },
                { key: 'id', label: 'Id', render: (r) => <code>{r.id}</code> },
                { key: 'current_version', label: 'Version', align: 'right', render: (r) => `v${r.current_version}` },
                { key: 'config', label: 'Routes to', sort: false, render: (r) => describeRouter(r.config) },
                { key: 'updated_at', label: 'Updated', render: (r) => fmtTime(r.updated_at) },
              ]}
            />
          )}
        </Await>
      </Section>
    </>
  );
}

function CreateRouter({ ws, onCancel }: { ws: string; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [text, setText] = useState(json(routerSchema.examples[1]));
  const [error, setError] = useState<string | null>(null);
  const check = checkJson(text, routerSchema);
  const invalid = !!check.parseError || check.errors.length > 0;
  return (
    <Section title="New router">
      <form
        class="form"
        data-testid="router-create-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const r = await post<RouterRow>(wsPath(ws, '/routers'), { name: name.trim(), config: check.value });
            navigate(['routers', r.id]);
          } catch (err: any) {
            setError(err.message);
          }
        }}
      >
        <Field label="Name" id="rt-name" hint="Letters, digits, - and _ (up to 64).">
          <input id="rt-name" required pattern="[A-Za-z0-9_\-]{1,64}" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="router-name" />
        </Field>
        <JsonEditor id="rt-config" label="Config" text={text} onChange={setText} schema={routerSchema} rows={18} testid="router-editor" />
        <FormError error={error} />
        <div class="form-actions">
          <button class="btn btn-primary" disabled={invalid} data-testid="router-submit">
            Create router
          </button>
          <button type="button" class="btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Section>
  );
}
