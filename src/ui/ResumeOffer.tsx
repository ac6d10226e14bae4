// After a reload: this tab's newest autosave, offered for resuming (or discarding), and the other recent
// autosaves in this browser (other tabs, earlier sessions) to pick from: label, step, time, Resume and
// Delete. Every record is checked in full before it is offered (autosave.ts checkAutosave); one that
// cannot be used is listed with what is wrong, for deletion. Nothing here writes over an autosave.
import { useEffect, useState } from 'react';
import { useClient, usePlayground } from './context.ts';
import { autosaveStep, listAutosaves, tabId, type AutosaveEntry, type AutosaveRecord } from './autosave.ts';

export type AutosaveProbe = { record: AutosaveRecord } | { problem: string } | null;

/** `probe` (this tab's autosave as main.tsx read it) only triggers a fresh listing. */
export function ResumeOffer({ probe }: { probe: AutosaveProbe }) {
  const client = useClient();
  const [entries, setEntries] = useState<AutosaveEntry[] | null>(null);
  const [listProblem, setListProblem] = useState<string | null>(null);
  const [closed, setClosed] = useState(false);
  const gpuReady = usePlayground((s) => s.run.gpu.state === 'ready');
  const relist = () =>
    listAutosaves().then(setEntries, (err: unknown) => {
      setEntries([]);
      setListProblem(err instanceof Error ? err.message : String(err));
    });
  useEffect(() => void relist(), [probe]);
  if (closed || !entries) return listProblem ? <p className="hint">Autosaves cannot be read: {listProblem}</p> : null;
  const own = entries.find((e) => e.key.startsWith(`${tabId()}/`)) ?? null;
  const others = entries.filter((e) => e !== own);
  const remove = (key: string) => void client.discardAutosave(key).then(relist, relist);
  const resume = (record: AutosaveRecord, key: string) => {
    client.resumeFromAutosave(record, false, key);
    setClosed(true);
  };
  return (
    <>
      {own && own.problem !== null && (
        <div role="alert" className="notice" data-testid="resume-offer-broken">
          <span>{own.problem}</span>
          <button type="button" onClick={() => remove(own.key)}>
            Discard it
          </button>
        </div>
      )}
      {own && own.record && (
        <div role="status" className="notice resume" data-testid="resume-offer" data-step={autosaveStep(own.record)}>
          <span>
            A run autosaved in this tab at step <strong>{autosaveStep(own.record)}</strong> ({labels(own.record)}; {new Date(own.record.savedAt).toLocaleString()}) can be resumed.
          </span>
          <button type="button" className="primary" data-testid="resume-autosave" disabled={!gpuReady} onClick={() => resume(own.record, own.key)}>
            Resume
          </button>
          <button type="button" data-testid="discard-autosave" onClick={() => remove(own.key)}>
            Discard
          </button>
        </div>
      )}
      {others.length > 0 && (
        <details className="notice autosave-list" data-testid="autosave-list" open={!own}>
          <summary>Other autosaves in this browser ({others.length})</summary>
          <ul>
            {others.map((e) => (
              <li key={e.key} data-testid="autosave-item" data-key={e.key} data-step={e.record ? autosaveStep(e.record) : ''} data-broken={e.problem !== null}>
                {e.record ? (
                  <>
                    <span>
                      {labels(e.record)} · step <strong>{autosaveStep(e.record)}</strong> · {new Date(e.record.savedAt).toLocaleString()}
                    </span>{' '}
                    <button type="button" data-testid="autosave-item-resume" disabled={!gpuReady} onClick={() => resume(e.record, e.key)}>
                      Resume
                    </button>
                  </>
                ) : (
                  <span className="error-text">{e.problem}</span>
                )}{' '}
                <button type="button" data-testid="autosave-item-delete" onClick={() => remove(e.key)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

function labels(record: AutosaveRecord): string {
  return record.runs.map((r) => r.label).join(', ');
}
