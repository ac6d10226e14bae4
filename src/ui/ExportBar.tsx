// Export and import: metrics of every run as CSV or JSON (from the store), the focused run's checkpoint
// as safetensors (from the worker), and loading a checkpoint file back (to continue training or to
// translate). Loading over existing runs asks once before replacing them.
import { useRef, useState } from 'react';
import { useClient, usePlayground, usePlaygroundStore } from './context.ts';
import { download, metricsToCsv, metricsToJson, type ExportedRun } from './export.ts';
import { EMPTY_RUN_METRICS, type PlaygroundState } from './store.ts';

function exportedRuns(s: PlaygroundState): ExportedRun[] {
  return s.run.runs.map((r) => ({ id: r.id, label: r.label, config: r.info?.config ?? null, metrics: s.metrics.runs[r.id] ?? EMPTY_RUN_METRICS }));
}

export function ExportBar() {
  const client = useClient();
  const store = usePlaygroundStore();
  const hasRun = usePlayground((s) => s.run.runs.some((r) => r.info !== null));
  const hasMetrics = usePlayground((s) => Object.values(s.metrics.runs).some((m) => m.steps.length > 0));
  const gpuReady = usePlayground((s) => s.run.gpu.state === 'ready');
  const fileInput = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState<File | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = (file: File) => {
    setPending(null);
    void client.loadCheckpointFile(file).then(setNotice);
  };
  const chosen = (file: File | undefined) => {
    if (!file) return;
    if (hasRun) setPending(file);
    else load(file);
  };
  return (
    <div className="export-bar">
      <span>Export:</span>
      <button type="button" data-testid="export-csv" disabled={!hasMetrics} onClick={() => download('metrics.csv', metricsToCsv(exportedRuns(store.getState())), 'text/csv')}>
        metrics CSV
      </button>
      <button type="button" data-testid="export-json" disabled={!hasMetrics} onClick={() => download('metrics.json', metricsToJson(exportedRuns(store.getState())), 'application/json')}>
        metrics JSON
      </button>
      <button type="button" data-testid="save-checkpoint" disabled={!hasRun} onClick={() => client.saveCheckpoint()} title="The checkpoint of the run shown in the κ/α charts">
        checkpoint (.safetensors)
      </button>
      <button type="button" data-testid="load-checkpoint" disabled={!gpuReady} onClick={() => fileInput.current?.click()} title="Continue training or translate with a saved checkpoint">
        load checkpoint…
      </button>
      <input
        ref={fileInput}
        type="file"
        accept=".safetensors"
        hidden
        data-testid="load-checkpoint-file"
        onChange={(e) => {
          chosen(e.target.files?.[0]);
          e.target.value = '';
        }}
      />
      {pending && (
        <span className="confirm" data-testid="load-confirm">
          Loading {pending.name} replaces the current runs.{' '}
          <button type="button" data-testid="load-confirm-yes" onClick={() => load(pending)}>
            Load
          </button>{' '}
          <button type="button" onClick={() => setPending(null)}>
            Cancel
          </button>
        </span>
      )}
      {notice && (
        <span className="hint" data-testid="load-notice">
          {notice}
        </span>
      )}
    </div>
  );
}
