// The JSON reports of `cli experiment` and `cli ablate`, typed, so the page can open a report written by a
// long Node run and show it like its own runs. Non-finite numbers are written as the strings "NaN",
// "Infinity", "-Infinity" (JSON has no such numbers; `null` would hide them) and read back as numbers.
import type { ModelConfig } from '../model/config.ts';
import type { TrainerOptions } from '../train/trainer.ts';
import type { AblationReport } from './ablation.ts';
import type { DataRecord } from './dataset.ts';
import type { ExperimentSummary, RunResult } from './seeds.ts';
import type { SweepParam, SweepPoint } from './sweep.ts';

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
 * again). Throws an Error naming what is wrong. The shape beyond kind and version is trusted.
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
  return raw as ReportFile;
}
