// A version history with a line diff between any two versions.
import { useState } from 'preact/hooks';
import { fmtTime } from '../lib/format';
import { Section } from './Bits';
import { DiffView } from './DiffView';
import { Table } from './Table';

export interface Version {
  version: number;
  created_at: number;
  text: string;
  description?: string;
}

export function Versions({ versions, onLoad }: { versions: Version[]; onLoad?: (v: Version) => void }) {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  const [a, setA] = useState(sorted[1]?.version ?? sorted[0]?.version ?? 0);
  const [b, setB] = useState(sorted[0]?.version ?? 0);
  const va = sorted.find((v) => v.version === a);
  const vb = sorted.find((v) => v.version === b);
  const pick = (value: number, set: (n: number) => void, id: string, label: string) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={String(value)} onChange={(e) => set(Number((e.target as HTMLSelectElement).value))} data-testid={id}>
        {sorted.map((v) => (
          <option key={v.version} value={String(v.version)}>
            v{v.version} · {fmtTime(v.created_at)}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <>
      <Section title="Version history" testid="versions">
        <Table
          rows={sorted}
          rowKey={(v) => String(v.version)}
          testid="versions-table"
          columns={[
            { key: 'version', label: 'Version', render: (v) => `v${v.version}` },
            { key: 'created_at', label: 'Written', render: (v) => fmtTime(v.created_at) },
            ...(sorted.some((v) => v.description) ? [{ key: 'description', label: 'Description' }] : []),
            {
              key: 'actions',
              label: 'Actions',
              sort: false,
              render: (v: Version) => (
                <span class="row-actions">
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => {
                      setA(v.version);
                      setB(sorted[0].version);
                    }}
                  >
                    Compare with latest
                  </button>
                  {onLoad && (
                    <button type="button" class="btn btn-small" onClick={() => onLoad(v)}>
                      Load into editor
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      </Section>
      {sorted.length > 0 && (
        <Section title="Compare versions" testid="compare">
          <div class="filters">
            {pick(a, setA, 'diff-a', 'From')}
            {pick(b, setB, 'diff-b', 'To')}
          </div>
          {va && vb ? <DiffView before={va.text} after={vb.text} labels={[`v${va.version}`, `v${vb.version}`]} /> : null}
        </Section>
      )}
    </>
  );
}
