// The page's side of issue 12's experiments: the Table 3 ablation and single muted branches of a run (the
// worker's 'ablate' command, numbers back into the store's experiments slice), starting a sweep (one run
// per value × seeds, through the training client), opening a report or metrics file, and the seeds
// default on a software GPU. The training client owns one of these and hands it the worker's answers.
import type { PageMessage, RunSpec, WorkerMessage, BranchRef } from '../../train/protocol.ts';
import { decodeReport } from '../../experiments/report.ts';
import { parseMetricsJsonl } from '../../experiments/metrics-jsonl.ts';
import { parseSweep, sweepRuns, type Sweep } from '../../experiments/sweep.ts';
import { checkConfigForDevice } from '../../model/limits.ts';
import { validate, DEFAULT_SEEDS } from '../schema.ts';
import type { PlaygroundState, PlaygroundStore } from '../store.ts';
import { muteKey, type ExperimentsSlice, type OpenedFile } from './slice.ts';
import { expandSeeds, isSoftwareAdapter } from './seed-runs.ts';

/** Random points of the simplex of the page's Table 3 (the CLI's default). */
export const RANDOM_DRAWS = 5;

export function patchExperiments(store: PlaygroundStore, patch: Partial<ExperimentsSlice>): void {
  store.setState((s) => ({ experiments: { ...s.experiments, ...patch } }));
}

type ExperimentMessage = Extract<WorkerMessage, { type: 'ablation' | 'ablation-progress' | 'ablation-failed' }>;

export interface AblateOptions {
  randomDraws?: number;
  seed?: number;
  bleu?: boolean;
  uniformCheck?: boolean;
}

export class ExperimentClient {
  private nextId = 0;

  constructor(
    private readonly store: PlaygroundStore,
    private readonly send: (m: PageMessage) => void,
    /** Start these runs as a new session (the training client's startRuns). */
    private readonly startRuns: (specs: RunSpec[], options: { liveLrScale: boolean }) => void,
  ) {
    store.subscribe((s, prev) => {
      if (s.run.gpu !== prev.run.gpu && s.run.gpu.state === 'ready') this.adapterReady(s.run.gpu.adapter);
      if (s.run.deviceLost && !prev.run.deviceLost) this.abandonPending(s.run.error ?? 'the GPU device was lost');
    });
  }

  /** The paper's Table 3 for a weighted run, measured between its steps (the learned κ/α restored after). */
  ablate(runId: number, options: AblateOptions = {}): void {
    const view = this.store.getState().run.runs.find((r) => r.id === runId);
    const id = ++this.nextId;
    const { randomDraws = RANDOM_DRAWS, seed = 1, bleu = true, uniformCheck = true } = options;
    patchExperiments(this.store, { ablation: { id, runId, label: view?.label ?? `run ${runId}`, pending: true, progress: null, step: null, report: null, uniformCheck: null, error: null } });
    this.send({ type: 'ablate', id, runId, only: null, randomDraws, seed, bleu, uniformCheck });
  }

  /**
   * Toggle one muted branch of a run: the first call measures the run's dev loss and BLEU with κ_i or α_i
   * of `layer` set to 0 (the rest renormalized) beside the learned ones, the weights restored afterwards
   * (ExperimentsSlice.mutes[muteKey(runId, ref)]); the next call for the same branch clears the result.
   */
  muteBranch(runId: number, layer: string, branch: number, which: 'kappa' | 'alpha'): void {
    const ref: BranchRef = { layer, branch, which };
    const key = muteKey(runId, ref);
    const mutes = { ...this.store.getState().experiments.mutes };
    if (mutes[key] && !mutes[key].pending) {
      delete mutes[key];
      return patchExperiments(this.store, { mutes });
    }
    if (mutes[key]?.pending) return;
    const id = ++this.nextId;
    mutes[key] = { ...ref, id, runId, pending: true, step: null, result: null, error: null };
    patchExperiments(this.store, { mutes });
    this.send({ type: 'ablate', id, runId, only: ref, randomDraws: 0, seed: 1, bleu: true, uniformCheck: false });
  }

  receive(m: ExperimentMessage): void {
    const { ablation, mutes } = this.store.getState().experiments;
    if (ablation && ablation.id === m.id) {
      if (m.type === 'ablation-progress') return patchExperiments(this.store, { ablation: { ...ablation, progress: { text: m.text, done: m.done, total: m.total } } });
      if (m.type === 'ablation-failed') return patchExperiments(this.store, { ablation: { ...ablation, pending: false, progress: null, error: m.message } });
      return patchExperiments(this.store, { ablation: { ...ablation, pending: false, progress: null, step: m.step, report: m.report, uniformCheck: m.uniformCheck } });
    }
    const key = Object.keys(mutes).find((k) => mutes[k].id === m.id);
    if (key === undefined || m.type === 'ablation-progress') return;
    const mute = m.type === 'ablation' ? { ...mutes[key], pending: false, step: m.step, result: m.mute } : { ...mutes[key], pending: false, error: m.message };
    patchExperiments(this.store, { mutes: { ...mutes, [key]: mute } });
  }

