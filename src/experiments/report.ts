// The JSON reports of `cli experiment` and `cli ablate`, typed, so the page can open a report written by a
// long Node run and show it like its own runs. Non-finite numbers are written as the strings "NaN",
// "Infinity", "-Infinity" (JSON has no such numbers; `null` would hide them) and read back as numbers.
import type { ModelConfig } from '../model/config.ts';
import type { TrainerOptions } from '../train/trainer.ts';
import type { AblationReport } from './ablation.ts';
import type { DataRecord } from './dataset.ts';
import type { ExperimentSummary, RunResult } from './seeds.ts';
import { SWEEP_PARAMS, type SweepParam, type SweepPoint } from './sweep.ts';

export const REPORT_VERSION = 1;

export interface ExperimentReportFile {
  kind: 'experiment';
  version: number;
  /** False while the experiment is still running (the file is rewritten after every finished run). */
  complete: boolean;
  adapter: string;
  seconds: number;
  data: DataRecord & { description: string };
  seeds: number[];
  train: Omit<TrainerOptions, 'seed'>;
  evalEvery: number;
  targetLoss: number | null;
  bleuSentences: number;
  batchTokens: number;
  dataSeed: number;
  vocab: number;
  /** What the weighted model was compared with (absent for a sweep). */
  compare?: string;
  /** A sweep: the setting, and the final dev loss/BLEU against its values (runs in the same order). */
  sweep?: { param: SweepParam; points: SweepPoint[] };
  runs: RunResult[];
  summary: ExperimentSummary;
}

export interface AblationReportFile extends AblationReport {
  kind: 'ablation';
  version: number;
  checkpoint: string;
  step: number;
  config: ModelConfig;
  adapter: string;
  /** Sentence pairs measured (the loss), and where they came from. */
  pairs: number;
  /** Of those, the first ones translated for BLEU (absent in older reports: all of them). */
  bleuPairs?: number;
  data: string;
  seed: number;
}

export type ReportFile = ExperimentReportFile | AblationReportFile;

/** A report as JSON text, non-finite numbers as strings. */
export function encodeReport(report: ReportFile): string {
  return JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1) + '\n';
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/**
 * Parse a report file (its kind and version checked; "NaN"/"Infinity"/"-Infinity" strings become numbers
 * again) and check every field the page reads (checkReportShape). Throws an Error naming what is wrong
 * and where ("report.json: runs[1].seeds[0].evals[2].loss is not a number").
 */
export function decodeReport(text: string, where = 'report'): ReportFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v));
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const r = raw as { kind?: unknown; version?: unknown } | null;
  if (typeof r !== 'object' || r === null || (r.kind !== 'experiment' && r.kind !== 'ablation')) {
    throw new Error(`${where}: not an experiment or ablation report (its "kind" is ${JSON.stringify(r?.kind)})`);
  }
  if (r.version !== REPORT_VERSION) throw new Error(`${where}: report version ${JSON.stringify(r.version)}, this build reads version ${REPORT_VERSION}`);
  checkReportShape(raw as Record<string, unknown>, where);
  return raw as ReportFile;
}

// A hand-edited or truncated report must be refused with its path, not crash the page that draws it.
type Check = (v: unknown, path: string) => void;
const describeValue = (v: unknown): string => (v === undefined ? 'missing' : `${JSON.stringify(v)?.slice(0, 40) ?? String(v)}`);

/** Check the fields of a decoded report that the page and the CLI read; throws naming the first bad one. */
export function checkReportShape(report: Record<string, unknown>, where: string): void {
  const bad = (path: string, what: string, v: unknown): never => {
    throw new Error(`${where}: ${path} ${what} (it is ${describeValue(v)})`);
  };
  const num: Check = (v, path) => void (typeof v !== 'number' && bad(path, 'is not a number', v));
  const int: Check = (v, path) => void ((typeof v !== 'number' || !Number.isInteger(v) || v < 0) && bad(path, 'is not a whole number >= 0', v));
  const text: Check = (v, path) => void (typeof v !== 'string' && bad(path, 'is not text', v));
  const numOrNull: Check = (v, path) => void (v !== null && num(v, path));
  const record = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(path, 'is not an object', v);
  const list = (v: unknown, path: string, each?: Check): unknown[] => {
    if (!Array.isArray(v)) return bad(path, 'is not a list', v);
    if (each) v.forEach((x, i) => each(x, `${path}[${i}]`));
    return v;
  };
  const fields = (checks: Record<string, Check>): Check => (v, path) => {
    const o = record(v, path);
    for (const [key, check] of Object.entries(checks)) check(o[key], `${path}.${key}`);
  };
  const measurement = fields({ loss: num, bleu: numOrNull });
  text(report.adapter, 'adapter');
  if (report.kind === 'ablation') {
    fields({ checkpoint: text, step: int, pairs: int, data: text })(report, 'report');
    measurement(report.learned, 'learned');
    measurement(report.uniform, 'uniform');
    fields({ loss_mean: num, loss_sd: num, bleu_mean: numOrNull, bleu_sd: numOrNull, draws: int })(report.random, 'random');
    list(report.muted, 'muted', fields({ layer: text, branch: int, loss: num, bleu: numOrNull, which: (v, path) => void (v !== 'kappa' && v !== 'alpha' && bad(path, 'is not "kappa" or "alpha"', v)) }));
    list(report.weights, 'weights', fields({ layer: text, kappa: (v, path) => void list(v, path, num), alpha: (v, path) => void list(v, path, num) }));
    return;
  }
  if (typeof report.complete !== 'boolean') bad('complete', 'is not true or false', report.complete);
  list(report.seeds, 'seeds', int);
  fields({ steps: int })(report.train, 'train');
  fields({ description: text })(report.data, 'data');
  numOrNull(report.targetLoss, 'targetLoss');
  const point = fields({ step: int, tokens: int, loss: num });
  const numbers: Check = (v, path) => void list(v, path, num);
  const seedRun = fields({
    seed: int,
    curve: (v, path) => void list(v, path, point),
    evals: (v, path) => void list(v, path, fields({ step: int, tokens: int, loss: num, bleu: numOrNull })),
    target: (v, path) => void (v !== null && fields({ step: int, tokens: int })(v, path)),
    entropy: fields({ layers: (v, path) => void list(v, path, text), steps: (v, path) => void list(v, path, int), kappa: (v, path) => void list(v, path, numbers), alpha: (v, path) => void list(v, path, numbers) }),
    events: (v, path) => void list(v, path, fields({ text, layer: text, branch: int, from: int, until: (u, p) => void (u !== null && int(u, p)) })),
    stopped: (v, path) => void (v !== null && text(v, path)),
  });
  list(report.runs, 'runs', fields({ label: text, config: record, seeds: (v, path) => void list(v, path, seedRun) }));
  if (report.sweep !== undefined) {
    const sweep = record(report.sweep, 'sweep');
    if (!(SWEEP_PARAMS as readonly unknown[]).includes(sweep.param)) bad('sweep.param', `is not one of ${SWEEP_PARAMS.join(', ')}`, sweep.param);
    list(sweep.points, 'sweep.points', fields({ label: text, value: (v, path) => void (typeof v !== 'number' && typeof v !== 'string' && bad(path, 'is not a number or a weighting', v)) }));
  }
}
