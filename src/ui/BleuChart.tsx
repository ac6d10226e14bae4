// Dev BLEU over the run (greedy translations of the first dev sentences at every evaluation), on the
// 0–100 scale, one line per run in comparison mode, in the runs' colours; round ticks, axis titles.
import { useMemo, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { runColor } from './palette.ts';
import { PngButton } from './PngButton.tsx';
import { extent, niceTicks, tickDecimals } from './chart-data.ts';

export function BleuChart() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const ref = useRef<HTMLElement>(null);
  const rows = useMemo(() => {
    const byStep = new Map<number, Record<string, number>>();
    for (const r of runs) for (const d of metrics[r.id]?.dev ?? []) (byStep.get(d.step) ?? byStep.set(d.step, { step: d.step }).get(d.step)!)[`r${r.id}`] = d.bleu;
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }, [runs, metrics]);
  const withPoints = runs.filter((r) => rows.some((row) => row[`r${r.id}`] !== undefined));
  const span = extent(rows, withPoints.map((r) => `r${r.id}`));
  // BLEU is 0..100: the axis starts at 0 and ends at a round value above the best score (at least 1).
  const y = niceTicks(0, Math.min(100, Math.max(1, span?.[1] ?? 1)), 4);
  const digits = tickDecimals(y.ticks);
  return (
    <section className="card" ref={ref} data-testid="bleu-chart" data-points={rows.length}>
      <div className="card-head">
        <h2>Dev BLEU (0–100)</h2>
        <PngButton target={ref} fileName="bleu.png" title="Dev BLEU (0–100)" />
      </div>
      {rows.length === 0 ? (
        <p className="empty">BLEU on the dev set (0–100, greedy decoding) appears at each evaluation.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 18, left: 16 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} label={{ value: 'step', position: 'insideBottom', offset: -12, fontSize: 12, fill: '#6b7280' }} />
            <YAxis domain={y.domain} ticks={y.ticks} tick={{ fontSize: 12 }} width={60} tickFormatter={(v: number) => v.toFixed(digits)} label={{ value: 'BLEU (0–100)', angle: -90, position: 'insideLeft', fontSize: 12, fill: '#6b7280', style: { textAnchor: 'middle' } }} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(2)} / 100` : String(v))} labelFormatter={(s) => `step ${s}`} />
            {withPoints.length > 1 && <Legend verticalAlign="top" height={24} />}
            {withPoints.map((r) => (
              <Line key={r.id} className={`bleu-line bleu-line-${r.id}`} name={r.label} dataKey={`r${r.id}`} stroke={runColor(runs.indexOf(r))} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </section>
  );
}
