// The parity tools of model.md ("Parity tools"), on the real WebGPU engine in Node:
//   init  --config C.json --seed S --out W.safetensors
//   grads --config C.json --weights W.safetensors --batch X.json --out G.safetensors
//   step  --config C.json --weights W.safetensors --batch X.json --steps K --warmup W0 --kappa-warmup W1
//         --lr-scale R [--freeze-steps F] --out P.safetensors
import { readFileSync, writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { validateModelConfig, type ModelConfig } from '../model/config.ts';
import { decodeCheckpoint, encodeCheckpoint, findNonFinite } from '../model/checkpoint.ts';
import { buildParamTable, readParam } from '../model/params.ts';
import { initParams } from '../model/init.ts';
import { parseBatchJson } from '../model/batch.ts';
import { writeSafetensors, type NamedTensor } from '../model/safetensors.ts';
import { Trainer } from '../train/trainer.ts';
import { assertConfigFitsDevice } from '../model/limits.ts';
import { numberOption, parseOptions, required } from './args.ts';

const USAGE = {
  init: 'npm run cli -- init --config C.json --seed S --out W.safetensors',
  grads: 'npm run cli -- grads --config C.json --weights W.safetensors --batch X.json --out G.safetensors',
  step: 'npm run cli -- step --config C.json --weights W.safetensors --batch X.json --steps K --warmup W0 --kappa-warmup W1 --lr-scale R [--freeze-steps F] --out P.safetensors',
};

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

function loadConfig(path: string): ModelConfig {
  return validateModelConfig(readJson(path, 'config'), path);
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

export async function init(argv: string[]): Promise<number> {
  const v = parseOptions(argv, { config: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } }, USAGE.init);
  const config = loadConfig(required(v, 'config', USAGE.init));
  assertConfigFitsDevice(config, null, {}, 'the model config'); // the kernels' own limits (the device's: when it trains)
  const seed = numberOption(v, 'seed', NaN, { integer: true, min: 0, max: 0xffffffff });
  if (Number.isNaN(seed)) required(v, 'seed', USAGE.init);
  const out = required(v, 'out', USAGE.init);
  const params = initParams(buildParamTable(config), seed);
  writeFileSync(out, encodeCheckpoint({ config, params, step: 0, extras: { seed } }));
  console.log(`wrote ${out}: ${config.variant} model, ${params.length} parameters, seed ${seed}`);
  return 0;
}

/** Config, weights and batch as the grads and step tools take them. */
function loadRun(v: Record<string, unknown>, usage: string) {
  const configPath = required(v, 'config', usage);
  const config = loadConfig(configPath);
  const weightsPath = required(v, 'weights', usage);
  const ckpt = decodeCheckpoint(readBytes(weightsPath, 'weights'), weightsPath, config);
  const batchPath = required(v, 'batch', usage);
  const batch = parseBatchJson(readJson(batchPath, 'batch'), config, batchPath);
  return { config, params: ckpt.params, batch };
}

export async function grads(argv: string[]): Promise<number> {
  const spec = { config: { type: 'string' }, weights: { type: 'string' }, batch: { type: 'string' }, out: { type: 'string' } } as const;
  const v = parseOptions(argv, spec, USAGE.grads);
  const { config, params, batch } = loadRun(v, USAGE.grads);
  const out = required(v, 'out', USAGE.grads);
  const gpu = await acquireNodeGpu();
  const trainer = new Trainer(gpu, config, { seed: 0, gradClip: 0, lrScale: 1, warmup: 1, kappaWarmup: 1, steps: 1, freezeSteps: 0 }, { params });
  const result = await trainer.gradients(batch);
  const table = trainer.table;
  const tensors: NamedTensor[] = [{ name: 'loss', shape: [1], data: Float32Array.of(result.loss) }];
  for (const e of table.entries) tensors.push({ name: `grad.${e.key}`, shape: e.shape, data: readParam(result.grads, e) });
  writeFileSync(out, writeSafetensors(tensors, { config: JSON.stringify(config), adapter: gpu.adapterName }));
  console.log(`loss ${result.loss} over ${result.tokens} target tokens (adapter: ${gpu.adapterName}); wrote ${out}`);
  const problem = Number.isFinite(result.loss) ? findNonFinite(table, result.grads, 'grad.') : `the loss is ${result.loss}`;
  return problem ? refuse(`grads: ${problem}; ${out} holds these values, for inspection`) : 0;
}

export async function step(argv: string[]): Promise<number> {
  const spec = {
    config: { type: 'string' }, weights: { type: 'string' }, batch: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' },
    warmup: { type: 'string' }, 'kappa-warmup': { type: 'string' }, 'lr-scale': { type: 'string' }, 'freeze-steps': { type: 'string' },
  } as const;
  const v = parseOptions(argv, spec, USAGE.step);
  const { config, params, batch } = loadRun(v, USAGE.step);
  for (const name of ['steps', 'warmup', 'kappa-warmup', 'lr-scale', 'out']) required(v, name, USAGE.step);
  const steps = numberOption(v, 'steps', 0, { integer: true, min: 1, max: 1e7 });
  const options = {
    seed: 0, gradClip: 0, steps,
    warmup: numberOption(v, 'warmup', 0, { integer: true, min: 1 }),
    kappaWarmup: numberOption(v, 'kappa-warmup', 0, { integer: true, min: 1 }),
    lrScale: numberOption(v, 'lr-scale', 0, { min: 0 }),
    freezeSteps: numberOption(v, 'freeze-steps', 0, { integer: true, min: 0, max: steps }),
  };
  const gpu = await acquireNodeGpu();
  const trainer = new Trainer(gpu, config, options, { params });
  const losses: number[] = [];
  trainer.onMetrics = (m) => losses.push(m.loss);
  for (let i = 0; i < steps; i++) {
    if (!trainer.canReport) await trainer.flush(); // every step's loss is printed
    trainer.trainStep(batch);
  }
  const ckpt = await trainer.checkpoint({ losses });
  const out = required(v, 'out', USAGE.step);
  writeFileSync(out, encodeCheckpoint(ckpt));
  console.log(`${steps} steps (adapter: ${gpu.adapterName}); loss before each: ${losses.map((l) => l.toFixed(6)).join(', ')}; wrote ${out}`);
  const nonFinite = findNonFinite(trainer.table, ckpt.params)
    ?? findNonFinite(trainer.table, ckpt.adam!.m, 'adam.m.') ?? findNonFinite(trainer.table, ckpt.adam!.v, 'adam.v.');
  if (nonFinite) return refuse(`after ${steps} steps: ${nonFinite}; ${out} holds these values, for inspection (it will not load as a checkpoint)`);
  const halted = trainer.haltedAt;
  if (halted !== null) {
    return refuse(`step ${halted} of ${steps} was not applied, nor any after it: the trainer found a NaN/Inf gradient or update and halted `
      + `(is --lr-scale too large?); ${out} holds the parameters after step ${halted - 1}`);
  }
  return 0;
}

/** Exit code 1, saying why. The output file stays written, so that a stale one is never taken for the result. */
function refuse(message: string): number {
  console.error(message);
  return 1;
}
