// The typed message protocol between the page and the bench worker. Only plain data crosses it: the
// worker owns the GPU device and TF.js, the page never sees a GPU object. Type-only: nothing here runs.
import type { BenchReport, BenchSize, SideBySideMatmulRow, SideBySideTrainRow, TfjsInfo } from './report.ts';

export type { BenchReport, BenchSize, SideBySideMatmulRow, SideBySideTrainRow, TfjsInfo };

/** What the user chose: how much to run and which model presets to train. */
export interface BenchStart {
  size: BenchSize;
  presets: string[];
}

/** Page → worker: one run per worker (the page starts a fresh worker for each run). */
export type BenchPageMessage = { type: 'start'; options: BenchStart };

/** Worker → page. */
export type BenchWorkerMessage =
  | { type: 'ready'; adapter: string; tfjs: TfjsInfo }
  | { type: 'log'; line: string }
  | { type: 'matmul-row'; row: SideBySideMatmulRow }
  | { type: 'train-row'; row: SideBySideTrainRow }
  | { type: 'report'; report: BenchReport }
  | { type: 'error'; message: string };

/** Presets the page offers (the training rows); the worker accepts only these. */
export const BENCH_PRESETS = ['tiny', 'small'] as const;
