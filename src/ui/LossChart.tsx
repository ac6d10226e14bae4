// Training loss (raw beneath the EMA-smoothed line) and dev loss, against steps or target tokens seen,
// linear or log, with axis titles and round ticks. With several runs (comparison mode) one smoothed line
// per run with its dev points, on the same axis. A legend entry only for a series that has points; a run
// whose history starts after step 1 (a checkpoint without one) says so.
import { AxisSelect } from './AxisSelect.tsx';
import { useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { comparisonRows, extent, lossRows, niceTicks, runSeries, tickDecimals, type XAxisKind } from './chart-data.ts';
import { LOSS_COLORS, runColor } from './palette.ts';
import { EMPTY_RUN_METRICS, type RunMetrics, type RunView } from './store.ts';
import { PngButton } from './PngButton.tsx';
import { compact } from './format.ts';

const X_LABEL: Record<XAxisKind, string> = { step: 'step', tokens: 'target tokens seen' };
const Y_TITLE = 'loss (nats/token)';

export function LossChart() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const [logScale, setLogScale] = useState(false);
  const [smoothing, setSmoothing] = useState(0.8);
  const [axisChoice, setAxis] = useState<XAxisKind | null>(null);
  const ref = useRef<HTMLElement>(null);
  const comparing = runs.length > 1;
  const axis = axisChoice ?? (comparing ? 'tokens' : 'step');
  const first = (runs[0] && metrics[runs[0].id]) || EMPTY_RUN_METRICS;
  const points = runs.reduce((n, r) => n + (metrics[r.id]?.loss.length ?? 0), 0);
  const last = first.loss.length > 0 ? first.loss[first.loss.length - 1] : null;
  const startsAt = historyStart(runs[0] ?? null, first);
  return (
    <section className="card" ref={ref} data-testid="loss-chart" data-points={first.loss.length} data-all-points={points} data-runs={runs.length} data-last-loss={last ?? ''}>
      <div className="card-head">
        <h2>Loss</h2>
        <AxisSelect value={axis} onChange={setAxis} testId="loss-axis" />
        <label className="inline">
          <input type="checkbox" data-testid="log-scale" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} /> log scale
        </label>
        <label className="inline" title="EMA weight on the past: 0 = raw, 0.99 = very smooth (and late)">
          smoothing
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-label="smoothing" />
          <output>{smoothing.toFixed(2)}</output>
        </label>
        <PngButton target={ref} fileName="loss.png" title="Loss" />
      </div>
      {startsAt !== null && (
        <p className="hint" data-testid="history-start" data-step={startsAt}>
          History starts at step {startsAt}: the checkpoint carried no metrics from before it.
        </p>
      )}
      {points === 0 ? (
        <p className="empty">The training loss appears here as soon as the first step is read back.</p>
      ) : comparing ? (
        <ComparisonLines runs={runs} metrics={metrics} axis={axis} smoothing={smoothing} logScale={logScale} />
      ) : (
        <SingleRunLines metrics={first} axis={axis} smoothing={smoothing} logScale={logScale} />
      )}
    </section>
  );
}

/** The step a restored run's charts begin after (no history before it), or null for a run from step 0. */
function historyStart(view: RunView | null, m: RunMetrics): number | null {
  const restored = view?.info?.step ?? 0;
  if (restored <= 0) return null;
  const firstStep = m.steps[0];
  if (firstStep === undefined) return restored;
  return firstStep > restored ? restored : null;
}

interface LinesProps {
  axis: XAxisKind;
  smoothing: number;
  logScale: boolean;
}