  /** No answer will come for the measurements in progress (the device is gone): say so instead of waiting. */
  private abandonPending(why: string): void {
    const { ablation, mutes } = this.store.getState().experiments;
    const failed = <T extends { pending: boolean; error: string | null }>(x: T): T => (x.pending ? { ...x, pending: false, error: why } : x);
    patchExperiments(this.store, {
      ablation: ablation && failed(ablation),
      mutes: Object.fromEntries(Object.entries(mutes).map(([k, m]) => [k, failed(m)])),
    });
  }

  /** A new session's runs replace the old ones: their ablation numbers no longer belong to any run. */
  sessionBegun(): void {
    patchExperiments(this.store, { ablation: null, mutes: {} });
  }

  /** A comparison (not a sweep) is being started. */
  comparisonStarting(): void {
    patchExperiments(this.store, { sweep: null });
  }

  /**
   * Start a sweep of `param` over `valuesText` ("10,40,100"): one weighted run per value, each repeated
   * over the form's seeds, on the form's data and settings. Returns the problems (nothing is started then).
   */
  startSweep(param: string, valuesText: string): string[] {
    let sweep: Sweep;
    try {
      sweep = parseSweep(`${param}=${valuesText}`);
    } catch (err) {
      return [(err as Error).message.replace(/--sweep /g, 'Sweep ')];
    }
    const built = sweepSpecProblems(this.store.getState(), sweep);
    if (Array.isArray(built)) return built;
    patchExperiments(this.store, { sweep });
    this.startRuns(built.specs, { liveLrScale: sweep.param !== 'lr-scale' });
    return [];
  }

  /** Open a report JSON (`cli experiment`, `cli ablate`) or a metrics JSONL (`cli train --metrics`). */
  async openFile(file: { name: string; text: () => Promise<string> }): Promise<void> {
    try {
      const text = await file.text();
      const opened: OpenedFile = isJsonl(file.name, text)
        ? { name: file.name, kind: 'metrics', metrics: parseMetricsJsonl(text, file.name) }
        : { name: file.name, kind: 'report', report: decodeReport(text, file.name) };
      patchExperiments(this.store, { opened, openError: null });
    } catch (err) {
      patchExperiments(this.store, { openError: err instanceof Error ? err.message : String(err) });
    }
  }

  closeFile(): void {
    patchExperiments(this.store, { opened: null, openError: null });
  }

  setTargetLoss(value: number | null): void {
    patchExperiments(this.store, { targetLoss: value });
  }

  /** On a software GPU the seeds default (3) becomes 1 unless the link asked for seeds. */
  private adapterReady(adapter: string): void {
    const { values } = this.store.getState().config;
    const linked = typeof location !== 'undefined' && new URLSearchParams(location.hash.replace(/^#/, '')).has('seeds');
    if (!isSoftwareAdapter(adapter) || values.seeds !== DEFAULT_SEEDS || linked) return;
    this.store.setState((s) => ({
      config: { ...s.config, values: { ...s.config.values, seeds: 1 } },
      experiments: { ...s.experiments, notice: `Repeat over N seeds is 1, not ${DEFAULT_SEEDS}: ${adapter} is a software GPU, where every extra seed of every compared run costs minutes. Raise it under Training.` },
    }));
  }
}

/** A .jsonl file, or text whose first line is a JSON object and that has several lines. */
function isJsonl(name: string, text: string): boolean {
  if (/\.jsonl$/i.test(name)) return true;
  if (/\.json$/i.test(name)) return false;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 1 && lines.every((l) => l.trim().startsWith('{') && l.trim().endsWith('}'));
}

/** The specs of a sweep from the form's values (every value × the form's seeds), or the problems. */
export function sweepSpecProblems(state: Pick<PlaygroundState, 'config' | 'run'>, sweep: Sweep): { specs: RunSpec[] } | string[] {
  const { values, imported } = state.config;
  const limits = state.run.gpu.state === 'ready' ? (state.run.gpu.limits ?? null) : null;
  const checked = validate(values, imported, limits);
  if (!checked.ok) return checked.errors;
  if (sweep.param === 'freeze-steps' && sweep.values.some((v) => (v as number) > values.steps)) return [`Sweep freeze-steps: a value exceeds Steps (${values.steps})`];
  let runs;
  try {
    runs = sweepRuns(checked.spec.model, sweep);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems = runs.flatMap((r) => checkConfigForDevice(r.config, limits, { batchTokens: values.batchTokens }).map((p) => `${r.label}: ${p.message}`));
  if (problems.length > 0) return problems;
  const specs = runs.map((r, id) => ({ ...checked.spec, id, label: r.label, model: r.config, train: { ...checked.spec.train, ...r.train } }));
  return { specs: expandSeeds(specs, values.seeds) };
}
