// The "x axis: steps | tokens seen" select of the charts that can plot against either.
import type { XAxisKind } from './chart-data.ts';

export function AxisSelect({ value, onChange, testId }: { value: XAxisKind; onChange: (axis: XAxisKind) => void; testId: string }) {
  return (
    <label className="inline">
      x axis
      <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value as XAxisKind)}>
        <option value="step">steps</option>
        <option value="tokens">tokens seen</option>
      </select>
    </label>
  );
}
