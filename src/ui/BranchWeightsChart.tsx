// κ and α of every branched layer over the steps (one line per branch, the same colour everywhere, a
// step axis) and their current values as a stacked bar (they sum to 1). The decoder's κ/α are its
// cross-attention block's. Each layer's card carries the current weights in data attributes.
import { memo, useMemo, useRef } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { weightRows } from './chart-data.ts';
import { branchColor } from './palette.ts';
import { selectFocusMetrics, selectFocusView, type BranchSeries } from './store.ts';
import { isWeightedRun, RunPicker } from './RunPicker.tsx';
import { PngButton } from './PngButton.tsx';
import { layerName } from './branch-flow.ts';

export function BranchWeightsChart() {
  const view = usePlayground(selectFocusView);
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground(selectFocusMetrics);
  const variant = usePlayground((s) => s.config.values.variant);
  const ref = useRef<HTMLElement>(null);
  const series = metrics.branches;
  const m = series[0]?.kappa[0]?.length ?? view?.info?.config.branches ?? 0;
  const focusVariant = view?.info?.config.variant ?? (runs.length === 0 ? variant : 'weighted');
  let body;
  if (focusVariant === 'baseline') body = <p className="empty">The multi-head baseline has no branch weights κ and α{runs.some(isWeightedRun) ? ': pick a weighted run above' : ''}.</p>;
  else if (series.length === 0) body = <p className="empty">κ and α of every layer appear here once the first step is done.</p>;
  else body = <div className="layers">{series.map((s) => <LayerWeights key={s.layer} series={s} steps={metrics.steps} />)}</div>;
  return (
    <section className="card" ref={ref} data-testid="branch-weights" data-run={view?.id ?? ''}>
      <div className="card-head">
        <h2>History of κ (concatenation) and α (addition)</h2>
        <RunPicker only={isWeightedRun} testId="branch-run" />
        <BranchLegend branches={m} />
        <PngButton target={ref} fileName="branch-weights.png" title={`Branch weights κ and α${view ? ` (${view.label})` : ''}`} />
      </div>
      {series.length > 0 && focusVariant !== 'baseline' && <p className="hint">Each line is one branch's weight (0–1) over the steps; the bar under it splits the current weights, which sum to 1. A decoder layer's κ/α weight its cross-attention branches.</p>}
      {body}
    </section>
  );
}

function BranchLegend({ branches }: { branches: number }) {
  return (
    <span className="legend">
      {Array.from({ length: branches }, (_, b) => (
        <span key={b} className="legend-item">
          <span className="swatch" style={{ background: branchColor(b) }} />
          branch {b + 1}
        </span>
      ))}
    </span>
  );
}

const LayerWeights = memo(function LayerWeights({ series, steps }: { series: BranchSeries; steps: number[] }) {
  const kappa = series.kappa[series.kappa.length - 1];
  const alpha = series.alpha[series.alpha.length - 1];
  return (
    <div className="layer" data-testid={`branch-layer-${series.layer}`} data-kappa={kappa.join(',')} data-alpha={alpha.join(',')}>
      <h3>{layerName(series.layer).title}</h3>
      <WeightsPanel name="kappa" symbol="κ" steps={steps} values={series.kappa} />
      <WeightsPanel name="alpha" symbol="α" steps={steps} values={series.alpha} />
    </div>
  );
});

function WeightsPanel({ name, symbol, steps, values }: { name: string; symbol: string; steps: number[]; values: number[][] }) {
  const rows = useMemo(() => weightRows(steps, values), [steps, values]);
  const current = values[values.length - 1];
  return (
    <div className="weights" data-testid={`${name}-chart`}>
      <span className="weights-symbol">{symbol}</span>
      <ResponsiveContainer width="100%" height={124}>
        <LineChart data={rows} margin={{ top: 4, right: 6, bottom: 0, left: -24 }}>
          <CartesianGrid stroke="#f1f5f9" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 9 }} tickCount={4} height={16} />
          <YAxis domain={[0, 1]} ticks={[0, 0.5, 1]} tick={{ fontSize: 10 }} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))} labelFormatter={(s) => `step ${s}`} />
          {current.map((_, b) => (
            <Line key={b} className={`branch-line branch-line-${b}`} name={`branch ${b + 1}`} dataKey={`b${b}`} stroke={branchColor(b)} dot={false} strokeWidth={1.5} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <WeightBars values={current} />
    </div>
  );
}

/** The current weights as horizontal bars (they sum to 1). */
function WeightBars({ values }: { values: number[] }) {
  return (
    <div className="bars" title={values.map((v, b) => `branch ${b + 1}: ${v.toFixed(3)}`).join('\n')}>
      {values.map((v, b) => (
        <div key={b} className="bar" style={{ width: `${Math.max(0, Math.min(1, v)) * 100}%`, background: branchColor(b) }} />
      ))}
    </div>
  );
}
