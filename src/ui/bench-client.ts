// The page's side of the bench worker protocol: starts a fresh worker per run, turns its messages into an
// immutable state snapshot that React reads with useSyncExternalStore, and ends the worker when the run
// ends (the worker owns the GPU device and TF.js; terminating it frees both).
import type { BenchReport, BenchStart, BenchWorkerMessage, SideBySideMatmulRow, SideBySideTrainRow, TfjsInfo } from '../bench/protocol.ts';

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
}

export const initialBenchState: BenchState = {
  status: 'idle', adapter: null, tfjs: null, log: [], matmul: [], train: [], report: null, error: null, startedAt: null, endedAt: null,
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
    this.set({ ...initialBenchState, status: 'starting', startedAt, log: [stamped(startedAt, `Starting: ${describe(options)}`)] });
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
        return this.set({ ...s, matmul: [...s.matmul, m.row] });
      case 'train-row':
        return this.set({ ...s, train: [...s.train, m.row] });
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
