// Experiment 4 (issue 12): does κ/α collapse or specialize? Per branched layer, the entropy of κ and of α
// over the steps of one run and seed (a line per layer; log M is uniform, 0 is one branch), and the
// events read off the weights (a branch pinned at 0 by the projection, a vector collapsed onto one branch).
import { useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { layerName } from '../../experiments/entropy.ts';
import { thinIndices } from '../chart-data.ts';
import { usePlayground } from '../context.ts';
import { selectFocusView } from '../store.ts';
import { branchColor } from '../palette.ts';
import { PngButton } from '../PngButton.tsx';
import { seedGroupOf } from './seed-runs.ts';
import type { ExperimentData } from './use-experiment.ts';

export function EntropySection({ data }: { data: ExperimentData }) {
  const focus = usePlayground(selectFocusView);
  const choices = data.results.flatMap((r, g) => r.seeds.filter((s) => s.entropy.layers.length > 0).map((s, k) => ({ key: `${g}/${k}`, label: `${r.label}${r.seeds.length > 1 ? `, seed ${s.seed}` : ''}`, run: r, seed: s })));
  const focusKey = (() => {
    if (data.fromFile || !focus) return null;
    const { group, seed } = seedGroupOf(focus.label);
    return choices.find((c) => c.run.label === group && (seed === null || c.seed.seed === seed))?.key ?? null;
  })();
  const [picked, setPicked] = useState<string | null>(null);
  const chosen = choices.find((c) => c.key === picked) ?? choices.find((c) => c.key === focusKey) ?? choices[0] ?? null;
  const ref = useRef<HTMLElement>(null);
  const entropy = chosen?.seed.entropy;
  const layers = entropy?.layers ?? [];
  return (
    <section className="card exp-card" ref={ref} data-testid="entropy-section" data-layers={layers.length} data-run={chosen?.label ?? ''}>
      <div className="card-head">
        <h2>Entropy of κ and α per layer</h2>
        {choices.length > 1 && (
          <select data-testid="entropy-run" value={chosen?.key ?? ''} onChange={(e) => setPicked(e.target.value)}>
            {choices.map((c) => <option key={c.key} value={c.key}>{c.label}</option>)}
          </select>
        )}
        <PngButton target={ref} fileName="entropy.png" title={`Entropy of κ and α per layer (${chosen?.label ?? ''})`} />
      </div>
      {!chosen || !entropy ? (
        <p className="empty">A weighted run's κ/α entropies (nats; log M when uniform, 0 when one branch carries everything) appear once it has trained a step.</p>
      ) : (
        <>
          <div className="exp-two">
            {(['kappa', 'alpha'] as const).map((which) => (
              <EntropyChart key={which} which={which} steps={entropy.steps} series={entropy[which]} layers={layers} branches={chosen.run.config.branches} />
            ))}
          </div>
          <BranchEvents events={chosen.seed.events} />
        </>
      )}
    </section>
  );
}

function EntropyChart({ which, steps, series, layers, branches }: { which: 'kappa' | 'alpha'; steps: number[]; series: number[][]; layers: string[]; branches: number }) {
  const rows = thinIndices(steps.length, 300).map((i) => Object.fromEntries([['step', steps[i]], ...layers.map((_, l) => [`l${l}`, series[l][i]])]) as Record<string, number>);
  const symbol = which === 'kappa' ? 'κ' : 'α';
  return (
    <div className="exp-entropy" data-testid={`entropy-chart-${which}`} data-lines={layers.length}>
      <h3>{symbol} entropy (nats)</h3>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={rows} margin={{ top: 20, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} label={{ value: 'step', position: 'insideBottom', offset: -4, fontSize: 12, fill: '#6b7280' }} />
          <YAxis domain={[0, Math.max(0.01, Math.log(Math.max(2, branches)))]} tick={{ fontSize: 12 }} width={44} tickFormatter={(v: number) => v.toFixed(2)} />
          <ReferenceLine y={Math.log(branches)} stroke="#9ca3af" strokeDasharray="4 3" label={{ value: 'uniform (log M)', fontSize: 11, fill: '#6b7280', position: 'top' }} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(s) => `step ${s}`} />
          <Legend verticalAlign="bottom" wrapperStyle={{ paddingTop: 18 }} />
          {layers.map((layer, l) => (
            <Line key={layer} className={`entropy-line entropy-line-${l}`} name={layerName(layer)} dataKey={`l${l}`} stroke={branchColor(l)} strokeWidth={2} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function BranchEvents({ events }: { events: ExperimentData['results'][number]['seeds'][number]['events'] }) {
  if (events.length === 0) return <p className="hint" data-testid="branch-events-none">No events: no branch pinned at 0 and no vector collapsed onto one branch (≥ 0.95) for 10 reported steps or more.</p>;
  return (
    <ul className="exp-events" data-testid="branch-events">
      {events.map((e) => <li key={`${e.kind}/${e.layer}/${e.which}/${e.branch}/${e.from}`} data-kind={e.kind}>{e.text}</li>)}
    </ul>
  );
}
