// Reset asks first: a modal dialog naming what will be discarded (every run, its steps, charts and dev
// results) and what survives (the last autosave in this browser, resumable after a reload).
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { usePlayground } from './context.ts';

export interface ResetConfirm {
  /** Open the dialog; `onConfirm` runs when the user confirms. */
  ask: (onConfirm: () => void, action?: string) => void;
  dialog: ReactNode;
}

export function useResetConfirm(): ResetConfirm {
  const [pending, setPending] = useState<{ onConfirm: () => void; action: string } | null>(null);
  return {
    ask: (onConfirm, action = 'Reset') => setPending({ onConfirm, action }),
    dialog: pending && (
      <ResetDialog
        action={pending.action}
        onCancel={() => setPending(null)}
        onConfirm={() => {
          setPending(null);
          pending.onConfirm();
        }}
      />
    ),
  };
}

function ResetDialog({ action, onCancel, onConfirm }: { action: string; onCancel: () => void; onConfirm: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const autosave = usePlayground((s) => s.run.autosave);
  const autosaveEvery = usePlayground((s) => s.config.values.autosaveEvery);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const n = runs.length;
  return (
    <dialog ref={ref} className="dialog" data-testid="reset-dialog" aria-labelledby="reset-title" onCancel={(e) => {
      e.preventDefault();
      onCancel();
    }}>
      <h2 id="reset-title">{action}: discard {n === 1 ? 'the run' : `all ${n} runs`}?</h2>
      <p>This frees the GPU memory and throws away:</p>
      <ul data-testid="reset-discards">
        {runs.map((r) => {
          const m = metrics[r.id];
          const step = m?.steps.at(-1) ?? r.info?.step ?? 0;
          return (
            <li key={r.id}>
              <strong>{r.label}</strong>: {step} steps trained{m && m.dev.length > 0 ? `, ${m.dev.length} dev evaluations` : ''}, its loss and κ/α charts
            </li>
          );
        })}
      </ul>
      <p className="hint" data-testid="reset-autosave">
        {autosave
          ? `The autosave of step ${autosave.step} stays in this browser: after a reload the page offers to resume from it. Steps after it are lost.`
          : autosaveEvery > 0
            ? `Nothing is autosaved yet (the autosave comes every ${autosaveEvery} steps): download a checkpoint first to keep this run.`
            : 'Autosave is off: download a checkpoint first to keep this run.'}
      </p>
      <div className="dialog-buttons">
        <button type="button" autoFocus data-testid="reset-cancel" onClick={onCancel}>
          Keep the runs
        </button>
        <button type="button" className="danger" data-testid="reset-confirm" onClick={onConfirm}>
          Discard and {action.toLowerCase()}
        </button>
      </div>
    </dialog>
  );
}