function Frame({ rows, keys, axis, logScale, children }: { rows: Record<string, number>[]; keys: string[]; axis: XAxisKind; logScale: boolean; children: React.ReactNode }) {
  const span = extent(rows, keys);
  const y = !logScale && span ? niceTicks(span[0], span[1], 5) : null;
  const xs = extent(rows, ['x']);
  // Round x ticks inside the data (whole steps on the step axis).
  const xTicks = xs ? niceTicks(xs[0], xs[1], 6).ticks.filter((t) => t >= xs[0] && t <= xs[1] && (axis !== 'step' || Number.isInteger(t))) : [];
  const digits = y ? tickDecimals(y.ticks) : 2;
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 18, left: 12 }}>
        <CartesianGrid stroke="#e5e7eb" />
        <XAxis
          dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} ticks={xTicks.length >= 2 ? xTicks : undefined}
          tickFormatter={(v: number) => (axis === 'tokens' ? compact(v) : String(v))}
          label={{ value: X_LABEL[axis], position: 'insideBottom', offset: -12, fontSize: 12, fill: '#6b7280' }}
        />
        <YAxis
          scale={logScale ? 'log' : 'linear'} domain={y ? y.domain : ['auto', 'auto']} ticks={y?.ticks} allowDataOverflow tick={{ fontSize: 12 }} width={52}
          tickFormatter={(v: number) => (y ? v.toFixed(digits) : Number(v.toPrecision(2)).toString())}
          label={{ value: Y_TITLE, angle: -90, position: 'insideLeft', fontSize: 12, fill: '#6b7280', style: { textAnchor: 'middle' } }}
        />
        <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(x) => `${X_LABEL[axis]} ${Number(x).toLocaleString('en-US')}`} />
        <Legend verticalAlign="top" height={24} />
        {children}
      </LineChart>
    </ResponsiveContainer>
  );
}

function SingleRunLines({ metrics, ...p }: LinesProps & { metrics: RunMetrics }) {
  const rows = useMemo(() => lossRows(runSeries(metrics, p.axis), p.smoothing) as unknown as Record<string, number>[], [metrics, p.axis, p.smoothing]);
  const hasDev = rows.some((r) => r.dev !== undefined);
  return (
    <Frame rows={rows} keys={['loss', 'smoothed', 'dev']} axis={p.axis} logScale={p.logScale}>
      <Line className="loss-raw" name="training loss (raw)" dataKey="loss" stroke={LOSS_COLORS.raw} strokeWidth={1} strokeOpacity={0.75} dot={false} isAnimationActive={false} connectNulls />
      <Line className="loss-smoothed" name={`smoothed (EMA ${p.smoothing.toFixed(2)})`} dataKey="smoothed" stroke={LOSS_COLORS.smoothed} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
      {hasDev && <Line className="loss-dev" name="dev loss" dataKey="dev" stroke={LOSS_COLORS.dev} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls />}
    </Frame>
  );
}

function ComparisonLines({ runs, metrics, ...p }: LinesProps & { runs: RunView[]; metrics: Record<number, RunMetrics> }) {
  const rows = useMemo(
    () => comparisonRows(runs.map((r) => ({ key: `r${r.id}`, series: runSeries(metrics[r.id] ?? EMPTY_RUN_METRICS, p.axis) })), p.smoothing),
    [runs, metrics, p.axis, p.smoothing],
  );
  const has = (key: string) => rows.some((r) => r[key] !== undefined);
  const keys = runs.flatMap((r) => [`r${r.id}`, `r${r.id}_dev`]);
  return (
    <Frame rows={rows} keys={keys} axis={p.axis} logScale={p.logScale}>
      {runs.flatMap((r, i) => [
        has(`r${r.id}`) && <Line key={`r${r.id}`} className={`run-line run-line-${r.id}`} name={`${r.label} (train, smoothed)`} dataKey={`r${r.id}`} stroke={runColor(i)} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />,
        has(`r${r.id}_dev`) && <Line key={`d${r.id}`} className={`run-dev run-dev-${r.id}`} name={`${r.label} (dev)`} dataKey={`r${r.id}_dev`} stroke={runColor(i)} strokeDasharray="4 3" dot={{ r: 3 }} isAnimationActive={false} connectNulls />,
      ])}
    </Frame>
  );
}
