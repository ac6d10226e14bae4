// The Bench view: our engine side by side with TensorFlow.js's WebGPU backend on the user's own GPU (the
// same bench as `npm run bench`, in a worker: src/bench/worker.ts). Options, a Run button, a live log,
// the matmul and training tables as rows arrive, and the report as JSON. Loaded lazily (React.lazy), so
// neither this nor TF.js is in the playground's first load.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { BenchSize, BenchStart, SideBySideMatmulRow, SideBySideTrainRow } from '../bench/protocol.ts';
import { BenchClient, benchProgress, type BenchState } from './bench-client.ts';
import { formatDuration } from './eta.ts';
import { download } from './export.ts';

const SIZES: { value: BenchSize; label: string; hint: string }[] = [
  { value: 'quick', label: 'Quick', hint: 'square 256–512 and the tiny model’s shapes' },
  { value: 'full', label: 'Full', hint: 'squares up to 1024 and both models’ shapes' },
  { value: 'tiny', label: 'Tiny', hint: 'one 128³ matmul and a micro model: a smoke test' },
];
const PRESETS = ['tiny', 'small'] as const;

/** `?view=bench`: the panel under a small header with a way back to the playground. */
export default function BenchPage() {
  const back = new URL(location.href);
  back.searchParams.delete('view');
  return (
    <div className="app">
      <header className="header">
        <div>
          <h1>Bench: this engine vs TensorFlow.js</h1>
          <p className="subtitle">
            <a href={back.pathname + back.search + back.hash}>← Back to the playground</a>
          </p>
        </div>
      </header>
      <main className="bench-page">
        <BenchPanel />
      </main>
    </div>
  );
}

/** The bench itself; owns its client (and so at most one worker) while mounted. */
export function BenchPanel() {
  const [client] = useState(() => new BenchClient());
  useEffect(() => () => client.dispose(), [client]);
  const state = useSyncExternalStore(client.subscribe, client.getSnapshot);
  const running = state.status === 'starting' || state.status === 'running';
  return (
    <section className="card bench" data-testid="bench" data-status={state.status}>
      <div className="card-head">
        <h2>Bench: our kernels and training step vs TensorFlow.js (WebGPU)</h2>
        <BenchStatusBadge state={state} />
      </div>
      <p className="hint">
        Both engines run in one worker on the same GPU device, on the same operands and from the same weights; every
        comparison is first checked for equal results. Pause any training run for fair numbers. Ratio above 1: ours faster.
      </p>
      <BenchOptions running={running} onRun={(o) => client.run(o)} onStop={() => client.stop()} />
      {running && <BenchProgressBar state={state} />}
      {state.error && <p className="error-text" role="alert" data-testid="bench-error">{state.error}</p>}
      <BenchLog lines={state.log} />
      <MatmulTable rows={state.matmul} />
      <TrainTable rows={state.train} />
      {state.report && (
        <div className="bench-actions">
          <button type="button" data-testid="bench-download" onClick={() => download(`bench-${stamp()}.json`, `${JSON.stringify(state.report, null, 2)}\n`, 'application/json')}>
            Download JSON
          </button>
        </div>
      )}
    </section>
  );
}

