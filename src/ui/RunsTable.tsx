// The runs of the session side by side (comparison mode): each labelled by how its config differs from
// the others, with its progress, last smoothed training loss, last dev loss and BLEU, and throughput.
// Clicking a run focuses it (κ/α charts, dev samples, translation).
import { useClient, usePlayground } from './context.ts';
import { ema } from './chart-data.ts';
import { formatBytes, formatMs } from './format.ts';
import { runColor } from './palette.ts';
import { EMPTY_RUN_METRICS, type RunMetrics, type RunView } from './store.ts';
import { runStateText } from './status.ts';
import type { RunStatus } from '../train/protocol.ts';

export function RunsTable() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const focus = usePlayground((s) => s.run.focus);
  const status = usePlayground((s) => s.run.status);
  if (runs.length < 2) return null;
  return (
    <section className="card runs" data-testid="runs-table">
      <h2>Runs</h2>
      <table>
        <thead>
          <tr>
            <th>run</th>
            <th>state</th>
            <th>parameters</th>
            <th>step</th>
            <th>tokens seen</th>
            <th title="EMA 0.9 of the training loss">train loss</th>
            <th>dev loss</th>
            <th>BLEU</th>
            <th>tokens/s</th>
            <th>GPU / step</th>
            <th>GPU memory</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r, i) => (
            <RunRow key={r.id} run={r} status={status} color={runColor(i)} metrics={metrics[r.id] ?? EMPTY_RUN_METRICS} focused={r.id === focus} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function RunRow({ run, status, color, metrics, focused }: { run: RunView; status: RunStatus; color: string; metrics: RunMetrics; focused: boolean }) {
  const client = useClient();
  const dev = metrics.dev.at(-1);
  const smoothed = ema(metrics.loss, 0.9).at(-1);
  const { rates } = run;
  return (
    <tr className={focused ? 'focused' : undefined} data-testid={`run-row-${run.id}`} data-label={run.label} data-dev-loss={dev?.loss ?? ''} onClick={() => client.setFocus(run.id)}>
      <td>
        <span className="swatch" style={{ background: color }} /> {run.label}
      </td>
      <td title={run.error ?? undefined} data-testid={`run-state-${run.id}`}>{runStateText(run.state, status, run.error)}</td>
      <td>{run.info ? run.info.parameters.toLocaleString() : '…'}</td>
      <td>{metrics.steps.at(-1) ?? run.info?.step ?? 0}</td>
      <td>{rates.tokensSeen.toLocaleString()}</td>
      <td>{smoothed === undefined ? '' : smoothed.toFixed(3)}</td>
      <td>{dev ? dev.loss.toFixed(3) : ''}</td>
      <td>{dev ? dev.bleu.toFixed(2) : ''}</td>
      <td>{Math.round(rates.tokensPerSec).toLocaleString()}</td>
      <td>{rates.gpuMsPerStep === null ? 'n/a' : formatMs(rates.gpuMsPerStep)}</td>
      <td>{formatBytes(rates.gpuBytes)}</td>
    </tr>
  );
}
