// Export buttons: metrics as CSV or JSON (from the store), the checkpoint as safetensors (from the worker).
import { useClient, usePlayground, usePlaygroundStore } from './context.ts';
import { download, metricsToCsv, metricsToJson } from './export.ts';

export function ExportBar() {
  const client = useClient();
  const store = usePlaygroundStore();
  const hasRun = usePlayground((s) => s.run.info !== null);
  const hasMetrics = usePlayground((s) => s.metrics.steps.length > 0);
  return (
    <div className="export-bar">
      <span>Export:</span>
      <button type="button" data-testid="export-csv" disabled={!hasMetrics} onClick={() => download('metrics.csv', metricsToCsv(store.getState().metrics), 'text/csv')}>
        metrics CSV
      </button>
      <button type="button" data-testid="export-json" disabled={!hasMetrics} onClick={() => download('metrics.json', metricsToJson(store.getState().metrics), 'application/json')}>
        metrics JSON
      </button>
      <button type="button" data-testid="save-checkpoint" disabled={!hasRun} onClick={() => client.saveCheckpoint()}>
        checkpoint (.safetensors)
      </button>
    </div>
  );
}
