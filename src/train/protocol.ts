// The typed message protocol between the page and the training worker. Only plain data crosses it:
// the worker owns the GPU device, the page never sees a GPU object. Type-only imports: nothing here runs.
import type { ModelConfig } from '../model/config.ts';
import type { DataSource } from './data.ts';
import type { StepMetrics, TrainerOptions } from './trainer.ts';

export type { StepMetrics, TrainerOptions, DataSource, ModelConfig };

/** Everything a run needs; the worker prepares the data, then fixes `model.vocab` to the learned one. */
export interface RunSpec {
  model: ModelConfig;
  train: TrainerOptions;
  data: {
    source: DataSource;
    /** Requested vocabulary size (BPE may learn fewer on a small corpus). */
    vocab: number;
    batchTokens: number;
    /** Pairs in the dev split. */
    devPairs: number;
  };
  /** Dev loss and BLEU every this many steps (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Dev sentences translated (greedy) for BLEU at each evaluation. */
  bleuSentences: number;
}

export type RunStatus =
  | 'idle' // no run (before the first start, after reset)
  | 'preparing' // tokenizer, batches, model init
  | 'running'
  | 'paused'
  | 'done' // reached the configured steps
  | 'stopped'; // NaN/Inf gradient, device lost or an error: see the error message

/** What the worker learned while preparing a run. */
export interface RunInfo {
  description: string;
  /** The model actually trained (vocab = the tokenizer's). */
  config: ModelConfig;
  parameters: number;
  trainPairs: number;
  devPairs: number;
  /** Branched layers ("enc.0", ..., "dec.0", ...); empty for the baseline. */
  layers: string[];
}

export interface DevResult {
  step: number;
  loss: number;
  /** Corpus BLEU (0..100) of greedy translations of the first `sentences` dev pairs. */
  bleu: number;
  sentences: number;
  /** A few of those translations. */
  samples: { src: string; hyp: string; ref: string }[];
}

/** Worker → page. */
export type WorkerMessage =
  | { type: 'ready'; adapter: string; features: string[] }
  | { type: 'gpu-unavailable'; message: string }
  | { type: 'status'; status: RunStatus; step: number }
  | { type: 'run-info'; info: RunInfo }
  /** Metrics of consecutive steps (kappa/alpha as effective weights), with running totals. */
  | { type: 'metrics'; items: StepMetrics[]; tokensSeen: number; stepsPerSec: number; tokensPerSec: number }
  /** A dev evaluation began (busy: true) or ended; training waits meanwhile. */
  | { type: 'evaluating'; step: number; busy: boolean }
  | { type: 'dev'; result: DevResult }
  | { type: 'translation'; id: number; output: string; ms: number }
  | { type: 'translation-failed'; id: number; message: string }
  /** The run's checkpoint (safetensors with config, Adam moments, tokenizer and run settings). */
  | { type: 'checkpoint'; bytes: Uint8Array; step: number; variant: string }
  /** A run stopped (NaN/Inf gradient, error) or the device reported a fault. */
  | { type: 'error'; message: string };

/** Page → worker. */
export type PageMessage =
  | { type: 'hello' }
  /** Prepare and start a run (paused: prepare only, then wait for resume or step). */
  | { type: 'start'; spec: RunSpec; paused: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  /** One step, when paused. */
  | { type: 'step' }
  /** Stop and free the run. */
  | { type: 'reset' }
  | { type: 'set-lr-scale'; value: number }
  | { type: 'translate'; id: number; text: string; beam: number }
  /** Send back the current checkpoint (waits for the steps in flight). */
  | { type: 'save' };
