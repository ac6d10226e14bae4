// Open a report in the page (issue 12): a file button and drag-and-drop for a JSON report of
// `cli experiment` or `cli ablate` (decodeReport) or a `cli train --metrics` JSONL (parseMetricsJsonl);
// the panel then shows the file's runs in its charts and tables until it is closed. Errors name the file
// and what is wrong with it.
import type { DragEvent } from 'react';
import { useClient, usePlayground } from '../context.ts';
import type { OpenedFile } from './slice.ts';

export function ReportOpener() {
  const client = useClient();
  const opened = usePlayground((s) => s.experiments.opened);
  const error = usePlayground((s) => s.experiments.openError);
  return (
    <div className="exp-open" data-testid="report-opener">
      <label className="exp-file">
        Open a report…
        <input type="file" data-testid="open-report" accept=".json,.jsonl,application/json" onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) void client.experiments.openFile(file);
          e.target.value = '';
        }} />
      </label>
      <span className="hint">or drop a file here: a JSON report of <code>cli experiment</code> or <code>cli ablate</code>, or a metrics JSONL of <code>cli train --metrics</code></span>
      {opened && (
        <span className="exp-opened" data-testid="opened-file" data-kind={opened.kind === 'report' ? opened.report.kind : 'metrics'}>
          Showing <strong>{opened.name}</strong>{describe(opened)}{' '}
          <button type="button" data-testid="close-report" onClick={() => client.experiments.closeFile()}>Back to this page's runs</button>
        </span>
      )}
      {error && <p className="error" data-testid="open-error">{error}</p>}
    </div>
  );
}

function describe(opened: OpenedFile): string {
  if (opened.kind === 'metrics') return ` (metrics of one run, ${opened.metrics.step.length} steps${opened.metrics.warnings.length ? `; ${opened.metrics.warnings.join('; ')}` : ''})`;
  const r = opened.report;
  if (r.kind === 'ablation') return ` (ablation of ${r.checkpoint} at step ${r.step}, ${r.pairs} pairs${r.bleuPairs !== undefined && r.bleuPairs < r.pairs ? ` (BLEU on ${r.bleuPairs})` : ''}, on ${r.adapter})`;
  return ` (${r.complete ? '' : 'incomplete, '}${r.runs.length} configurations × ${r.seeds.length} seeds × ${r.train.steps} steps on ${r.adapter}; ${r.data.description})`;
}

/** Drop handlers for the panel: the first file dropped is opened. */
export function useReportDrop(): { onDragOver: (e: DragEvent) => void; onDrop: (e: DragEvent) => void } {
  const client = useClient();
  return {
    onDragOver: (e) => {
      if (e.dataTransfer.types.includes('Files')) e.preventDefault();
    },
    onDrop: (e) => {
      const file = e.dataTransfer.files[0];
      if (!file) return;
      e.preventDefault();
      void client.experiments.openFile(file);
    },
  };
}
