// Experiment 2 (issue 12): the paper's Table 3 at test time for the focused weighted run (or an opened
// `cli ablate` report): dev BLEU (or dev loss) with the learned κ/α, uniform 1/M, random points of the
// simplex (mean ± sd over the draws) and each branch muted, beside the paper's own numbers, which are
// labelled as the paper's (config C on WMT En→De at its scale, not comparable in absolute value).
import { useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ErrorBar, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { AblationReport } from '../../train/protocol.ts';
import { ablationProblem } from '../../experiments/ablation.ts';
import { layerName } from '../../experiments/entropy.ts';
import { useClient, usePlayground } from '../context.ts';
import { selectFocusView } from '../store.ts';
import { PngButton } from '../PngButton.tsx';
import { runColor } from '../palette.ts';
import { num } from './format.ts';
import type { ExperimentData } from './use-experiment.ts';
import { RANDOM_DRAWS } from './experiment-client.ts';

/** Table 3 of Ahmed et al. (2017): dev BLEU of config C on newstest2013 (WMT En→De), its scale, not ours. */
export const PAPER_TABLE3 = { learned: 24.8, uniform: 23.4, random: 21.1 } as const;

/** The most random draws the page asks for (each costs a full dev evaluation with BLEU). */
const MAX_DRAWS = 50;

export function AblationSection({ data }: { data: ExperimentData }) {
  const focus = usePlayground(selectFocusView);
  const ablation = usePlayground((s) => s.experiments.ablation);
  const client = useClient();
  const fromFile = data.ablation;
  const [draws, setDraws] = useState(RANDOM_DRAWS);
  const drawsOk = Number.isInteger(draws) && draws >= 1 && draws <= MAX_DRAWS;
  const problem = !focus?.info ? 'start a weighted run first' : ablationProblem(focus.info.config) ?? (focus.info.devPairs === 0 ? 'the run has no dev set' : null);
  const shown: { report: AblationReport; step: number | null; label: string; uniformCheck: number | null } | null = fromFile
    ? { report: fromFile, step: fromFile.step, label: fromFile.checkpoint, uniformCheck: null }
    : ablation?.report ? { report: ablation.report, step: ablation.step, label: ablation.label, uniformCheck: ablation.uniformCheck } : null;
  return (
    <section className="card exp-card" data-testid="ablation-section">
      <div className="card-head">
        <h2>Table 3 at test time: learned, uniform, random and muted κ/α</h2>
        {!data.fromFile && (
          <label className="inline" title={`Random points of the simplex to draw (1–${MAX_DRAWS}); each draws every κ and α vector`}>
            random draws
            <input type="number" className="exp-draws" data-testid="ablate-draws" min={1} max={MAX_DRAWS} step={1} value={Number.isFinite(draws) ? draws : ''} aria-invalid={!drawsOk}
              onChange={(e) => setDraws(e.target.value.trim() === '' ? NaN : Number(e.target.value))} />
          </label>
        )}
        {!data.fromFile && (
          <button type="button" data-testid="ablate" disabled={problem !== null || ablation?.pending === true || !drawsOk} title={problem ?? `Measure ${focus?.label} with its κ/α replaced, between its steps; its learned κ/α are restored afterwards`}
            onClick={() => focus && client.experiments.ablate(focus.id, { randomDraws: draws })}>
            Measure {focus?.label ?? 'the focused run'}
          </button>
        )}
      </div>
      {!data.fromFile && !drawsOk && <p className="error" data-testid="ablate-draws-error">Random draws must be a whole number from 1 to {MAX_DRAWS}.</p>}
      {!data.fromFile && problem && <p className="hint" data-testid="ablate-problem">The ablation needs a trained weighted run with learned κ/α: {problem}.</p>}
      {ablation?.pending && !data.fromFile && (
        <p className="exp-progress" data-testid="ablation-progress">
          <progress max={ablation.progress?.total ?? 1} value={ablation.progress?.done ?? 0} /> {ablation.progress ? `${ablation.progress.done}/${ablation.progress.total}: ${ablation.progress.text}` : 'waiting for the steps in flight…'}
        </p>
      )}
      {ablation?.error && !data.fromFile && <p className="error" data-testid="ablation-error">The ablation failed: {ablation.error}</p>}
      {shown ? <AblationResult {...shown} /> : !ablation?.pending && <p className="empty">Dev loss and greedy BLEU of the focused run with its learned κ/α, uniform 1/M, {RANDOM_DRAWS} random points of the simplex and each branch muted in turn appear here; the run's weights are restored afterwards.</p>}
      <MuteResults />
    </section>
  );
}

function AblationResult({ report, step, label, uniformCheck }: { report: AblationReport; step: number | null; label: string; uniformCheck: number | null }) {
  const [metric, setMetric] = useState<'bleu' | 'loss'>(report.learned.bleu === null ? 'loss' : 'bleu');
  const ref = useRef<HTMLDivElement>(null);
  const bleu = metric === 'bleu';
  const rows = [
    { setting: 'learned κ/α', ours: bleu ? report.learned.bleu : report.learned.loss, paper: bleu ? PAPER_TABLE3.learned : null },
    { setting: 'uniform 1/M', ours: bleu ? report.uniform.bleu : report.uniform.loss, paper: bleu ? PAPER_TABLE3.uniform : null },
    { setting: `random (${report.random.draws} draws)`, ours: bleu ? report.random.bleu_mean : report.random.loss_mean, err: bleu ? report.random.bleu_sd : report.random.loss_sd, paper: bleu ? PAPER_TABLE3.random : null },
  ];
  const worstMuted = [...report.muted].sort((a, b) => b.loss - a.loss);
  return (
    <div data-testid="ablation-result" data-step={step ?? ''} data-learned-loss={report.learned.loss} data-uniform-loss={report.uniform.loss} data-uniform-check={uniformCheck ?? ''}
      data-random-draws={report.random.draws} data-muted={report.muted.length}>
      <div className="card-head exp-subhead">
        <span className="hint">{label}{step !== null ? `, step ${step}` : ''}</span>
        <label className="inline">
          <select data-testid="ablation-metric" value={metric} onChange={(e) => setMetric(e.target.value as 'bleu' | 'loss')}>
            <option value="bleu" disabled={report.learned.bleu === null}>dev BLEU</option>
            <option value="loss">dev loss</option>
          </select>
        </label>
        <PngButton target={ref} fileName="table3.png" title={`Table 3 at test time: ${bleu ? 'dev BLEU' : 'dev loss'} (${label})`} />
      </div>
      <div ref={ref}>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 12 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="setting" tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} width={52} domain={bleu ? [0, 'auto'] : ['auto', 'auto']} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(bleu ? 1 : 4) : String(v))} />
            <Legend verticalAlign="top" height={24} />
            <Bar className="ablation-ours" name={`this run (${bleu ? 'dev BLEU' : 'dev loss'})`} dataKey="ours" fill={runColor(0)} isAnimationActive={false}>
              <ErrorBar dataKey="err" width={6} stroke="#111827" />
            </Bar>
            {bleu && <Bar className="ablation-paper" name="the paper's (config C, WMT En→De, at its scale)" dataKey="paper" fill="#d1d5db" isAnimationActive={false} />}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <p className="hint">
        Grey bars: Table 3 of the paper (dev BLEU of its config C on WMT En→De, a much larger model and corpus) — compare the order of the settings, not the values.
        {!bleu && ' The paper gives no dev losses.'}
      </p>
      <table className="exp-table" data-testid="ablation-table">
        <thead><tr><th>setting</th><th>dev loss</th><th>dev BLEU</th></tr></thead>
        <tbody>
          <tr><td>learned κ/α</td><td>{num(report.learned.loss, 4)}</td><td>{num(report.learned.bleu, 1)}</td></tr>
          <tr>
            <td>uniform 1/M{uniformCheck !== null && <span className="hint" data-testid="uniform-check"> (the uniform weighting's own forward: {num(uniformCheck, 4)})</span>}</td>
            <td>{num(report.uniform.loss, 4)}</td><td>{num(report.uniform.bleu, 1)}</td>
          </tr>
          <tr>
            <td>random points of the simplex ({report.random.draws})</td>
            <td>{num(report.random.loss_mean, 4)} ± {num(report.random.loss_sd, 4)}</td>
            <td>{report.random.bleu_mean === null ? '–' : `${num(report.random.bleu_mean, 1)} ± ${num(report.random.bleu_sd, 1)}`}</td>
          </tr>
          {worstMuted.map((m) => (
            <tr key={`${m.layer}/${m.which}/${m.branch}`} className="exp-muted-row">
              <td>{layerName(m.layer)}: {m.which === 'kappa' ? 'κ' : 'α'} branch {m.branch + 1} muted</td>
              <td>{num(m.loss, 4)}</td><td>{num(m.bleu, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Branches muted one at a time (muteBranch, e.g. from a click on the branch diagram). */
function MuteResults() {
  const mutes = usePlayground((s) => s.experiments.mutes);
  const list = Object.values(mutes);
  if (list.length === 0) return null;
  return (
    <ul className="exp-mutes" data-testid="mute-results">
      {list.map((m) => (
        <li key={`${m.runId}/${m.layer}/${m.which}/${m.branch}`} data-run={m.runId} data-layer={m.layer} data-which={m.which} data-branch={m.branch} data-pending={m.pending}
          data-loss={m.result?.muted.loss ?? ''} data-learned-loss={m.result?.learned.loss ?? ''}>
          {layerName(m.layer)}: {m.which === 'kappa' ? 'κ' : 'α'} branch {m.branch + 1} muted —{' '}
          {m.pending ? 'measuring…' : m.error ? `failed: ${m.error}` : m.result
            ? `dev loss ${num(m.result.muted.loss, 4)} (learned ${num(m.result.learned.loss, 4)}), BLEU ${num(m.result.muted.bleu, 1)} (learned ${num(m.result.learned.bleu, 1)}) at step ${m.step}; weights restored`
            : ''}
        </li>
      ))}
    </ul>
  );
}
