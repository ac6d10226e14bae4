// `npm run bench:kernels -- [--out F.json] [--quick] [--tuning-only] [--rounds N]`: times the kernels on the Node WebGPU adapter
// (WEBGPU_ADAPTER picks one, e.g. swiftshader), prints tables and writes
// {"adapter": "...", "timer": "...", "matmul": [...], "attention": [...]}. Matmul rows time the launch the
// training graph makes (split along K when the grid is small: `split`), and beside it, interleaved, the
// same product unsplit (`unsplit`) and with B stored as f16 (`f16 B`); see src/cli/bench/matmul.ts.
// Then the tuning (src/gpu/tune.ts, WEBGPU_TUNE=off|fresh|auto; off skips it): the choice per shape class
// for this adapter, and each model shape timed with the default variant and the tuned one side by side
// (interleaved rounds, medians; the same variant twice shows the run-to-run noise).
import { writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { createGpuTimer, type GpuTimer } from '../gpu/timing.ts';
import type { Gpu } from '../gpu/device.ts';
import { gpuTuningKey, isSoftwareAdapter, tuneForGpu, tuneMode } from '../gpu/tune.ts';
import { matmulDispatches, matmulShapeClass, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { createTensor, releaseTensor } from '../gpu/tensor.ts';
import { matmulBenchCases } from '../bench/cases.ts';
import { benchMatmul } from './bench/matmul.ts';
import { benchAttention } from './bench/attention.ts';

interface Args {
  out?: string;
  quick: boolean;
  /** Only the tuning section (skip the matmul and attention tables). */
  tuningOnly: boolean;
  /** Interleaved default/tuned rounds per shape (default 5, 3 when quick). */
  rounds?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, tuningOnly: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--tuning-only') args.tuningOnly = true;
    else if (argv[i] === '--rounds' && argv[i + 1]) {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`bench:kernels: --rounds ${argv[i]} must be a positive integer`);
      args.rounds = n;
    }
    else if (argv[i] === '--out' && argv[i + 1]) args.out = argv[++i];
    else throw new Error(`bench:kernels: unknown argument "${argv[i]}" (usage: --out F.json [--quick] [--tuning-only] [--rounds N])`);
  }
  return args;
}

export interface TuningRow {
  name: string;
  shape_class: string;
  variant: MatmulVariant;
  default_ms: number;
  tuned_ms: number;
  /** default_ms / tuned_ms (> 1: the tuned choice is faster). */
  speedup: number;
}

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Tune the model shapes (mode from WEBGPU_TUNE), then time default against tuned per shape, interleaved. */
async function benchTuning(gpu: Gpu, timer: GpuTimer, quick: boolean, roundsArg?: number) {
  const mode = tuneMode();
  if (mode === 'off') {
    console.log('tuning: off (WEBGPU_TUNE=off)');
    return null;
  }
  const cases = matmulBenchCases(quick).filter((c) => !c.name.startsWith('square'));
  const start = performance.now();
  const tuned = await tuneForGpu(gpu, cases.map((c) => c.layout), { mode });
  const tuneMs = performance.now() - start;
  const choice = tuned.choice?.matmul ?? {};
  console.log(`tuning (${mode}): ${tuned.source}, ${tuneMs.toFixed(0)} ms, key "${gpuTuningKey(gpu)}"`);
  for (const c of tuned.classes) {
    const ms = Object.entries(c.medians).map(([v, t]) => `${v} ${t.toFixed(2)}`).join(', ');
    console.log(`  ${c.shapeClass.padEnd(22)} -> ${c.winner.padEnd(8)} (${ms} ms; ${c.rounds} rounds)`);
  }
  const rounds = roundsArg ?? (quick ? 3 : 5);
  const repeats = isSoftwareAdapter(gpu.adapterName) ? 3 : 20;
  const rows: TuningRow[] = [];
  console.log(`\ndefault vs tuned (median of ${rounds} interleaved rounds, ${repeats} runs each)`);
  console.log(`${'shape'.padEnd(32)} ${'class'.padEnd(22)} ${'tuned'.padEnd(8)} ${'default ms'.padStart(10)} ${'tuned ms'.padStart(10)} ${'speedup'.padStart(8)}`);
  for (const { name, layout } of cases) {
    const variant = choice[matmulShapeClass(layout)] ?? 'auto';
    const batch = layout.batch ?? 1;
    const [a, b, c] = [layout.m * layout.k * batch, layout.k * layout.n * batch, layout.m * layout.n * batch].map((n) => createTensor(gpu, [n]));
    const launches = { default: matmulDispatches(gpu, c, a, b, { ...layout, variant: 'auto' }), tuned: matmulDispatches(gpu, c, a, b, { ...layout, variant }) };
    const samples = { default: [] as number[], tuned: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['default', 'tuned'] as const) : (['tuned', 'default'] as const);
      for (const which of order) samples[which].push(await timer.time(launches[which], repeats, 1));
    }
    for (const t of [a, b, c]) releaseTensor(gpu, t);
    const row = { name, shape_class: matmulShapeClass(layout), variant, default_ms: medianOf(samples.default), tuned_ms: medianOf(samples.tuned), speedup: 0 };
    row.speedup = row.default_ms / row.tuned_ms;
    rows.push(row);
    console.log(`${name.padEnd(32)} ${row.shape_class.padEnd(22)} ${variant.padEnd(8)} ${row.default_ms.toFixed(3).padStart(10)} ${row.tuned_ms.toFixed(3).padStart(10)} ${row.speedup.toFixed(2).padStart(7)}x`);
  }
  return { mode, source: tuned.source, tune_ms: tuneMs, choice, classes: tuned.classes, rows };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const gpu = await acquireNodeGpu();
  gpu.onFault((message) => console.error(message));
  const timer = createGpuTimer(gpu);
  console.log(`adapter: ${gpu.adapterName} (timer: ${timer.method}${args.quick ? ', quick' : ''})\n`);

  const matmul = args.tuningOnly ? [] : await benchMatmul(gpu, timer, args);
  if (!args.tuningOnly) console.log();
  const attention = args.tuningOnly ? [] : await benchAttention(gpu, timer, args);
  if (!args.tuningOnly) console.log();
  const tuning = await benchTuning(gpu, timer, args.quick, args.rounds);

  if (gpu.uncapturedErrors.length > 0) throw new Error(`GPU errors during the bench:\n${gpu.uncapturedErrors.join('\n')}`);
  const report = { adapter: gpu.adapterName, timer: timer.method, matmul, attention, tuning };
  if (args.out) {
    writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${args.out}`);
  }
  timer.destroy();
  return 0;
}

// Dawn keeps the event loop alive, so exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
