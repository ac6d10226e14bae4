// `npm run bench -- --out F.json [--quick | --tiny] [--steps N] [--rounds R] [--presets tiny,small] [--skip matmul|train]`:
// our engine side by side with TensorFlow.js's WebGPU backend on the same Node device (WEBGPU_ADAPTER
// picks the adapter, e.g. swiftshader): matmul GFLOP/s per shape, then whole training steps of the
// multi-head baseline (tokens/s), and our weighted model relative to our baseline. Every comparison is
// first checked for equal results. Writes {"adapter", "tfjs", "matmul": [...], "train": [...]}. Not a test.
// The bench itself is src/bench/ (the page runs the same code in a worker); this is the Node front-end.
import { writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { sleepBlocking } from '../gpu/timing.ts';
import { defaultBenchOptions, type BenchHost, type BenchOptions } from '../bench/report.ts';
import { runBench } from '../bench/run.ts';
import { setupTfjs } from '../bench/tfjs.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';
import { loadTfjsNode } from './bench/tfjs-setup.ts';

const USAGE = 'npm run bench -- [--out F.json] [--quick | --tiny] [--steps N] [--rounds R] [--presets tiny,small] [--skip matmul|train]';

function benchOptions(argv: string[]): BenchOptions & { out?: string } {
  const v = parseOptions(argv, {
    out: { type: 'string' }, quick: { type: 'boolean' }, tiny: { type: 'boolean' }, steps: { type: 'string' }, rounds: { type: 'string' },
    presets: { type: 'string' }, skip: { type: 'string' },
  }, USAGE);
  const size = v.tiny === true ? 'tiny' : v.quick === true ? 'quick' : 'full';
  const defaults = defaultBenchOptions(size, typeof v.presets === 'string' ? v.presets.split(',') : undefined);
  const skip = typeof v.skip === 'string' ? v.skip.split(',') : [];
  if (skip.some((s) => s !== 'matmul' && s !== 'train')) throw new UsageError(`--skip takes matmul and/or train\nUsage: ${USAGE}`);
  return {
    ...defaults,
    steps: numberOption(v, 'steps', defaults.steps, { integer: true, min: 1 }),
    rounds: numberOption(v, 'rounds', defaults.rounds, { integer: true, min: 1 }),
    skip: skip as BenchOptions['skip'],
    out: typeof v.out === 'string' ? v.out : undefined,
  };
}

/** Tables on stdout, per-round notes on stderr; sleep with Atomics.wait (dawn.node's await spins). */
const host: BenchHost = {
  log: (line) => console.log(line),
  note: (line) => console.error(line),
  sleep: sleepBlocking,
  pollMs: 5,
};

async function main(argv: string[]): Promise<void> {
  const { out, ...options } = benchOptions(argv);
  const gpu = await acquireNodeGpu();
  gpu.onFault((message) => console.error(message));
  const setup = await setupTfjs(await loadTfjsNode(gpu), gpu);
  const report = await runBench(gpu, setup, options, host);
  console.log(`\n${JSON.stringify(report)}`);
  if (out !== undefined) {
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${out}`);
  }
}

// Dawn keeps the event loop alive, so exit explicitly.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
