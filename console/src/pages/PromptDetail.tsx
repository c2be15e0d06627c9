// One prompt: add a version (template checked client-side), version history
// and a diff between any two versions.
import { useState } from 'preact/hooks';
import { get, post, wsPath } from '../api';
import { KeyValues, PageHead, Section } from '../components/Bits';
import { Field, FormError } from '../components/Field';
import { checkJson, JsonEditor } from '../components/JsonEditor';
import { Await } from '../components/States';
import { Versions } from '../components/Versions';
import { fmtTime, json } from '../lib/format';
import { promptTemplateSchema, templateVariables } from '../lib/promptSchema';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href } from '../router';
import type { PageProps } from '../Shell';

interface PromptVersion {
  version: number;
  description: string;
  template: unknown;
  variables: string[];
  created_at: number;
}

interface Prompt {
  id: string;
  description: string;
  latest_version: number;
  version_count: number;
  created_at: number;
  updated_at: number;
  versions: PromptVersion[];
}

export function PromptDetail({ ws, id, principal }: PageProps & { id: string }) {
  const p = useAsync((signal) => get<Prompt>(wsPath(ws, `/prompts/${encodeURIComponent(id)}`), undefined, signal), [ws, id]);
  return (
    <>
      <PageHead title={`Prompt ${id}`}>
        <a class="btn" href={href(['prompts'])}>
          ← All prompts
        </a>
      </PageHead>
      <Await state={p} what="Loading the prompt">
        {(prompt) => <Body ws={ws} prompt={prompt} editable={can.editConfig(principal)} reload={p.reload} />}
      </Await>
    </>
  );
}

function Body({ ws, prompt, editable, reload }: { ws: string; prompt: Prompt; editable: boolean; reload: () => void }) {
  const latest = [...prompt.versions].sort((a, b) => b.version - a.version)[0];
  const [text, setText] = useState(json(latest?.template ?? {}));
  const [description, setDescription] = useState(latest?.description ?? '');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const check = checkJson(text, promptTemplateSchema);
  const changed = text.trim() !== json(latest?.template ?? {}).trim() || description !== (latest?.description ?? '');
  return (
    <>
      <Section title="Summary">
        <KeyValues
          items={[
            ['Use with', <code>alephant-prompt-id: {prompt.id}</code>],
            ['Latest version', `v${prompt.latest_version} of ${prompt.version_count}`],
            ['Variables', (latest?.variables ?? []).map((v) => `{{${v}}}`).join(', ') || 'none'],
            ['Created', fmtTime(prompt.created_at)],
            ['Updated', fmtTime(prompt.updated_at)],
          ]}
        />
      </Section>
      <Section title={editable ? 'Write the next version' : 'Latest template'}>
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            setSaved(null);
            try {
              const v = await post<PromptVersion>(wsPath(ws, `/prompts/${encodeURIComponent(prompt.id)}/versions`), { template: check.value, description });
              setSaved(`Saved as v${v.version}.`);
              reload();
            } catch (err: any) {
              setError(err.message);
            }
          }}
        >
          <Field label="Description" id="pv-desc">
            <input id="pv-desc" maxLength={2000} value={description} readOnly={!editable} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
          </Field>
          <JsonEditor id="pv-template" label="Template" text={text} onChange={setText} schema={promptTemplateSchema} rows={14} readOnly={!editable} testid="prompt-editor" />
          {!check.parseError && <p class="hint">Variables: {templateVariables(check.value).map((v) => `{{${v}}}`).join(', ') || 'none'}</p>}
          <FormError error={error} />
          {saved && (
            <div class="notice" role="status">
              {saved}
            </div>
          )}
          {editable && (
            <div class="form-actions">
              <button class="btn btn-primary" disabled={!changed || !!check.parseError || check.errors.length > 0} data-testid="prompt-save">
                Save as v{prompt.latest_version + 1}
              </button>
            </div>
          )}
        </form>
      </Section>
      <Versions
        key={prompt.latest_version}
        versions={prompt.versions.map((v) => ({ version: v.version, created_at: v.created_at, description: v.description, text: json(v.template) }))}
        onLoad={
          editable
            ? (v) => {
                setText(v.text);
                setDescription(v.description ?? '');
              }
            : undefined
        }
      />
    </>
  );
}
