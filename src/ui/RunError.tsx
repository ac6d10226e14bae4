// A failure (NaN/Inf gradient, device lost, invalid config, worker error), in plain words. After a lost
// device the run can resume from its last autosave on a fresh worker and device.
import { useState } from 'react';
import { useClient, usePlayground, usePlaygroundStore } from './context.ts';
import { patchRun } from './store.ts';

export function RunError() {
  const error = usePlayground((s) => s.run.error);
  const deviceLost = usePlayground((s) => s.run.deviceLost);
  const runErrors = usePlayground((s) => s.run.runs.filter((r) => r.error !== null).map((r) => r.error).join('\n'));
  const store = usePlaygroundStore();
  if (!error && !runErrors) return null;
  return (
    <div role="alert" className="alert" data-testid="run-error">
      <div>
        {error && <p>{error}</p>}
        {runErrors && runErrors.split('\n').map((e) => <p key={e}>{e}</p>)}
        {deviceLost && <ResumeAfterLoss />}
      </div>
      <button className="link-button" onClick={() => patchRun(store, { error: null })} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}

function ResumeAfterLoss() {
  const client = useClient();
  const autosave = usePlayground((s) => s.run.autosave);
  const [problem, setProblem] = useState<string | null>(null);
  if (!autosave) return <p className="hint">There is no autosave of this run yet; reload the page to start again.</p>;
  const resume = () => {
    // This session's own autosave: never another tab's.
    client.resumeAfterDeviceLoss().catch((err: unknown) => setProblem(err instanceof Error ? err.message : String(err)));
  };
  return (
    <p>
      <button type="button" className="primary" data-testid="resume-after-loss" onClick={resume}>
        Resume from the autosave at step {autosave.step}
      </button>{' '}
      (on a new GPU device){problem && <span className="error-text"> {problem}</span>}
    </p>
  );
}
