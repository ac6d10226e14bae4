// Which run a card shows (comparison mode): one select for the page's focused run, shown only when the
// session has several runs. `only` restricts the choice (e.g. weighted runs for the κ/α charts).
import { useClient, usePlayground } from './context.ts';
import type { RunView } from './store.ts';

export function RunPicker({ only, testId }: { only?: (run: RunView) => boolean; testId: string }) {
  const client = useClient();
  const runs = usePlayground((s) => s.run.runs);
  const focus = usePlayground((s) => s.run.focus);
  const choices = only ? runs.filter(only) : runs;
  if (runs.length < 2 || choices.length === 0) return null;
  const value = choices.some((r) => r.id === focus) ? focus! : choices[0].id;
  return (
    <label className="inline run-picker">
      run
      <select data-testid={testId} value={value} onChange={(e) => client.setFocus(Number(e.target.value))}>
        {choices.map((r) => (
          <option key={r.id} value={r.id}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export const isWeightedRun = (r: RunView): boolean => (r.info?.config.variant ?? 'weighted') === 'weighted';
