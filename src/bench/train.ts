// Whole training steps side by side: our engine (src/train/trainer.ts) and the TF.js baseline
// (tfjs-model.ts) from the same initial weights on the same batch (cases.ts: B sentences × 32 source + 32
// target positions, 2048 padded tokens at `tiny`, 4096 at `small`; 8 × (8 + 8) for the micro model of the
// tiny size), dropout 0 in both. First a check: the losses of the first CHECK_STEPS optimizer steps (same
// learning-rate schedule) must agree within 1e-3 relative. The check steps are also the warm-up. Then
// steady-state throughput: N steps enqueued back to back and one wait at the end (host.sleep through most
// of it: in Node, dawn.node's await busy-polls a core the software driver needs), best of `rounds` rounds,
// the engines taking turns. tokens/s counts the non-PAD target tokens, as bench:train does. Our weighted
// model takes its turns too (our engine only) and is reported relative to our baseline.
import type { Gpu } from '../gpu/device.ts';
import type { ModelConfig } from '../model/config.ts';
import { buildParamTable } from '../model/params.ts';
import { initParams, SeededRandom } from '../model/init.ts';
import { makeBatch, type Batch } from '../data/batching.ts';
import { Trainer, type TrainerOptions } from '../train/trainer.ts';
import { mainLearningRate } from '../train/schedule.ts';
import { benchModelConfig, trainPresets, trainShape } from './cases.ts';
import type { BenchHost, BenchSize, SideBySideTrainRow } from './report.ts';
import { TfjsBaseline, TfjsTrainer, disposeTfjsBatch, tfjsBatch, type TfjsBatch } from './tfjs-model.ts';
import { countTfjsDispatches, submitTfjs, type TfjsSetup } from './tfjs.ts';

export interface TrainBenchOptions {
  size: BenchSize;
  presets: string[];
  steps: number;
  rounds: number;
}

/** What every contender needs: the device, TF.js, and where to sleep and write. */
interface Ctx {
  gpu: Gpu;
  setup: TfjsSetup;
  host: BenchHost;
}

const CHECK_STEPS = 3;
const SEED = 1;
/** A schedule whose first steps move the weights visibly (lr 1.25e-3 at step 1 for D = 64), so the loss check covers gradients and Adam too. */
const TRAINER_OPTIONS: TrainerOptions = { seed: SEED, gradClip: 0, lrScale: 0.01, warmup: 1, kappaWarmup: 1, steps: 1e6, freezeSteps: 0 };

/** A full batch of random tokens: B sentences of S - 1 source and T - 1 target ids (plus EOS / BOS). */
function syntheticBatch(vocab: number, batch: number, srcLen: number, tgtLen: number): Batch {
  const rng = new SeededRandom(SEED);
  const ids = (n: number) => Array.from({ length: n }, () => 4 + Math.floor(rng.uniform() * (vocab - 4)));
  return makeBatch(Array.from({ length: batch }, () => ({ src: ids(srcLen - 1), tgt: ids(tgtLen - 1) })), srcLen, tgtLen);
}

const lrAt = (config: ModelConfig, step: number) =>
  mainLearningRate({ ...TRAINER_OPTIONS, dModel: config.dModel, encLayers: config.encLayers }, step);

/**
 * Wall ms per step of `steps` steps enqueued back to back. `finish` submits whatever is still recorded and
 * returns a promise of the device being idle, waited for in host.pollMs slices where the host has them
 * (waitSliced). (It used to sleep 0.9 x an earlier step's time in one go: a measured step could then never
 * come out under 0.9 x the previous best, so a slow checked step, awaited while dawn.node's await spins a
 * core, inflated every round after it: issue 15 part 4.)
 */
async function timeSteps(host: BenchHost, enqueue: () => void, finish: () => Promise<void>, steps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) enqueue();
  await waitSliced(host, finish());
  return (performance.now() - t0) / steps;
}

/** Await `done`, sleeping host.pollMs at a time between looks (Node: awaiting alone busy-polls a core). */
export async function waitSliced(host: Pick<BenchHost, 'sleep' | 'pollMs'>, done: Promise<void>): Promise<void> {
  if (!host.pollMs) return done;
  let finished = false;
  const settled = done.finally(() => (finished = true));
  settled.catch(() => {}); // its failure comes from the await below
  while (!finished) {
    host.sleep(host.pollMs);
    await new Promise((r) => setTimeout(r, 0)); // one event-loop turn: the device's callbacks run
  }
  await settled;
}

/** An engine under test: its losses at steps 1..CHECK_STEPS, the wall time of the last of them, and a timer. */
interface Contender {
  losses: number[];
  checkStepMs: number;
  /** Wall ms before the first step (building and compiling), and of the first step itself. */
  compileMs: number;
  firstStepMs: number;
  startup?: SideBySideTrainRow['ours_startup'];
  dispatchesPerStep: number;
  time(steps: number): Promise<number>;
  dispose(): void;
}

