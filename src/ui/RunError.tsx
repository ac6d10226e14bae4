// A run's failure (NaN/Inf gradient, device lost, invalid config, worker error), in plain words.
import { usePlayground, usePlaygroundStore } from './context.ts';
import { patchRun } from './store.ts';

export function RunError() {
  const error = usePlayground((s) => s.run.error);
  const store = usePlaygroundStore();
  if (!error) return null;
  return (
    <div role="alert" className="alert" data-testid="run-error">
      <span>{error}</span>
      <button className="link-button" onClick={() => patchRun(store, { error: null })} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
