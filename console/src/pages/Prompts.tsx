// Prompt templates: list and create (template checked client-side).
import { useState } from 'preact/hooks';
import { get, List, post, wsPath } from '../api';
import { PageHead, Section } from '../components/Bits';
import { Field, FormError } from '../components/Field';
import { checkJson, JsonEditor } from '../components/JsonEditor';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtTime, json } from '../lib/format';
import { promptTemplateSchema, templateVariables } from '../lib/promptSchema';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href, navigate } from '../router';
import type { PageProps } from '../Shell';

interface PromptRow {
  id: string;
  description: string;
  latest_version: number;
  version_count: number;
  variables: string[];
  created_at: number;
  updated_at: number;
}

const EXAMPLE = {
  messages: [
    { role: 'system', content: 'You answer for {{company}}.' },
    { role: 'user', content: '{{question}}' },
  ],
  model: 'openai/gpt-4o-mini',
  params: { temperature: 0.2 },
};

export function Prompts({ ws, principal }: PageProps) {
  const prompts = useAsync((signal) => get<List<PromptRow>>(wsPath(ws, '/prompts'), undefined, signal), [ws]);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHead title="Prompts">
        {can.editConfig(principal) && !creating && (
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="prompt-create-open">
            Create prompt
          </button>
        )}
      </PageHead>
      {creating && <CreatePrompt ws={ws} onCancel={() => setCreating(false)} />}
      <Section title="Prompts">
        <Await state={prompts} what="Loading prompts">
          {(l) => (
            <Table
              rows={l.data}
              rowKey={(p) => p.id}
              testid="prompt-table"
              empty="No prompt templates. Requests use one with the alephant-prompt-id header."
              columns={[
                { key: 'id', label: 'Id', render: (p) => <a href={href(['prompts', p.id])}>{p.id}</a> },
                { key: 'description', label: 'Description' },
                { key: 'latest_version', label: 'Latest', align: 'right', render: (p) => `v${p.latest_version}` },
                { key: 'version_count', label: 'Versions', align: 'right' },
                { key: 'variables', label: 'Variables', sort: false, render: (p) => (p.variables?.length ? p.variables.map((v) => <code key={v}>{`{{${v}}}`} </code>) : <span class="muted">none</span>) },
                { key: 'updated_at', label: 'Updated', render: (p) => fmtTime(p.updated_at) },
              ]}
            />
          )}
        </Await>
      </Section>
    </>
  );
}

function CreatePrompt({ ws, onCancel }: { ws: string; onCancel: () => void }) {
  const [id, setId] = useState('');
  const [description, setDescription] = useState('');
  const [text, setText] = useState(json(EXAMPLE));
  const [error, setError] = useState<string | null>(null);
  const check = checkJson(text, promptTemplateSchema);
  const invalid = !!check.parseError || check.errors.length > 0;
  return (
    <Section title="New prompt">
      <form
        class="form"
        data-testid="prompt-create-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            await post(wsPath(ws, '/prompts'), { id: id.trim(), description, template: check.value });
            navigate(['prompts', id.trim()]);
          } catch (err: any) {
            setError(err.message);
          }
        }}
      >
        <div class="form-grid">
          <Field label="Id" id="pr-id" hint="Letters, digits, _ - . (up to 64).">
            <input id="pr-id" required pattern="[A-Za-z0-9_.\-]{1,64}" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} data-testid="prompt-id" />
          </Field>
          <Field label="Description" id="pr-desc">
            <input id="pr-desc" maxLength={2000} value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <JsonEditor id="pr-template" label="Template" text={text} onChange={setText} schema={promptTemplateSchema} rows={14} testid="prompt-editor" />
        {!check.parseError && <p class="hint">Variables: {templateVariables(check.value).map((v) => `{{${v}}}`).join(', ') || 'none'}</p>}
        <FormError error={error} />
        <div class="form-actions">
          <button class="btn btn-primary" disabled={invalid} data-testid="prompt-submit">
            Create prompt
          </button>
          <button type="button" class="btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Section>
  );
}
