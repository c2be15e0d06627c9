// Members (owners): the e-mail addresses Cloudflare Access signs in, with
// their role. Added or changed with PUT, removed with DELETE.
import { useState } from 'preact/hooks';
import { del, get, List, put, wsPath } from '../../api';
import { Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Check, Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import type { PageProps } from '../../Shell';
import { ROLES } from './Tokens';

interface Member {
  email: string;
  role: string;
  read_bodies: boolean;
  created_at: number;
  created_by: string | null;
}

export function Members({ ws }: PageProps) {
  const members = useAsync((signal) => get<List<Member>>(wsPath(ws, '/members'), undefined, signal), [ws]);
  const [f, setF] = useState({ email: '', role: 'viewer', read_bodies: false });
  const [error, setError] = useState<string | null>(null);
  const save = (email: string, role: string, read_bodies: boolean) => put(wsPath(ws, `/members/${encodeURIComponent(email)}`), { role, read_bodies });
  return (
    <Section title="Members (single sign-on)" testid="members">
      <form
        class="form filters"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            await save(f.email.trim(), f.role, f.read_bodies);
            setF({ email: '', role: 'viewer', read_bodies: false });
            members.reload();
          } catch (err: any) {
            setError(err.message);
          }
        }}
      >
        <Field label="E-mail" id="m-email">
          <input id="m-email" type="email" required value={f.email} onInput={(e) => setF({ ...f, email: (e.target as HTMLInputElement).value })} data-testid="member-email" />
        </Field>
        <Field label="Role" id="m-role">
          <select id="m-role" value={f.role} onChange={(e) => setF({ ...f, role: (e.target as HTMLSelectElement).value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <div class="field">
          <Check label="Reads bodies" checked={f.read_bodies} onChange={(v) => setF({ ...f, read_bodies: v })} />
        </div>
        <div class="form-actions">
          <button class="btn btn-primary" data-testid="member-submit">
            Add or update member
          </button>
        </div>
      </form>
      <FormError error={error} />
      <Await state={members} what="Loading members">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(m) => m.email}
            empty="No members. With Cloudflare Access in front of the console, add the e-mails it signs in."
            columns={[
              { key: 'email', label: 'E-mail' },
              {
                key: 'role',
                label: 'Role',
                render: (m) => (
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={async (e) => {
                      try {
                        await save(m.email, (e.target as HTMLSelectElement).value, m.read_bodies);
                      } catch (err: any) {
                        setError(err.message);
                      }
                      members.reload();
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ),
              },
              { key: 'read_bodies', label: 'Bodies', render: (m) => (m.read_bodies ? 'yes' : 'no') },
              { key: 'created_at', label: 'Added', render: (m) => `${fmtTime(m.created_at)}${m.created_by ? ` by ${m.created_by}` : ''}` },
              {
                key: 'actions',
                label: 'Actions',
                sort: false,
                render: (m) => (
                  <ConfirmButton
                    label="Remove"
                    onConfirm={async () => {
                      await del(wsPath(ws, `/members/${encodeURIComponent(m.email)}`));
                      members.reload();
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
