// From / to pickers in the viewer's local time.
import { fromLocalInput, toLocalInput, TIME_ZONE } from '../lib/format';

export function TimeRange({
  from,
  to,
  onChange,
  idPrefix,
}: {
  from: number | null;
  to: number | null;
  onChange: (from: number | null, to: number | null) => void;
  idPrefix: string;
}) {
  return (
    <>
      <div class="field">
        <label for={`${idPrefix}-from`}>From ({TIME_ZONE})</label>
        <input
          id={`${idPrefix}-from`}
          type="datetime-local"
          value={toLocalInput(from)}
          data-testid={`${idPrefix}-from`}
          onChange={(e) => onChange(fromLocalInput((e.target as HTMLInputElement).value), to)}
        />
      </div>
      <div class="field">
        <label for={`${idPrefix}-to`}>To</label>
        <input
          id={`${idPrefix}-to`}
          type="datetime-local"
          value={toLocalInput(to)}
          data-testid={`${idPrefix}-to`}
          onChange={(e) => onChange(from, fromLocalInput((e.target as HTMLInputElement).value))}
        />
      </div>
    </>
  );
}
