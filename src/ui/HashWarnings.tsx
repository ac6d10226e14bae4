// What the shared link (URL hash) asked for but did not get: unknown keys, out-of-range or malformed
// values, each loaded as its default. A dismissible notice above the run controls.
import { usePlayground, usePlaygroundStore } from './context.ts';
import { patchConfig } from './store.ts';

export function HashWarnings() {
  const warnings = usePlayground((s) => s.config.hashWarnings);
  const store = usePlaygroundStore();
  if (warnings.length === 0) return null;
  return (
    <div role="status" className="notice" data-testid="hash-warnings">
      <div>
        <strong>Some settings in the link were not used:</strong>
        <ul>
          {warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      </div>
      <button type="button" className="link-button" data-testid="hash-warnings-dismiss" aria-label="Dismiss" onClick={() => patchConfig(store, { hashWarnings: [] })}>
        ✕
      </button>
    </div>
  );
}