/** Our trainer on `batch`: the first CHECK_STEPS steps one by one (each awaited), then the timing closure. */
async function ourContender({ gpu, host }: Ctx, config: ModelConfig, params: Float32Array, batch: Batch): Promise<Contender> {
  const c0 = performance.now();
  const trainer = new Trainer(gpu, config, TRAINER_OPTIONS, { params });
  await trainer.prepare([batch]);
  const compileMs = performance.now() - c0;
  const losses: number[] = [];
  trainer.onMetrics = (m) => losses.push(m.loss);
  let checkStepMs = 0, firstStepMs = 0;
  for (let i = 0; i < CHECK_STEPS; i++) {
    const t0 = performance.now();
    trainer.trainStep(batch, true);
    await waitSliced(host, trainer.flush());
    checkStepMs = performance.now() - t0;
    if (i === 0) firstStepMs = checkStepMs;
  }
  const s = trainer.startup;
  const startup = { construct_ms: r3(s.constructMs), shaders_ms: r3(s.shadersMs), pipelines_ms: r3(s.pipelinesMs), buffers_ms: r3(s.buffersMs), pipelines: s.pipelines, modules: s.modules };
  const time = (steps: number) => timeSteps(host, () => trainer.trainStep(batch, false), () => trainer.flush(), steps);
  return { losses, checkStepMs, compileMs, firstStepMs, startup, dispatchesPerStep: trainer.dispatchesPerStep(batch), time, dispose: () => trainer.destroy() };
}

/** The TF.js baseline on `batch`: the first CHECK_STEPS steps one by one (each loss read), then the timing closure. */
async function tfjsContender({ setup, host }: Ctx, config: ModelConfig, params: Float32Array, batch: Batch, tag: string): Promise<Contender> {
  const { tf } = setup;
  const c0 = performance.now();
  const model = new TfjsBaseline(tf, config, buildParamTable(config), params, tag);
  const trainer = new TfjsTrainer(tf, model);
  const x: TfjsBatch = tfjsBatch(tf, config, batch);
  await submitTfjs(tf).onSubmittedWorkDone(); // the uploads done: what TF.js builds before a step
  const compileMs = performance.now() - c0;
  const losses: number[] = [];
  let step = 0, checkStepMs = 0, firstStepMs = 0;
  for (; step < CHECK_STEPS; step++) {
    const t0 = performance.now();
    const cost = trainer.step(x, lrAt(config, step + 1), true)!;
    await waitSliced(host, cost.data().then((v) => void losses.push(v[0])));
    cost.dispose();
    checkStepMs = performance.now() - t0;
    if (step === 0) firstStepMs = checkStepMs;
  }
  const finish = () => submitTfjs(tf).onSubmittedWorkDone();
  const dispatchesPerStep = countTfjsDispatches(tf, () => void trainer.step(x, lrAt(config, ++step), false));
  await finish();
  const time = async (steps: number) => {
    const tensors = tf.memory().numTensors;
    const ms = await timeSteps(host, () => void trainer.step(x, lrAt(config, ++step), false), finish, steps);
    if (tf.memory().numTensors !== tensors) host.note(`warning: TF.js tensors went from ${tensors} to ${tf.memory().numTensors} over ${steps} steps`);
    return ms;
  };
  const dispose = () => {
    trainer.dispose();
    model.dispose();
    disposeTfjsBatch(x);
  };
  return { losses, checkStepMs, compileMs, firstStepMs, dispatchesPerStep, time, dispose };
}

