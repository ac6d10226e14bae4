// Experiment 5 (issue 12): one setting swept over a few values, each value a weighted run repeated over
// the form's seeds on the form's data, and the final dev loss and BLEU (mean, with ± sd bars) against the
// value. The settings are src/experiments/sweep.ts's SWEEP_PARAMS, as `cli experiment --sweep`.
import { useRef, useState } from 'react';
import { CartesianGrid, ErrorBar, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { niceTicks, tickDecimals } from '../chart-data.ts';
import { SWEEP_PARAMS } from '../../experiments/sweep.ts';
import { useClient, usePlayground } from '../context.ts';
import { configLocked } from '../status.ts';
import { runColor } from '../palette.ts';
import { PngButton } from '../PngButton.tsx';
import { sweepView } from './results.ts';
import { meanSd } from './format.ts';
import type { ExperimentData } from './use-experiment.ts';

/** What each swept setting is, for the user (a setting added to SWEEP_PARAMS later shows its name). */
const PARAM_LABELS: Record<string, string> = {
  'kappa-warmup': 'κ/α warm-up (steps)',
  'kappa-lr-scale': 'κ/α learning-rate scale',
  'lr-scale': 'learning-rate scale (both schedules)',
  'freeze-steps': 'freeze κ/α for the last N steps',
  branches: 'branches M',
  depth: 'depth (encoder = decoder layers)',
  weighting: 'κ/α weighting (projected, softmax, uniform)',
};

const EXAMPLES: Record<string, string> = { 'kappa-warmup': '10,40,100', 'kappa-lr-scale': '0.2,1,5', 'lr-scale': '0.5,1,2', 'freeze-steps': '0,100', branches: '2,4,8', depth: '1,2', weighting: 'projected,softmax' };

export function SweepSection({ data }: { data: ExperimentData }) {
  const client = useClient();
  const status = usePlayground((s) => s.run.status);
  const seeds = usePlayground((s) => s.config.values.seeds);
  const [param, setParam] = useState<string>(SWEEP_PARAMS[0]);
  const [values, setValues] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const ref = useRef<HTMLDivElement>(null);
  const points = data.sweep ? sweepView(data.sweep, data.results, data.summary) : [];
  const busy = configLocked(status);
  const withBleu = points.some((p) => p.bleu !== null);
  const rows = points.map((p) => ({ label: p.label.replace(/^[^=]*=/, ''), loss: p.devLoss.mean, lossSd: p.devLoss.sd, bleu: p.bleu?.mean ?? null, bleuSd: p.bleu?.sd ?? null }));
  return (
    <section className="card exp-card" data-testid="sweep-section">
      <div className="card-head">
        <h2>Sweep one setting</h2>
      </div>
      {!data.fromFile && (
        <form className="exp-sweep-form" onSubmit={(e) => {
          e.preventDefault();
          setProblems(client.experiments.startSweep(param, values));
        }}>
          <select data-testid="sweep-param" value={param} onChange={(e) => setParam(e.target.value)}>
            {SWEEP_PARAMS.map((p) => <option key={p} value={p}>{PARAM_LABELS[p] ?? p}</option>)}
          </select>
          <input data-testid="sweep-values" value={values} placeholder={`values, e.g. ${EXAMPLES[param] ?? '1,2'}`} onChange={(e) => setValues(e.target.value)} />
          <button type="submit" data-testid="sweep-start" disabled={busy} title={busy ? 'Reset the current runs first' : undefined}>
            Train one run per value × {seeds} seed{seeds === 1 ? '' : 's'}
          </button>
        </form>
      )}
      {problems.length > 0 && <ul className="errors" data-testid="sweep-errors">{problems.map((p) => <li key={p}>{p}</li>)}</ul>}
      {!data.fromFile && <p className="hint">Every value trains the weighted model with the form's other settings on the same data; the live LR slider does not apply to an LR-scale sweep.</p>}
      {data.sweep && (
        <div ref={ref} data-testid="sweep-chart" data-points={points.length} data-param={data.sweep.param}>
          <div className="card-head exp-subhead">
            <span className="hint">final dev loss{withBleu ? ' and BLEU' : ''} against {PARAM_LABELS[data.sweep.param] ?? data.sweep.param} (mean ± sd over seeds)</span>
            <PngButton target={ref} fileName="sweep.png" title={`Sweep of ${data.sweep.param}`} />
          </div>
          {points.length === 0 ? <p className="empty">The points appear as the runs finish their evaluations.</p> : (
            <div className="exp-two">
              <SweepChart rows={rows} dataKey="loss" sd="lossSd" name="final dev loss" color={runColor(0)} />
              {withBleu && <SweepChart rows={rows} dataKey="bleu" sd="bleuSd" name="final dev BLEU" color={runColor(1)} />}
            </div>
          )}
          <table className="exp-table" data-testid="sweep-table">
            <thead><tr><th>{data.sweep.param}</th><th>seeds</th><th>final dev loss</th><th>final dev BLEU</th></tr></thead>
            <tbody>
              {points.map((p) => <tr key={p.label} data-value={String(p.value)} data-loss={p.devLoss.mean}><td>{String(p.value)}</td><td>{p.devLoss.n}</td><td>{meanSd(p.devLoss, 3)}</td><td>{meanSd(p.bleu, 1)}</td></tr>)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SweepChart({ rows, dataKey, sd, name, color }: { rows: Record<string, unknown>[]; dataKey: string; sd: string; name: string; color: string }) {
  // Round ticks over the points with their ± sd bars.
  const ends = rows.flatMap((r) => {
    const [y, e] = [r[dataKey], r[sd]];
    if (typeof y !== 'number' || !Number.isFinite(y)) return [];
    const spread = typeof e === 'number' && Number.isFinite(e) ? e : 0;
    return [y - spread, y + spread];
  });
  const { ticks, domain } = niceTicks(Math.min(...ends), Math.max(...ends), 4);
  const decimals = tickDecimals(ticks);
  return (
    <div className="exp-sweep-chart" data-testid={`sweep-chart-${dataKey}`}>
      <h3>{name}</h3>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" />
          <XAxis dataKey="label" type="category" tick={{ fontSize: 12 }} />
          <YAxis domain={ends.length ? domain : ['auto', 'auto']} ticks={ends.length ? ticks : undefined} tick={{ fontSize: 12 }} width={52} tickFormatter={(v: number) => v.toFixed(decimals)} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))} />
          <Line className={`sweep-line sweep-line-${dataKey}`} name={name} dataKey={dataKey} stroke={color} strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false}>
            <ErrorBar dataKey={sd} width={6} stroke={color} />
          </Line>
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
