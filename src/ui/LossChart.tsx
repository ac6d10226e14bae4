// Training loss (raw and EMA-smoothed) and dev loss, against steps or target tokens seen, linear or log.
// With several runs (comparison mode) one smoothed line per run with its dev points, on the same axis.
import { useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { comparisonRows, lossRows, runSeries, type XAxisKind } from './chart-data.ts';
import { LOSS_COLORS, runColor } from './palette.ts';
import { EMPTY_RUN_METRICS, type RunMetrics, type RunView } from './store.ts';
import { PngButton } from './PngButton.tsx';
import { compact } from './format.ts';

const X_LABEL: Record<XAxisKind, string> = { step: 'step', tokens: 'target tokens seen' };

export function LossChart() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const [logScale, setLogScale] = useState(false);
  const [smoothing, setSmoothing] = useState(0.9);
  const [axisChoice, setAxis] = useState<XAxisKind | null>(null);
  const ref = useRef<HTMLElement>(null);
  const comparing = runs.length > 1;
  const axis = axisChoice ?? (comparing ? 'tokens' : 'step');
  const first = (runs[0] && metrics[runs[0].id]) || EMPTY_RUN_METRICS;
  const points = runs.reduce((n, r) => n + (metrics[r.id]?.loss.length ?? 0), 0);
  const last = first.loss.length > 0 ? first.loss[first.loss.length - 1] : null;
  return (
    <section className="card" ref={ref} data-testid="loss-chart" data-points={first.loss.length} data-all-points={points} data-runs={runs.length} data-last-loss={last ?? ''}>
      <div className="card-head">
        <h2>Loss</h2>
        <label className="inline">
          x axis
          <select data-testid="loss-axis" value={axis} onChange={(e) => setAxis(e.target.value as XAxisKind)}>
            <option value="step">steps</option>
            <option value="tokens">tokens seen</option>
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" data-testid="log-scale" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} /> log scale
        </label>
        <label className="inline" title="EMA weight on the past">
          smoothing
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
          <output>{smoothing.toFixed(2)}</output>
        </label>
        <PngButton target={ref} fileName="loss.png" title="Loss" />
      </div>
      {points === 0 ? (
        <p className="empty">The training loss appears here once the first step is done.</p>
      ) : comparing ? (
        <ComparisonLines runs={runs} metrics={metrics} axis={axis} smoothing={smoothing} logScale={logScale} />
      ) : (
        <SingleRunLines metrics={first} axis={axis} smoothing={smoothing} logScale={logScale} />
      )}
    </section>
  );
}

interface LinesProps {
  axis: XAxisKind;
  smoothing: number;
  logScale: boolean;
}

function Frame({ rows, axis, logScale, children }: { rows: object[]; axis: XAxisKind; logScale: boolean; children: React.ReactNode }) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
        <CartesianGrid stroke="#e5e7eb" />
        <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} tickFormatter={(v: number) => (axis === 'tokens' ? compact(v) : String(v))} />
        <YAxis scale={logScale ? 'log' : 'linear'} domain={['auto', 'auto']} allowDataOverflow tick={{ fontSize: 12 }} width={48} tickFormatter={(v: number) => v.toFixed(2)} />
        <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(x) => `${X_LABEL[axis]} ${Number(x).toLocaleString()}`} />
        <Legend />
        {children}
      </LineChart>
    </ResponsiveContainer>
  );
}

function SingleRunLines({ metrics, ...p }: LinesProps & { metrics: RunMetrics }) {
  const rows = useMemo(() => lossRows(runSeries(metrics, p.axis), p.smoothing), [metrics, p.axis, p.smoothing]);
  return (
    <Frame rows={rows} axis={p.axis} logScale={p.logScale}>
      <Line className="loss-raw" name="training loss" dataKey="loss" stroke={LOSS_COLORS.raw} dot={false} isAnimationActive={false} connectNulls />
      <Line className="loss-smoothed" name="smoothed" dataKey="smoothed" stroke={LOSS_COLORS.smoothed} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
      <Line className="loss-dev" name="dev loss" dataKey="dev" stroke={LOSS_COLORS.dev} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls />
    </Frame>
  );
}

function ComparisonLines({ runs, metrics, ...p }: LinesProps & { runs: RunView[]; metrics: Record<number, RunMetrics> }) {
  const rows = useMemo(
    () => comparisonRows(runs.map((r) => ({ key: `r${r.id}`, series: runSeries(metrics[r.id] ?? EMPTY_RUN_METRICS, p.axis) })), p.smoothing),
    [runs, metrics, p.axis, p.smoothing],
  );
  return (
    <Frame rows={rows} axis={p.axis} logScale={p.logScale}>
      {runs.flatMap((r, i) => [
        <Line key={`r${r.id}`} className={`run-line run-line-${r.id}`} name={`${r.label} (train, smoothed)`} dataKey={`r${r.id}`} stroke={runColor(i)} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />,
        <Line key={`d${r.id}`} className={`run-dev run-dev-${r.id}`} name={`${r.label} (dev)`} dataKey={`r${r.id}_dev`} stroke={runColor(i)} strokeDasharray="4 3" dot={{ r: 3 }} isAnimationActive={false} connectNulls />,
      ])}
    </Frame>
  );
}