/** Await a contender's preparation (build, compile, checked steps), noting how long it took. */
async function prepared(host: BenchHost, label: string, contender: Promise<Contender>): Promise<Contender> {
  const t0 = performance.now();
  const c = await contender;
  host.note(`  ${label}: built, compiled and ${CHECK_STEPS} checked steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return c;
}

/** Best ms per step of each contender over `rounds` rounds of `steps` steps, the contenders taking turns. */
async function timeInTurns(host: BenchHost, contenders: { c: Contender; label: string }[], o: TrainBenchOptions): Promise<number[]> {
  const best = contenders.map(() => Infinity);
  for (let r = 0; r < o.rounds; r++) {
    for (const [i, { c, label }] of contenders.entries()) {
      const ms = await c.time(o.steps);
      best[i] = Math.min(best[i], ms);
      host.note(`  ${label}, round ${r + 1}: ${ms.toFixed(0)} ms/step (one checked step: ${c.checkStepMs.toFixed(0)} ms)`);
    }
  }
  return best;
}

function relDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), 1e-12)));
}

const r3 = (x: number) => Number(x.toPrecision(3));

/** Baseline side by side, then our weighted model, for one preset. */
async function benchPreset(ctx: Ctx, preset: string, o: TrainBenchOptions): Promise<SideBySideTrainRow[]> {
  const { batch: batchSize, srcLen, tgtLen } = trainShape(preset);
  const baseConfig = benchModelConfig(preset, 'baseline');
  const batch = syntheticBatch(baseConfig.vocab, batchSize, srcLen, tgtLen);
  const shape = `${batchSize}x${srcLen}+${tgtLen}`;
  const baseParams = initParams(buildParamTable(baseConfig), SEED);
  const ours = await prepared(ctx.host, `${preset} baseline, ours`, ourContender(ctx, baseConfig, baseParams, batch));
  const theirs = await prepared(ctx.host, `${preset} baseline, tfjs`, tfjsContender(ctx, baseConfig, baseParams, batch, preset));
  const maxRel = relDiff(theirs.losses, ours.losses);
  const weightedConfig = benchModelConfig(preset, 'weighted');
  const weightedParams = initParams(buildParamTable(weightedConfig), SEED);
  const weighted = await prepared(ctx.host, `${preset} weighted, ours`, ourContender(ctx, weightedConfig, weightedParams, batch));
  const [oursMs, tfMs, weightedMs] = await timeInTurns(ctx.host, [
    { c: ours, label: `${preset} baseline, ours` }, { c: theirs, label: `${preset} baseline, tfjs` }, { c: weighted, label: `${preset} weighted, ours` },
  ], o);
  for (const c of [ours, theirs, weighted]) c.dispose();

  const tps = (ms: number) => Math.round((batch.tokens / ms) * 1000);
  return [
    {
      preset, variant: 'baseline', batch: shape, ours_tokens_per_s: tps(oursMs), tfjs_tokens_per_s: tps(tfMs), ratio: r3(tfMs / oursMs),
      ours_ms_per_step: r3(oursMs), tfjs_ms_per_step: r3(tfMs), relative_to_our_baseline: 1,
      ours_checked_step_ms: r3(ours.checkStepMs), tfjs_checked_step_ms: r3(theirs.checkStepMs),
      ours_compile_ms: r3(ours.compileMs), ours_first_step_ms: r3(ours.firstStepMs), tfjs_compile_ms: r3(theirs.compileMs), tfjs_first_step_ms: r3(theirs.firstStepMs),
      ours_startup: ours.startup!,
      ours_dispatches_per_step: ours.dispatchesPerStep, tfjs_dispatches_per_step: theirs.dispatchesPerStep,
      loss_check: { ours: ours.losses, tfjs: theirs.losses, max_rel_diff: r3(maxRel), equal: maxRel <= 1e-3 },
    },
    {
      preset, variant: 'weighted', batch: shape, ours_tokens_per_s: tps(weightedMs), tfjs_tokens_per_s: null, ratio: null,
      ours_ms_per_step: r3(weightedMs), tfjs_ms_per_step: null, relative_to_our_baseline: r3(oursMs / weightedMs), loss_check: null,
      ours_checked_step_ms: r3(weighted.checkStepMs), tfjs_checked_step_ms: null,
      ours_compile_ms: r3(weighted.compileMs), ours_first_step_ms: r3(weighted.firstStepMs), tfjs_compile_ms: null, tfjs_first_step_ms: null,
      ours_startup: weighted.startup!,
      ours_dispatches_per_step: weighted.dispatchesPerStep, tfjs_dispatches_per_step: null,
    },
  ];
}

/** Every preset of the size, logging a table line and reporting each row as it finishes. */
export async function benchTrainSideBySide(gpu: Gpu, setup: TfjsSetup, o: TrainBenchOptions, host: BenchHost): Promise<SideBySideTrainRow[]> {
  const widths = [7, 9, 9, 11, 11, 7, 8, 12, 26, 40];
  const line = (cells: Array<string | number>) => host.log(cells.map((x, i) => String(x).padEnd(widths[i])).join(' '));
  line(['preset', 'variant', 'batch', 'ours tok/s', 'tfjs tok/s', 'ratio', 'vs ours', 'dispatches', 'compile+1st step ms o/t', 'loss check (ours / tfjs, steps 1..3)']);
  const rows: SideBySideTrainRow[] = [];
  for (const preset of trainPresets(o.size, o.presets)) {
    for (const r of await benchPreset({ gpu, setup, host }, preset, o)) {
      rows.push(r);
      host.onTrainRow?.(r);
      line([r.preset, r.variant, r.batch, r.ours_tokens_per_s, r.tfjs_tokens_per_s ?? '-', r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, r.relative_to_our_baseline, dispatchCell(r), startupCell(r), lossCheckCell(r)]);
    }
  }
  return rows;
}

const startupCell = (r: SideBySideTrainRow) =>
  `${Math.round(r.ours_compile_ms)}+${Math.round(r.ours_first_step_ms)}/${r.tfjs_compile_ms === null ? '-' : `${Math.round(r.tfjs_compile_ms)}+${Math.round(r.tfjs_first_step_ms ?? 0)}`}`;

const dispatchCell = (r: SideBySideTrainRow) => `${r.ours_dispatches_per_step}/${r.tfjs_dispatches_per_step ?? '-'}`;

function lossCheckCell(r: SideBySideTrainRow): string {
  if (!r.loss_check) return '';
  const c = r.loss_check;
  return `${c.equal ? 'ok' : 'MISMATCH'} ${c.ours.map((x) => x.toFixed(4)).join(',')} / ${c.tfjs.map((x) => x.toFixed(4)).join(',')}`;
}
