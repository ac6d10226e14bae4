// The typed message protocol between the page and the training worker. Only plain data crosses it:
// the worker owns the GPU device, the page never sees a GPU object. Type-only imports: nothing here runs.
// A session trains one run, or several side by side (comparison mode: the weighted model, the baseline and
// ablations on the same data and seed, interleaved step by step on the same device); every run-specific
// message carries the run's id.
import type { ModelConfig } from '../model/config.ts';
import type { DataSource } from './data.ts';
import type { StepMetrics, TrainerOptions } from './trainer.ts';
import type { ImportResult } from '../data/import.ts';
import type { DeviceLimits } from '../model/limits.ts';
import type { AblationReport, BranchRef, MuteReport } from '../experiments/ablation.ts';

export type { StepMetrics, TrainerOptions, DataSource, ModelConfig, DeviceLimits, AblationReport, BranchRef, MuteReport };

/** An imported corpus' sentence pairs. */
export type TextPairs = { src: string; tgt: string }[];

/** Everything a run needs; the worker prepares the data, then fixes `model.vocab` to the learned one. */
export interface RunSpec {
  /** Unique within a session; the page's key for the run's metrics. */
  id: number;
  /** How the run differs from the others in the session ("variant=baseline"), or the variant alone. */
  label: string;
  model: ModelConfig;
  train: TrainerOptions;
  data: {
    source: DataSource;
    /** Requested vocabulary size (BPE may learn fewer on a small corpus). */
    vocab: number;
    batchTokens: number;
    /** Pairs in the dev split. */
    devPairs: number;
    /** Seed of the data (split, BPE, batch order) when it differs from train.seed: the runs of a seed
     *  experiment share their data and differ only in train.seed (init, dropout). Absent: train.seed. */
    seed?: number;
  };
  /** Dev loss and BLEU every this many steps (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Dev sentences translated (greedy) for BLEU at each evaluation. */
  bleuSentences: number;
}

/** A run restored from a checkpoint (a download or an autosave) instead of a fresh initialization. */
export interface LoadSpec {
  /** The checkpoint file (safetensors, see model/checkpoint.ts); its tokenizer is used as is. */
  checkpoint: Uint8Array;
  /** How to continue: the run's spec (its model must equal the checkpoint's config, vocab included).
   *  Without one (a checkpoint from the CLI), the run is restored for translation only. */
  spec: RunSpec | null;
  /** id and label when there is no spec. */
  id: number;
  label: string;
  /** The file it was read from (named in every refusal). */
  file?: string;
}

export type RunStatus =
  | 'idle' // no run (before the first start, after reset)
  | 'preparing' // tokenizer, batches, model init
  | 'running'
  | 'pausing' // no step is submitted any more; the steps already queued on the GPU are still to report
  | 'paused' // every submitted step has reported: nothing changes until resume or step
  | 'stepping' // one step of every active run (from paused), until its metrics are back
  | 'resetting' // nothing more is reported; the runs' GPU memory is being freed ('idle' once it is)
  | 'done' // every run reached its configured steps
  | 'stopped'; // NaN/Inf gradient, device lost or an error: see the error message

/** The worker's whole device: every live GPU buffer (all runs, translators, launcher scratch). After a
 *  reset it is back to its value before the first start. */
export interface DeviceMemory {
  liveBytes: number;
  liveBuffers: number;
}

/** One run's own state inside a session ('active' follows the session's status: running, paused, ...). */
export type RunState = 'active' | 'done' | 'stopped' | 'translate-only';

