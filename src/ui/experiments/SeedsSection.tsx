// Experiment 1 and 3 (issue 12): per configuration, the mean over its seeds with the min–max band
// against steps or tokens seen; mean ± sd of the final dev loss and BLEU and of the steps and tokens to a
// target dev loss; the verdict lines (the first configuration against each other, at equal steps and at
// equal tokens, "no clear difference" when the spread covers zero).
import { AxisSelect } from '../AxisSelect.tsx';
import { useRef, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useClient, usePlayground } from '../context.ts';
import { runColor } from '../palette.ts';
import { PngButton } from '../PngButton.tsx';
import { compact } from '../format.ts';
import type { XAxisKind } from '../chart-data.ts';
import { bandRows, type BandMetric } from './results.ts';
import { meanSd } from './format.ts';
import type { ExperimentData } from './use-experiment.ts';

export function SeedsSection({ data }: { data: ExperimentData }) {
  const [metric, setMetric] = useState<BandMetric>('dev loss');
  const [axis, setAxis] = useState<XAxisKind>('step');
  const ref = useRef<HTMLElement>(null);
  const rows = bandRows(data.results, metric, axis);
  const seedCounts = data.results.map((r) => r.seeds.length);
  return (
    <section className="card exp-card" ref={ref} data-testid="seed-section" data-groups={data.results.length} data-seeds={seedCounts.join(',')}>
      <div className="card-head">
        <h2>Seeds: mean and min–max band</h2>
        <label className="inline">
          curve
          <select data-testid="seed-metric" value={metric} onChange={(e) => setMetric(e.target.value as BandMetric)}>
            <option value="dev loss">dev loss</option>
            <option value="dev BLEU">dev BLEU</option>
            <option value="training loss">training loss (smoothed)</option>
          </select>
        </label>
        <AxisSelect value={axis} onChange={setAxis} testId="seed-axis" />
        <PngButton target={ref} fileName="seeds.png" title={`Seeds: ${metric}, mean and min–max band`} caption={() => data.source} />
      </div>
      {rows.length === 0 ? (
        <p className="empty">Each configuration's mean over its seeds, with the band from the lowest to the highest seed, appears at the first {metric === 'training loss' ? 'steps' : 'dev evaluation'}.</p>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 18, left: 12 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} tickFormatter={(v: number) => (axis === 'tokens' ? compact(v) : String(v))}
              label={{ value: axis === 'step' ? 'step' : 'target tokens seen', position: 'insideBottom', offset: -12, fontSize: 12, fill: '#6b7280' }} />
            <YAxis domain={['auto', 'auto']} tick={{ fontSize: 12 }} width={52} tickFormatter={(v: number) => v.toFixed(metric === 'dev BLEU' ? 1 : 2)} />
            <Tooltip formatter={(v) => (Array.isArray(v) ? v.map((x: number) => x.toFixed(3)).join(' – ') : typeof v === 'number' ? v.toFixed(3) : String(v))} />
            <Legend verticalAlign="top" height={24} />
            {data.results.flatMap((r, g) => [
              <Area key={`b${g}`} className={`seed-band seed-band-${g}`} name={`${r.label} (min–max of ${r.seeds.length})`} dataKey={`g${g}_band`} stroke="none" fill={runColor(g)} fillOpacity={0.18} isAnimationActive={false} connectNulls />,
              <Line key={`m${g}`} className={`seed-mean seed-mean-${g}`} name={`${r.label} (mean)`} dataKey={`g${g}`} stroke={runColor(g)} strokeWidth={2} dot={metric !== 'training loss' ? { r: 2 } : false} isAnimationActive={false} connectNulls />,
            ])}
          </ComposedChart>
        </ResponsiveContainer>
      )}
      <SeedTable data={data} />
      <Verdicts data={data} />
    </section>
  );
}

function SeedTable({ data }: { data: ExperimentData }) {
  const client = useClient();
  const target = usePlayground((s) => s.experiments.targetLoss);
  const [text, setText] = useState(target === null ? '' : String(target));
  const typed = text.trim() === '' ? null : Number(text);
  const invalid = typed !== null && (!Number.isFinite(typed) || typed <= 0);
  const runs = data.summary.runs;
  return (
    <div className="exp-table-wrap">
      <label className="inline exp-target" title="The step and the tokens seen at which a run's dev loss first reached this value (the paper's “60K instead of 100K steps”)">
        target dev loss
        <input type="number" data-testid="seed-target-loss" min={0} step="any" value={text} placeholder="none" onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim() === '' ? null : Number(e.target.value);
          if (v === null || (Number.isFinite(v) && v > 0)) client.experiments.setTargetLoss(v);
        }} />
        {invalid && <span className="field-error-text" data-testid="seed-target-error">the target must be a dev loss above 0</span>}
      </label>
      <table className="exp-table" data-testid="seed-table">
        <thead>
          <tr>
            <th>configuration</th><th>seeds</th><th>final dev loss</th><th>final dev BLEU</th>
            <th>steps to target</th><th>tokens to target</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r, i) => (
            <tr key={r.label} data-testid={`seed-row-${i}`} data-n={r.devLoss.n} data-dev-loss-mean={r.devLoss.mean} data-dev-loss-sd={r.devLoss.sd} data-bleu-mean={r.bleu?.mean ?? ''}
              data-target-reached={r.target?.reached ?? ''} data-target-steps-mean={r.target?.steps?.mean ?? ''}>
              <td><span className="exp-swatch" style={{ background: runColor(i) }} />{r.label}</td>
              <td>{data.results[i].seeds.length}</td>
              <td>{meanSd(r.devLoss, 3)}</td>
              <td>{meanSd(r.bleu, 1)}</td>
              <td>{targetCell(r.target, 'steps')}</td>
              <td>{targetCell(r.target, 'tokens')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length === 0 && <p className="empty">No runs yet: start training (Training → Repeat over N seeds sets the seeds per compared run), or open a report.</p>}
    </div>
  );
}

function targetCell(t: ExperimentData['summary']['runs'][number]['target'], what: 'steps' | 'tokens'): string {
  if (!t) return 'set a target';
  const s = what === 'steps' ? t.steps : t.tokens;
  if (t.reached === 0 || !s) return `not reached (0/${t.of})`;
  const value = what === 'tokens' && s.mean >= 1000 ? `${compact(Math.round(s.mean))}${s.n > 1 ? ` ± ${compact(Math.round(s.sd))}` : ''}` : meanSd(s, 0);
  return t.reached < t.of ? `${value} (${t.reached}/${t.of} seeds)` : value;
}

function Verdicts({ data }: { data: ExperimentData }) {
  if (data.sweep) return <p className="hint">A sweep compares its values on the chart below, not by a verdict.</p>;
  if (data.verdicts.length === 0) {
    return <p className="hint" data-testid="verdicts-none">{data.results.length < 2 ? 'A verdict needs two configurations: set Training → Compare with (e.g. the multi-head baseline).' : 'The verdict appears once every run has a dev evaluation.'}</p>;
  }
  return (
    <ul className="exp-verdicts" data-testid="verdicts">
      {data.verdicts.map((v) => (
        <li key={`${v.text}`} data-metric={v.metric} data-at={v.at} data-mean={v.mean} data-sd={v.sd} data-n={v.n} data-unclear={v.unclear}>{v.text}</li>
      ))}
    </ul>
  );
}
