// After a reload: the run autosaved in this browser, offered for resuming (or discarding). The record is
// read once at start-up (main.tsx puts it in this component's props); a record that cannot be used is
// reported by its problem and kept until the user discards it.
import { useState } from 'react';
import { useClient, usePlayground } from './context.ts';
import { autosaveStep, type AutosaveRecord } from './autosave.ts';

export type AutosaveProbe = { record: AutosaveRecord } | { problem: string } | null;

export function ResumeOffer({ probe }: { probe: AutosaveProbe }) {
  const client = useClient();
  const [open, setOpen] = useState(true);
  const gpuReady = usePlayground((s) => s.run.gpu.state === 'ready');
  if (!probe || !open) return null;
  const discard = () => {
    client.discardAutosave();
    setOpen(false);
  };
  if ('problem' in probe) {
    return (
      <div role="alert" className="notice" data-testid="resume-offer-broken">
        <span>{probe.problem}</span>
        <button type="button" onClick={discard}>
          Discard it
        </button>
      </div>
    );
  }
  const { record } = probe;
  const step = autosaveStep(record);
  const labels = record.runs.map((r) => r.label).join(', ');
  return (
    <div role="status" className="notice resume" data-testid="resume-offer" data-step={step}>
      <span>
        A run autosaved in this browser at step <strong>{step}</strong> ({labels}; {new Date(record.savedAt).toLocaleString()}) can be resumed.
      </span>
      <button
        type="button"
        className="primary"
        data-testid="resume-autosave"
        disabled={!gpuReady}
        onClick={() => {
          client.resumeFromAutosave(record);
          setOpen(false);
        }}
      >
        Resume
      </button>
      <button type="button" data-testid="discard-autosave" onClick={discard}>
        Discard
      </button>
    </div>
  );
}