function BenchOptions({ running, onRun, onStop }: { running: boolean; onRun: (o: BenchStart) => void; onStop: () => void }) {
  const [size, setSize] = useState<BenchSize>('quick');
  const [presets, setPresets] = useState<string[]>(['tiny']);
  const toggle = (p: string) => setPresets((xs) => (xs.includes(p) ? xs.filter((x) => x !== p) : PRESETS.filter((y) => y === p || xs.includes(y))));
  const ready = size === 'tiny' || presets.length > 0;
  return (
    <div className="bench-options">
      <fieldset disabled={running}>
        <legend>Size</legend>
        {SIZES.map((s) => (
          <label key={s.value} title={s.hint}>
            <input type="radio" name="bench-size" value={s.value} checked={size === s.value} onChange={() => setSize(s.value)} data-testid={`bench-size-${s.value}`} />
            {s.label}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={running || size === 'tiny'}>
        <legend>Training presets</legend>
        {PRESETS.map((p) => (
          <label key={p}>
            <input type="checkbox" checked={presets.includes(p)} onChange={() => toggle(p)} data-testid={`bench-preset-${p}`} />
            {p}
          </label>
        ))}
      </fieldset>
      <div className="buttons">
        <button type="button" className="primary" disabled={running || !ready} onClick={() => onRun({ size, presets })} data-testid="bench-run">
          Run
        </button>
        {running && (
          <button type="button" onClick={onStop} data-testid="bench-stop">
            Stop
          </button>
        )}
      </div>
    </div>
  );
}

function BenchStatusBadge({ state }: { state: BenchState }) {
  const seconds = state.startedAt === null || state.endedAt === null ? 0 : (state.endedAt - state.startedAt) / 1000;
  const text: Record<BenchState['status'], string> = {
    idle: 'Not run yet',
    starting: 'Starting the worker and TF.js…',
    running: `Running on ${state.adapter ?? 'the GPU'}…`,
    done: `Done in ${seconds.toFixed(0)} s on ${state.adapter}`,
    failed: 'Failed',
    stopped: 'Stopped',
  };
  const tone = state.status === 'done' ? ' badge-ok' : state.status === 'failed' ? ' badge-bad' : '';
  return <span className={`badge${tone}`} data-testid="bench-status">{text[state.status]}</span>;
}

function BenchLog({ lines }: { lines: string[] }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines]);
  if (lines.length === 0) return null;
  return (
    <pre className="bench-log" ref={ref} data-testid="bench-log">
      {lines.join('\n')}
    </pre>
  );
}

const fmt = (x: number | null, digits = 3) => (x === null ? '–' : Number(x.toPrecision(digits)).toLocaleString('en-US'));
const ratioText = (r: number | null) => (r === null ? '–' : `${r.toFixed(2)}×`);

function MatmulTable({ rows }: { rows: SideBySideMatmulRow[] }) {
  if (rows.length === 0) return null;
  return (
    <table className="bench-table" data-testid="bench-matmul">
      <caption>Matmul (GFLOP/s)</caption>
      <thead>
        <tr><th>Case</th><th>Shape</th><th className="num">Ours GFLOP/s</th><th className="num">TF.js GFLOP/s</th><th className="num">Ratio</th><th>Equal</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name} data-testid="bench-matmul-row" data-ours={r.ours_gflops} data-tfjs={r.tfjs_gflops} data-ratio={r.ratio}>
            <td>{r.name}</td>
            <td className="bench-shape">{r.shape}</td>
            <td className="num">{fmt(r.ours_gflops)}</td>
            <td className="num">{fmt(r.tfjs_gflops)}</td>
            <td className={`num ${r.ratio >= 1 ? 'bench-win' : 'bench-loss'}`}>{ratioText(r.ratio)}</td>
            <td>{r.equal ? 'yes' : `no (${r.max_abs_diff})`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TrainTable({ rows }: { rows: SideBySideTrainRow[] }) {
  if (rows.length === 0) return null;
  return (
    <table className="bench-table" data-testid="bench-train">
      <caption>Training step (target tokens/s)</caption>
      <thead>
        <tr>
          <th>Preset</th><th>Variant</th><th>Batch</th><th className="num">Ours tok/s</th><th className="num">TF.js tok/s</th><th className="num">Ratio</th>
          <th className="num" title="Everything before the first step: buffers, shader modules, pipelines, bind groups (TF.js: variables and tensors; it builds its programs inside its first step)">Compile ms ours / TF.js</th>
          <th className="num" title="The first training step alone, awaited with its loss read back">First step ms ours / TF.js</th>
          <th>Loss check</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.preset}/${r.variant}`} data-testid="bench-train-row" data-variant={r.variant} data-ours={r.ours_tokens_per_s} data-tfjs={r.tfjs_tokens_per_s ?? ''} data-ratio={r.ratio ?? ''}
            data-compile-ms={r.ours_compile_ms} data-first-step-ms={r.ours_first_step_ms}>
            <td>{r.preset}</td>
            <td>{r.variant}</td>
            <td className="bench-shape">{r.batch}</td>
            <td className="num">{fmt(r.ours_tokens_per_s, 4)}</td>
            <td className="num">{fmt(r.tfjs_tokens_per_s, 4)}</td>
            <td className={`num ${r.ratio === null ? '' : r.ratio >= 1 ? 'bench-win' : 'bench-loss'}`}>
              {r.ratio === null ? `${r.relative_to_our_baseline.toFixed(2)}× our baseline` : ratioText(r.ratio)}
            </td>
            <td className="num" title={startupTitle(r)}>{msPair(r.ours_compile_ms, r.tfjs_compile_ms)}</td>
            <td className="num">{msPair(r.ours_first_step_ms, r.tfjs_first_step_ms)}</td>
            <td>{r.loss_check ? (r.loss_check.equal ? 'equal' : `differs (${r.loss_check.max_rel_diff})`) : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "1234 / 567" (ms, whole), "–" for a missing side. */
const msPair = (ours: number, tfjs: number | null) => `${Math.round(ours)} / ${tfjs === null ? '–' : Math.round(tfjs)}`;

/** Our compile time's parts (trainer.startup), for the cell's tooltip. */
function startupTitle(r: SideBySideTrainRow): string {
  const s = r.ours_startup;
  return `constructor ${Math.round(s.construct_ms)} ms, ${s.modules} shader modules ${Math.round(s.shaders_ms)} ms, ` +
    `${s.pipelines} pipelines ${Math.round(s.pipelines_ms)} ms, buffers and bind groups ${Math.round(s.buffers_ms)} ms`;
}

/** 2025-01-31T12-00-00, for file names. */
const stamp = () => new Date().toISOString().slice(0, 19).replace(/:/g, '-');

/** Rows done of the run's plan, with the time left once each kind of remaining work has been measured. */
function BenchProgressBar({ state }: { state: BenchState }) {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const p = benchProgress(state, now);
  if (!p) return null;
  const plan = state.plan!;
  const left = p.secondsLeft === null ? (state.matmul.length < plan.matmul ? 'time left: measuring the first rows' : 'time left: known after the first training preset') : `about ${formatDuration(p.secondsLeft)} left`;
  return (
    <p className="run-eta" data-testid="bench-progress" data-fraction={p.fraction.toFixed(3)}>
      <progress max={1} value={p.fraction} aria-label="Bench progress" />{' '}
      matmul rows {state.matmul.length}/{plan.matmul}, training presets {Math.floor(state.train.length / 2)}/{plan.presets} · <span data-testid="bench-eta">{left}</span>
    </p>
  );
}
