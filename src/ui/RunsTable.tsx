// The runs of the session side by side (comparison mode): each labelled by how its config differs from
// the others, with its progress, last smoothed training loss, last dev loss and BLEU, throughput, and the
// step (and target tokens) at which its dev loss first reached a target the user types. Every column
// sorts (click its header; again to reverse). Clicking a run focuses it (κ/α, dev samples, translation).
import { useState } from 'react';
import { useClient, usePlayground } from './context.ts';
import { ema } from './chart-data.ts';
import { compact, formatBytes, formatMs } from './format.ts';
import { runColor } from './palette.ts';
import { EMPTY_RUN_METRICS, type RunMetrics, type RunView } from './store.ts';
import { runStateText } from './status.ts';
import { stepsToTarget, type TargetReached } from './runs.ts';
import type { RunStatus } from '../train/protocol.ts';

interface Row {
  run: RunView;
  index: number;
  metrics: RunMetrics;
  state: string;
  step: number;
  smoothed: number | undefined;
  target: TargetReached | null;
}

interface Column {
  key: string;
  title: string;
  help?: string;
  text?: boolean;
  /** The sort key (undefined sorts last). */
  value: (r: Row) => number | string | undefined;
  cell: (r: Row) => React.ReactNode;
}

const fixed = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));

const COLUMNS: Column[] = [
  { key: 'run', title: 'Run', text: true, value: (r) => r.run.label, cell: (r) => (<><span className="swatch" style={{ background: runColor(r.index) }} /> {r.run.label}</>) },
  { key: 'state', title: 'State', text: true, value: (r) => r.state, cell: (r) => <span title={r.run.error ?? undefined} data-testid={`run-state-${r.run.id}`}>{r.state}</span> },
  { key: 'params', title: 'Parameters', value: (r) => r.run.info?.parameters, cell: (r) => (r.run.info ? r.run.info.parameters.toLocaleString('en-US') : '…') },
  { key: 'step', title: 'Step', value: (r) => r.step, cell: (r) => r.step },
  { key: 'tokens', title: 'Tokens seen', help: 'Non-PAD target tokens trained on', value: (r) => r.run.rates.tokensSeen, cell: (r) => r.run.rates.tokensSeen.toLocaleString('en-US') },
  { key: 'train', title: 'Train loss', help: 'EMA 0.9 of the training loss (nats per token)', value: (r) => r.smoothed, cell: (r) => fixed(r.smoothed, 3) },
  { key: 'dev', title: 'Dev loss', help: 'Cross-entropy on the dev set at the last evaluation (nats per token)', value: (r) => r.metrics.dev.at(-1)?.loss, cell: (r) => fixed(r.metrics.dev.at(-1)?.loss, 3) },
  { key: 'bleu', title: 'BLEU (0–100)', help: 'Corpus BLEU of greedy translations of the dev sentences at the last evaluation', value: (r) => r.metrics.dev.at(-1)?.bleu, cell: (r) => fixed(r.metrics.dev.at(-1)?.bleu, 1) },
  {
    key: 'target', title: 'Steps to target', help: 'The step (and target tokens) at which the dev loss first reached the target',
    value: (r) => r.target?.step, cell: (r) => (r.target ? `${r.target.step}${r.target.tokens !== null ? ` (${compact(r.target.tokens)} tok)` : ''}` : '—'),
  },
  { key: 'tps', title: 'Tokens/s', value: (r) => r.run.rates.tokensPerSec, cell: (r) => Math.round(r.run.rates.tokensPerSec).toLocaleString('en-US') },
  { key: 'gpu', title: 'GPU / step', value: (r) => r.run.rates.gpuMsPerStep ?? undefined, cell: (r) => (r.run.rates.gpuMsPerStep === null ? 'n/a' : formatMs(r.run.rates.gpuMsPerStep)) },
  { key: 'mem', title: 'GPU memory', value: (r) => r.run.rates.gpuBytes, cell: (r) => formatBytes(r.run.rates.gpuBytes) },
];

export function RunsTable() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const focus = usePlayground((s) => s.run.focus);
  const status = usePlayground((s) => s.run.status);
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [targetText, setTargetText] = useState('');
  if (runs.length < 2) return null;
  const target = Number(targetText);
  const targetProblem = targetText.trim() !== '' && !(target > 0 && Number.isFinite(target)) ? 'the target must be a positive loss, e.g. 2.5' : null;
  const rows: Row[] = runs.map((run, index) => {
    const m = metrics[run.id] ?? EMPTY_RUN_METRICS;
    return { run, index, metrics: m, state: rowState(run, status), step: m.steps.at(-1) ?? run.info?.step ?? 0, smoothed: ema(m.loss, 0.9).at(-1), target: targetText.trim() === '' || targetProblem ? null : stepsToTarget(m, target) };
  });
  const column = sort && COLUMNS.find((c) => c.key === sort.key);
  if (column && sort) rows.sort((a, b) => compare(column.value(a), column.value(b)) * sort.dir);
  return (
    <section className="card runs" data-testid="runs-table">
      <div className="card-head">
        <h2>Runs</h2>
        <label className="inline">
          target dev loss
          <input className="target-input" data-testid="target-loss" inputMode="decimal" placeholder="e.g. 2.5" value={targetText} aria-invalid={targetProblem !== null} onChange={(e) => setTargetText(e.target.value)} />
        </label>
        {targetProblem && <span className="error-text" data-testid="target-loss-error">{targetProblem}</span>}
      </div>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} className={c.text ? 'text' : undefined} title={c.help} aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'} scope="col">
                  <button type="button" data-testid={`sort-${c.key}`} onClick={() => setSort(sort?.key === c.key ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: 1 })}>
                    {c.title}
                    {sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <RunRow key={r.run.id} row={r} focused={r.run.id === focus} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function rowState(run: RunView, status: RunStatus): string {
  return runStateText(run.state, status, run.error);
}

function compare(a: number | string | undefined, b: number | string | undefined): number {
  if (a === undefined || (typeof a === 'number' && !Number.isFinite(a))) return b === undefined ? 0 : 1;
  if (b === undefined || (typeof b === 'number' && !Number.isFinite(b))) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

function RunRow({ row, focused }: { row: Row; focused: boolean }) {
  const client = useClient();
  const dev = row.metrics.dev.at(-1);
  return (
    <tr className={focused ? 'focused' : undefined} data-testid={`run-row-${row.run.id}`} data-label={row.run.label} data-dev-loss={dev?.loss ?? ''} data-target-step={row.target?.step ?? ''} onClick={() => client.setFocus(row.run.id)}>
      {COLUMNS.map((c) => (
        <td key={c.key} className={c.text ? 'text' : undefined}>
          {c.cell(row)}
        </td>
      ))}
    </tr>
  );
}
