// Training loss (raw and EMA-smoothed) and dev loss against step, with a log-scale toggle.
import { useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { lossRows } from './chart-data.ts';
import { LOSS_COLORS } from './palette.ts';

export function LossChart() {
  const steps = usePlayground((s) => s.metrics.steps);
  const loss = usePlayground((s) => s.metrics.loss);
  const dev = usePlayground((s) => s.metrics.dev);
  const [logScale, setLogScale] = useState(false);
  const [smoothing, setSmoothing] = useState(0.9);
  const rows = useMemo(() => lossRows(steps, loss, smoothing, dev), [steps, loss, smoothing, dev]);
  const last = loss.length > 0 ? loss[loss.length - 1] : null;
  return (
    <section className="card" data-testid="loss-chart" data-points={loss.length} data-last-loss={last ?? ''}>
      <div className="card-head">
        <h2>Loss</h2>
        <label className="inline">
          <input type="checkbox" data-testid="log-scale" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} /> log scale
        </label>
        <label className="inline" title="EMA weight on the past">
          smoothing
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
          <output>{smoothing.toFixed(2)}</output>
        </label>
      </div>
      {rows.length === 0 ? (
        <p className="empty">The training loss appears here once the first step is done.</p>
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} />
            <YAxis scale={logScale ? 'log' : 'linear'} domain={['auto', 'auto']} allowDataOverflow tick={{ fontSize: 12 }} width={48} tickFormatter={(v: number) => v.toFixed(2)} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(s) => `step ${s}`} />
            <Legend />
            <Line className="loss-raw" name="training loss" dataKey="loss" stroke={LOSS_COLORS.raw} dot={false} isAnimationActive={false} connectNulls />
            <Line className="loss-smoothed" name="smoothed" dataKey="smoothed" stroke={LOSS_COLORS.smoothed} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
            <Line className="loss-dev" name="dev loss" dataKey="dev" stroke={LOSS_COLORS.dev} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      )}
    </section>
  );
}