/** What the worker learned while preparing a run. */
export interface RunInfo {
  id: number;
  label: string;
  description: string;
  /** The model actually trained (vocab = the tokenizer's). */
  config: ModelConfig;
  /** The run's spec as the worker uses it (null for a translate-only checkpoint). */
  spec: RunSpec | null;
  parameters: number;
  trainPairs: number;
  devPairs: number;
  /** Branched layers ("enc.0", ..., "dec.0", ...); empty for the baseline. */
  layers: string[];
  /** Steps already done (a restored checkpoint's step; 0 for a fresh run). */
  step: number;
  /** Bytes of GPU memory the run holds (weights, gradients, Adam moments, compiled buckets, activations). */
  gpuBytes: number;
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

/** Cross-attention maps of one decoder layer for a translation: one map per branch (or head). */
export interface AttentionMaps {
  layer: number;
  srcTokens: string[];
  outTokens: string[];
  /** maps[branch][out * srcTokens.length + src]. */
  maps: Float32Array[];
}

/** Running throughput of a run (sent with its metrics). */
export interface RunRates {
  stepsPerSec: number;
  tokensPerSec: number;
  /** Non-PAD target tokens trained on so far (restored runs count from their checkpoint's step). */
  tokensSeen: number;
  /** GPU time of the last timed step (timestamp queries), or null without them. */
  gpuMsPerStep: number | null;
  /** Host time of the last step's trainStep (inputs, encoding every dispatch, submit). */
  hostMsPerStep: number;
  gpuBytes: number;
}

/** The phases of preparing a run's GPU work before its first step ('compile-progress'). */
export type CompilePhase = 'shaders' | 'pipelines' | 'buffers' | 'first-step';

/** Worker → page. */
export type WorkerMessage =
  /** `limits`: the device's, which the page's form checks a config against (src/model/limits.ts). */
  | { type: 'ready'; adapter: string; features: string[]; memory: DeviceMemory; limits: DeviceLimits }
  | { type: 'gpu-unavailable'; message: string }
  /** The session's status; `step`: the last step reported (of the furthest run); `memory`: the device's. */
  | { type: 'status'; status: RunStatus; step: number; memory: DeviceMemory }
  | { type: 'run-info'; info: RunInfo }
  | { type: 'run-state'; runId: number; state: RunState; message: string | null }
  /** Metrics of consecutive steps of one run (kappa/alpha as effective weights: what multiplies the
   *  branches, as the trainer reports them; never to be converted again), with its running rates. */
  | { type: 'metrics'; runId: number; items: StepMetrics[]; rates: RunRates; memory: DeviceMemory }
  /** A dev evaluation began (busy: true) or ended; training waits meanwhile. */
  | { type: 'evaluating'; runId: number; step: number; busy: boolean }
  | { type: 'dev'; runId: number; result: DevResult; memory: DeviceMemory }
  | { type: 'translation'; id: number; runId: number; output: string; ms: number; attention: AttentionMaps | null; memory: DeviceMemory }
  | { type: 'translation-failed'; id: number; message: string }
  /** A run's checkpoint (safetensors with config, Adam moments, tokenizer and run spec). */
  | { type: 'checkpoint'; runId: number; reason: SaveReason; bytes: Uint8Array; step: number; label: string }
  /** A start or load was checked (specs, checkpoints, tokenizers, data): its runs now replace the
   *  session's (their run-info follows). */
  | { type: 'accepted'; request: number }
  /** A start or load was refused before anything was replaced: the session's runs go on as they were. */
  | { type: 'rejected'; request: number; message: string }
  /** What a long preparation is doing ("tokenizing 120000/456000 pairs"); null once it is over. */
  | { type: 'progress'; text: string | null }
  /**
   * Preparing a run's GPU work before its first step, phase by phase in this order: 'shaders' (shader
   * modules), 'pipelines' (compute pipelines, created asynchronously), 'buffers' (buffers and bind groups),
   * 'first-step' (the first step submitted, done 0 of 1 until its metrics arrive). `done` counts up to
   * `total` within a phase. There is no clearing message: the page clears it (RunSlice.compile = null) when
   * the first metrics of the session arrive, and when the session leaves 'preparing'/'running' (paused,
   * done, stopped, reset) or a new one begins. A comparison prepares its runs one after another, each
   * from 'shaders' again (pipelines shared with an earlier run are already made and count as done).
   */
  | { type: 'compile-progress'; phase: CompilePhase; done: number; total: number }
  /** A corpus import in the worker: the fraction of the file read so far. */
  | { type: 'import-progress'; id: number; fraction: number }
  /** The corpus import's report; its pairs stay in the worker too (runs name them by hash). */
  | { type: 'import-result'; id: number; name: string; result: ImportResult; hash: string | null; pairs: TextPairs }
  /** Experiments (issue 12): what an 'ablate' command is measuring, `done` of `total` settings so far. */
  | { type: 'ablation-progress'; id: number; runId: number; text: string; done: number; total: number }
  /** An 'ablate' command's numbers at the run's `step` (the learned κ/α are restored and checked by then):
   *  the whole Table 3 (`report`) or one muted branch (`mute`); `uniformCheck`: the dev loss of the same
   *  weights under the uniform weighting's own forward, when asked for. */
  | { type: 'ablation'; id: number; runId: number; step: number; report: AblationReport | null; mute: MuteReport | null; uniformCheck: number | null; memory: DeviceMemory }
  | { type: 'ablation-failed'; id: number; runId: number; message: string }
  /** The session stopped (device lost, an error) or a command failed; after a lost device the worker
   *  needs a new device (the page offers to resume from the autosave on a fresh worker). */
  | { type: 'error'; message: string; deviceLost: boolean };

export type SaveReason = 'download' | 'autosave';

/** Page → worker. */
export type PageMessage =
  | { type: 'hello' }
  /** Prepare and start runs (paused: prepare only, then wait for resume or step). Checked first:
   *  answered 'accepted' or 'rejected' with the same `request`. An imported corpus' pairs may be left
   *  out of the specs (pairs: []) when the worker has it (by hash: see 'import' and 'corpus'). */
  | { type: 'start'; request?: number; runs: RunSpec[]; paused: boolean }
  /** Restore runs from checkpoints (then evaluate each on its dev set, and start when not paused). */
  | { type: 'load'; request?: number; runs: LoadSpec[]; paused: boolean }
  /** Add one fresh run to the session's runs, which go on as they are (the page's "new run with this
   *  change"). Answered 'accepted' (its run-info follows; a done or stopped session runs again) or
   *  'rejected' (no session, a reset meanwhile, an id in use, a bad spec): nothing else changes. */
  | { type: 'add'; request: number; run: RunSpec }
  /**
   * What Start would train (model, options, batch size): the worker starts making its step's pipelines
   * in the background (src/train/trainer.ts warmPipelines), so a Start soon after finds most of them made.
   * Ignored while the session has runs; nothing answers; a config the device refuses is skipped (Start
   * says why).
   */
  | { type: 'warm'; runs: { model: ModelConfig; train: TrainerOptions; batchTokens: number }[] }
  /** Parse a TSV corpus file in the worker (off the page's main thread), with progress. */
  | { type: 'import'; id: number; name: string; bytes: Uint8Array }
  /** An imported corpus the worker does not hold yet (a fresh worker resuming an autosave). */
  | { type: 'corpus'; name: string; hash: string; pairs: TextPairs }
  /** 'pausing', then 'paused' once the steps in flight have reported. */
  | { type: 'pause' }
  | { type: 'resume' }
  /** One step of every active run, when paused ('stepping', then 'paused' once it has reported). */
  | { type: 'step' }
  /** Stop and free every run ('resetting', then 'idle' once freed). */
  | { type: 'reset' }
  | { type: 'set-lr-scale'; value: number }
  /** Translate with one run; `attentionLayer` (a decoder layer index) also returns its cross-attention. */
  | { type: 'translate'; id: number; runId: number; text: string; beam: number; attentionLayer: number | null }
  /** Send back the checkpoints of the given runs (all when runIds is null; waits for the steps in flight). */
  | { type: 'save'; runIds: number[] | null; reason: SaveReason }
  /**
   * Experiments (issue 12): measure a weighted run at test time between its steps, its learned κ/α
   * restored afterwards. `only` null: the paper's Table 3 (learned, uniform, `randomDraws` random points
   * of the simplex with `seed`, each branch muted in turn); else that one branch muted beside the learned.
   * `bleu`: also greedy BLEU on the run's BLEU sentences; `uniformCheck`: also the uniform weighting's forward.
   */
  | { type: 'ablate'; id: number; runId: number; only: BranchRef | null; randomDraws: number; seed: number; bleu: boolean; uniformCheck: boolean }
  /** Test hook: destroy the device as if it were lost (the e2e test of the device-lost path). */
  | { type: 'simulate-device-loss' }
  /** Test hook: the next step of every active run gets a NaN gradient (the e2e test of the NaN path). */
  | { type: 'simulate-nan' };
