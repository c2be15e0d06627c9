// One router: its config (edit → a new version), version history and diff.
import { useEffect, useState } from 'preact/hooks';
import { del, get, put, wsPath } from '../api';
import { KeyValues, PageHead, Section } from '../components/Bits';
import { ConfirmButton } from '../components/ConfirmButton';
import { FormError } from '../components/Field';
import { checkJson, JsonEditor } from '../components/JsonEditor';
import { Await } from '../components/States';
import { Versions } from '../components/Versions';
import { fmtTime, json } from '../lib/format';
import { describeRouter, routerSchema } from '../lib/routerSchema';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href, navigate } from '../router';
import type { PageProps } from '../Shell';
import type { RouterRow } from './Routers';

export function RouterDetail({ ws, id, principal }: PageProps & { id: string }) {
  const r = useAsync((signal) => get<RouterRow>(wsPath(ws, `/routers/${encodeURIComponent(id)}`), undefined, signal), [ws, id]);
  return (
    <>
      <PageHead title={`Router ${r.data?.name ?? id}`}>
        <a class="btn" href={href(['routers'])}>
          ← All routers
        </a>
        {can.editConfig(principal) && r.data && (
          <ConfirmButton
            label="Delete router"
            onConfirm={async () => {
              await del(wsPath(ws, `/routers/${encodeURIComponent(id)}`));
              navigate(['routers']);
            }}
          />
        )}
      </PageHead>
      <Await state={r} what="Loading the router">
        {(router) => <Body ws={ws} router={router} editable={can.editConfig(principal)} reload={r.reload} />}
      </Await>
    </>
  );
}

function Body({ ws, router, editable, reload }: { ws: string; router: RouterRow; editable: boolean; reload: () => void }) {
  const [text, setText] = useState(json(router.config));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => setText(json(router.config)), [router.current_version]);
  const check = checkJson(text, routerSchema);
  const changed = text.trim() !== json(router.config).trim();
  const versions = (router.versions ?? []).map((v) => ({ version: v.version, created_at: v.created_at, text: json(v.config) }));
  return (
    <>
      <Section title="Summary">
        <KeyValues
          items={[
            ['Id', <code>{router.id}</code>],
            ['Use as', <code>model: "router/{router.name}"</code>],
            ['Current version', `v${router.current_version}`],
            ['Routes to', describeRouter(router.config)],
            ['Updated', fmtTime(router.updated_at)],
          ]}
        />
      </Section>
      <Section title={editable ? 'Edit config' : 'Config'}>
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            setSaved(null);
            try {
              const next = await put<RouterRow>(wsPath(ws, `/routers/${encodeURIComponent(router.id)}`), { config: check.value });
              setSaved(`Saved as v${next.current_version}.`);
              reload();
            } catch (err: any) {
              setError(err.message);
            }
          }}
        >
          <JsonEditor id="rt-edit" label="Config" text={text} onChange={setText} schema={routerSchema} rows={18} readOnly={!editable} testid="router-editor" />
          <FormError error={error} />
          {saved && (
            <div class="notice" role="status">
              {saved}
            </div>
          )}
          {editable && (
            <div class="form-actions">
              <button class="btn btn-primary" disabled={!changed || !!check.parseError || check.errors.length > 0} data-testid="router-save">
                Save as v{router.current_version + 1}
              </button>
              <button type="button" class="btn" disabled={!changed} onClick={() => setText(json(router.config))}>
                Discard changes
              </button>
            </div>
          )}
        </form>
      </Section>
      <Versions key={router.current_version} versions={versions} onLoad={editable ? (v) => setText(v.text) : undefined} />
    </>
  );
}
