// `npm run bench:train -- --out F.json [--steps N] [--presets tiny,small]`: whole training steps per preset
// and variant on the Node adapter: ms per step, tokens per second, dispatches and submits per step, host
// encode time per step, GPU bytes, and GPU objects created after warm-up (must be 0). Not a test.
// Time to the first step, cold (each row on a fresh device, so no pipeline is cached): compile_ms is
// everything before it (new Trainer + prepare), split into the constructor, shader modules, pipelines and
// buffers/bind groups (trainer.startup), and first_step_ms the first step itself.
import { writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { presetConfig, PRESETS, type Variant } from '../model/config.ts';
import { Trainer } from '../train/trainer.ts';
import { makeBatch } from '../data/batching.ts';
import { SeededRandom } from '../model/init.ts';
import { numberOption, parseOptions } from './args.ts';
import { sleepBlocking } from '../gpu/timing.ts';
import { waitSliced } from '../bench/train.ts';

/** dawn.node's await busy-polls a core the software driver needs: wait in 5 ms sleeps instead. */
const sliced = { sleep: sleepBlocking, pollMs: 5 };

const USAGE = 'npm run bench:train -- [--out F.json] [--steps N] [--presets tiny,small]';

/** A full batch of random tokens at a fixed shape: B sentences of S source and T target positions. */
function syntheticBatch(vocab: number, batch: number, srcLen: number, tgtLen: number, seed: number) {
  const rng = new SeededRandom(seed);
  const ids = (n: number) => Array.from({ length: n }, () => 4 + Math.floor(rng.uniform() * (vocab - 4)));
  const pairs = Array.from({ length: batch }, () => ({ src: ids(srcLen - 1), tgt: ids(tgtLen - 1) }));
  return makeBatch(pairs, srcLen, tgtLen);
}

async function main(): Promise<void> {
  const v = parseOptions(process.argv.slice(2), { out: { type: 'string' }, steps: { type: 'string' }, presets: { type: 'string' } }, USAGE);
  const steps = numberOption(v, 'steps', 10, { integer: true, min: 1 });
  const presets = (typeof v.presets === 'string' ? v.presets : 'tiny,small').split(',');
  let adapter = '';
  const rows: Record<string, number | string>[] = [];
  for (const preset of presets) {
    if (!PRESETS[preset]) throw new Error(`unknown preset ${preset}`);
    for (const variant of ['baseline', 'weighted'] as Variant[]) {
      const config = presetConfig(preset, variant);
      // About 2048 (tiny) / 4096 (small) padded tokens: B sentences of 32 source and 32 target positions.
      const [srcLen, tgtLen] = [32, 32];
      const batchSize = (preset === 'tiny' ? 2048 : 4096) / (srcLen + tgtLen);
      const batch = syntheticBatch(config.vocab, batchSize, srcLen, tgtLen, 1);
      const gpu = await acquireNodeGpu(); // a fresh device per row: a cold start
      if (!adapter) console.log(`adapter: ${(adapter = gpu.adapterName)}`);
      const c0 = performance.now();
      const trainer = new Trainer(gpu, config, { seed: 1, gradClip: 0, lrScale: 1, warmup: 4000, kappaWarmup: 400, steps: 1e6, freezeSteps: 0 });
      await trainer.prepare([batch]);
      const compileMs = performance.now() - c0;
      trainer.trainStep(batch, false); // the first step
      await waitSliced(sliced, trainer.flush());
      const startup = trainer.startup;
      trainer.trainStep(batch, false); // warm-up
      await waitSliced(sliced, trainer.flush());
      const warm = trainer.counters;
      const t0 = performance.now();
      let encodeMs = 0;
      for (let i = 0; i < steps; i++) {
        const e0 = performance.now();
        trainer.trainStep(batch, false);
        encodeMs += performance.now() - e0;
      }
      await waitSliced(sliced, trainer.flush());
      const ms = (performance.now() - t0) / steps;
      const after = trainer.counters;
      const row = {
        preset, variant, batch: `${batchSize}x${srcLen}+${tgtLen}`,
        ms_per_step: +ms.toFixed(2),
        tokens_per_s: Math.round((batch.tokens / ms) * 1000),
        dispatches_per_step: trainer.dispatchesPerStep(batch),
        submits_per_step: 1,
        host_encode_ms_per_step: +(encodeMs / steps).toFixed(3),
        gpu_bytes: trainer.gpuBytes(),
        pipelines_created_after_warmup: after.pipelines - warm.pipelines,
        buffers_created_after_warmup: after.buffers - warm.buffers,
        bind_groups_created_after_warmup: after.bindGroups - warm.bindGroups,
        compile_ms: +compileMs.toFixed(1),
        first_step_ms: +(startup.firstStepMs ?? NaN).toFixed(1),
        construct_ms: +startup.constructMs.toFixed(1),
        shaders_ms: +startup.shadersMs.toFixed(1),
        pipelines_ms: +startup.pipelinesMs.toFixed(1),
        buffers_ms: +startup.buffersMs.toFixed(1),
        shader_modules: startup.modules,
        pipelines: startup.pipelines,
      };
      console.log(JSON.stringify(row));
      rows.push(row);
      trainer.destroy();
      gpu.device.destroy();
    }
  }
  const json = { adapter, steps_timed: steps, train: rows };
  if (typeof v.out === 'string') {
    writeFileSync(v.out, JSON.stringify(json, null, 2) + '\n');
    console.log(`wrote ${v.out}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
