// Dev BLEU over the run (greedy translations of the first dev sentences at every evaluation), one line
// per run in comparison mode, in the runs' colours.
import { useMemo, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePlayground } from './context.ts';
import { runColor } from './palette.ts';
import { PngButton } from './PngButton.tsx';

export function BleuChart() {
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground((s) => s.metrics.runs);
  const ref = useRef<HTMLElement>(null);
  const rows = useMemo(() => {
    const byStep = new Map<number, Record<string, number>>();
    for (const r of runs) for (const d of metrics[r.id]?.dev ?? []) (byStep.get(d.step) ?? byStep.set(d.step, { step: d.step }).get(d.step)!)[`r${r.id}`] = d.bleu;
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }, [runs, metrics]);
  return (
    <section className="card" ref={ref} data-testid="bleu-chart" data-points={rows.length}>
      <div className="card-head">
        <h2>Dev BLEU</h2>
        <PngButton target={ref} fileName="bleu.png" title="Dev BLEU" />
      </div>
      {rows.length === 0 ? (
        <p className="empty">BLEU on the dev set appears at each evaluation.</p>
      ) : (
        <ResponsiveContainer width="100%" height={180}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} />
            <YAxis domain={[0, 'auto']} tick={{ fontSize: 12 }} width={48} tickFormatter={(v: number) => v.toFixed(v < 10 ? 2 : 1)} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(2) : String(v))} labelFormatter={(s) => `step ${s}`} />
            {runs.length > 1 && <Legend />}
            {runs.map((r, i) => (
              <Line key={r.id} className={`bleu-line bleu-line-${r.id}`} name={r.label} dataKey={`r${r.id}`} stroke={runColor(i)} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </section>
  );
}
