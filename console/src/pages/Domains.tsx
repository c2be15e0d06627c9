// Custom hostnames bound to the workspace.
import { useState } from 'preact/hooks';
import { del, get, List, post, wsPath } from '../api';
import { PageHead, Section } from '../components/Bits';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field, FormError } from '../components/Field';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import type { PageProps } from '../Shell';

interface Domain {
  hostname: string;
  created_at: number;
}

export function Domains({ ws, principal }: PageProps) {
  const domains = useAsync((signal) => get<List<Domain>>(wsPath(ws, '/domains'), undefined, signal), [ws]);
  const [host, setHost] = useState('');
  const [error, setError] = useState<string | null>(null);
  const admin = can.administer(principal);
  return (
    <>
      <PageHead title="Domains" />
      {admin && (
        <Section title="Bind a hostname">
          <form
            class="filters"
            onSubmit={async (e) => {
              e.preventDefault();
              setError(null);
              try {
                await post(wsPath(ws, '/domains'), { hostname: host.trim() });
                setHost('');
                domains.reload();
              } catch (err: any) {
                setError(err.message);
              }
            }}
          >
            <Field label="Hostname" id="dom-host" hint="Requests on this hostname are refused unless their key belongs to this workspace.">
              <input id="dom-host" required value={host} placeholder="ai.example.com" onInput={(e) => setHost((e.target as HTMLInputElement).value)} data-testid="domain-host" />
            </Field>
            <div class="form-actions">
              <button class="btn btn-primary" data-testid="domain-submit">
                Bind
              </button>
            </div>
          </form>
          <FormError error={error} />
        </Section>
      )}
      <Section title="Hostnames">
        <Await state={domains} what="Loading domains">
          {(l) => (
            <Table
              rows={l.data}
              rowKey={(d) => d.hostname}
              testid="domain-table"
              empty="No custom hostnames: keys of this workspace work on the gateway's own hostname."
              columns={[
                { key: 'hostname', label: 'Hostname', render: (d) => <code>{d.hostname}</code> },
                { key: 'created_at', label: 'Bound', render: (d) => fmtTime(d.created_at) },
                {
                  key: 'actions',
                  label: 'Actions',
                  sort: false,
                  render: (d) =>
                    admin ? (
                      <ConfirmButton
                        label="Unbind"
                        onConfirm={async () => {
                          await del(wsPath(ws, `/domains/${encodeURIComponent(d.hostname)}`));
                          domains.reload();
                        }}
                      />
                    ) : null,
                },
              ]}
            />
          )}
        </Await>
      </Section>
    </>
  );
}
