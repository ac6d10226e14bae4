// The page's side of the bench worker protocol: starts a fresh worker per run, turns its messages into an
// immutable state snapshot that React reads with useSyncExternalStore, and ends the worker when the run
// ends (the worker owns the GPU device and TF.js; terminating it frees both).
import type { BenchReport, BenchStart, BenchWorkerMessage, SideBySideMatmulRow, SideBySideTrainRow, TfjsInfo } from '../bench/protocol.ts';
import { sideBySideMatmulCases, trainPresets } from '../bench/cases.ts';
import { benchEta } from './eta.ts';

export type BenchStatus = 'idle' | 'starting' | 'running' | 'done' | 'failed' | 'stopped';

export interface BenchState {
  status: BenchStatus;
  adapter: string | null;
  tfjs: TfjsInfo | null;
  log: string[];
  matmul: SideBySideMatmulRow[];
  train: SideBySideTrainRow[];
  report: BenchReport | null;
  error: string | null;
  /** performance.now() at start and at the end of the run (null while it runs). */
  startedAt: number | null;
  endedAt: number | null;
  /** What the run will do (matmul rows, then training presets of 2 rows each), for its progress and ETA. */
  plan: { matmul: number; presets: number } | null;
  /** performance.now() when the last matmul row and the last training row arrived. */
  lastMatmulAt: number | null;
  lastTrainAt: number | null;
}

export const initialBenchState: BenchState = {
  status: 'idle', adapter: null, tfjs: null, log: [], matmul: [], train: [], report: null, error: null, startedAt: null, endedAt: null,
  plan: null, lastMatmulAt: null, lastTrainAt: null,
};

export class BenchClient {
  private state: BenchState = initialBenchState;
  private readonly listeners = new Set<() => void>();
  private worker: Worker | null = null;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): BenchState => this.state;

  get running(): boolean {
    return this.state.status === 'starting' || this.state.status === 'running';
  }

  /** Start a run in a new worker (ending any run in progress). */
  run(options: BenchStart): void {
    this.endWorker();
    const startedAt = performance.now();
    const plan = { matmul: sideBySideMatmulCases(options.size).length, presets: trainPresets(options.size, options.presets).length };
    this.set({ ...initialBenchState, status: 'starting', startedAt, plan, log: [stamped(startedAt, `Starting: ${describe(options)}`)] });
    const worker = new Worker(new URL('../bench/worker.ts', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event: MessageEvent<BenchWorkerMessage>) => this.receive(event.data));
    worker.addEventListener('error', (event) => this.fail(`The bench worker failed: ${event.message || 'it could not be loaded'}`));
    worker.postMessage({ type: 'start', options });
    this.worker = worker;
  }

  /** Stop the run in progress (its rows so far stay). */
  stop(): void {
    if (!this.running) return;
    this.endWorker();
    this.set({ ...this.state, status: 'stopped', endedAt: performance.now(), log: [...this.state.log, 'Stopped.'] });
  }

  /** End the worker (the view unmounts). */
  dispose(): void {
    this.endWorker();
  }

  private receive(m: BenchWorkerMessage): void {
    const s = this.state;
    switch (m.type) {
      case 'ready':
        return this.set({ ...s, status: 'running', adapter: m.adapter, tfjs: m.tfjs });
      case 'log':
        return this.set({ ...s, log: [...s.log, stamped(s.startedAt, m.line)] });
      case 'matmul-row':
        return this.set({ ...s, matmul: [...s.matmul, m.row], lastMatmulAt: performance.now() });
      case 'train-row':
        return this.set({ ...s, train: [...s.train, m.row], lastTrainAt: performance.now() });
      case 'report':
        this.endWorker();
        return this.set({ ...s, status: 'done', report: m.report, matmul: m.report.matmul, train: m.report.train, endedAt: performance.now() });
      case 'error':
        return this.fail(m.message);
    }
  }

  private fail(message: string): void {
    this.endWorker();
    this.set({ ...this.state, status: 'failed', error: message, endedAt: performance.now() });
  }

  private endWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private set(next: BenchState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

function describe(o: BenchStart): string {
  return o.size === 'tiny' ? 'tiny (one matmul, micro model)' : `${o.size}, presets ${o.presets.join(', ')}`;
}

/** A log line with the seconds since the start of the run in front. */
function stamped(startedAt: number | null, line: string): string {
  const now = performance.now();
  return `${((now - (startedAt ?? now)) / 1000).toFixed(1).padStart(6)} s  ${line}`;
}

/** The run's progress (0..1) and seconds left now (null: not measurable yet), from its state. */
export function benchProgress(s: BenchState, now: number): { fraction: number; secondsLeft: number | null } | null {
  if (!s.plan || s.startedAt === null) return null;
  const presetsDone = Math.floor(s.train.length / 2);
  const matmulEnd = s.lastMatmulAt ?? s.startedAt;
  const lastUnitAt = Math.max(matmulEnd, s.lastTrainAt ?? 0);
  const eta = benchEta({
    matmulTotal: s.plan.matmul, matmulDone: s.matmul.length, presetsTotal: s.plan.presets, presetsDone,
    matmulSeconds: (matmulEnd - s.startedAt) / 1000, elapsed: (lastUnitAt - s.startedAt) / 1000,
  });
  // The estimate is from the last finished row: what has run since then is already spent.
  return { fraction: eta.fraction, secondsLeft: eta.seconds === null ? null : Math.max(0, eta.seconds - (now - lastUnitAt) / 1000) };
}
