// `npm run bench -- --out F.json [--quick] [--steps N] [--rounds R] [--presets tiny,small] [--skip matmul|train]`:
// our engine side by side with TensorFlow.js's WebGPU backend on the same Node adapter (WEBGPU_ADAPTER
// picks one, e.g. swiftshader): matmul GFLOP/s per shape, then whole training steps of the multi-head
// baseline (tokens/s), and our weighted model relative to our baseline. Every comparison is first checked
// for equal results. Writes {"adapter", "tfjs", "matmul": [...], "train": [...]}. Not a test.
import { writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { createGpuTimer } from '../gpu/timing.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';
import { setupTfjs } from './bench/tfjs-setup.ts';
import { benchMatmulSideBySide } from './bench/tfjs-matmul.ts';
import { benchTrainSideBySide } from './bench/tfjs-train.ts';

const USAGE = 'npm run bench -- [--out F.json] [--quick] [--steps N] [--rounds R] [--presets tiny,small] [--skip matmul|train]';

async function main(argv: string[]): Promise<void> {
  const v = parseOptions(argv, {
    out: { type: 'string' }, quick: { type: 'boolean' }, steps: { type: 'string' }, rounds: { type: 'string' },
    presets: { type: 'string' }, skip: { type: 'string' },
  }, USAGE);
  const quick = v.quick === true;
  const skip = typeof v.skip === 'string' ? v.skip.split(',') : [];
  if (skip.some((s) => s !== 'matmul' && s !== 'train')) throw new UsageError(`--skip takes matmul and/or train\nUsage: ${USAGE}`);
  const steps = numberOption(v, 'steps', quick ? 2 : 4, { integer: true, min: 1 });
  const rounds = numberOption(v, 'rounds', 1, { integer: true, min: 1 });
  const presets = typeof v.presets === 'string' ? v.presets.split(',') : quick ? ['tiny'] : ['tiny', 'small'];

  const gpu = await acquireNodeGpu();
  gpu.onFault((message) => console.error(message));
  const timer = createGpuTimer(gpu);
  const setup = await setupTfjs(gpu);
  const tfjs = { version: setup.tf.version_core, backend: setup.tf.getBackend(), adapter: setup.adapterInfo, timer: setup.timestampQuery ? 'tf.time kernelMs (timestamp-query)' : 'wall-clock' };
  console.log(`adapter: ${gpu.adapterName} (ours: ${timer.method}; TF.js ${tfjs.version} ${tfjs.backend} on "${tfjs.adapter}": ${tfjs.timer})${quick ? ' quick' : ''}\n`);

  const matmul = skip.includes('matmul') ? [] : await benchMatmulSideBySide(gpu, timer, setup, quick);
  if (matmul.length > 0) console.log();
  const train = skip.includes('train') ? [] : await benchTrainSideBySide(gpu, setup, { presets, steps, rounds });

  if (gpu.uncapturedErrors.length > 0) throw new Error(`GPU errors during the bench:\n${gpu.uncapturedErrors.join('\n')}`);
  const report = { adapter: gpu.adapterName, ours_timer: timer.method, tfjs, steps_timed: steps, rounds, matmul, train };
  console.log(`\n${JSON.stringify(report)}`);
  if (typeof v.out === 'string') {
    writeFileSync(v.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${v.out}`);
  }
  timer.destroy();
}

// Dawn keeps the event loop alive, so exit explicitly.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
