// `npm run profile:step -- [--preset tiny] [--variant weighted] [--top 25]`: where a training step's GPU
// time goes. Each dispatch of the compiled step runs in its own compute pass with timestamp queries; the
// table sums GPU time by op (dispatch label). A profiling tool, not a test; needs timestamp-query.
import { acquireNodeGpu } from '../gpu/node.ts';
import { Usage } from '../gpu/buffers.ts';
import { presetConfig, PRESETS, type Variant } from '../model/config.ts';
import { Trainer } from '../train/trainer.ts';
import { makeBatch } from '../data/batching.ts';
import { SeededRandom } from '../model/init.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';

const USAGE = 'npm run profile:step -- [--preset tiny|small|base] [--variant weighted|baseline] [--top N]';

async function main(): Promise<void> {
  const v = parseOptions(process.argv.slice(2), { preset: { type: 'string' }, variant: { type: 'string' }, top: { type: 'string' } }, USAGE);
  const preset = typeof v.preset === 'string' ? v.preset : 'tiny';
  if (!PRESETS[preset]) throw new UsageError(`unknown preset "${preset}"`);
  const variant = (v.variant === 'baseline' ? 'baseline' : 'weighted') as Variant;
  const top = numberOption(v, 'top', 25, { integer: true, min: 1 });
  const gpu = await acquireNodeGpu();
  if (!gpu.features.timestampQuery) throw new Error(`${gpu.adapterName} has no timestamp-query: cannot profile per dispatch`);
  const config = presetConfig(preset, variant);
  const rng = new SeededRandom(1);
  const ids = (n: number) => Array.from({ length: n }, () => 4 + Math.floor(rng.uniform() * (config.vocab - 4)));
  const rows = (preset === 'tiny' ? 2048 : 4096) / 64;
  const batch = makeBatch(Array.from({ length: rows }, () => ({ src: ids(31), tgt: ids(31) })), 32, 32);
  const trainer = new Trainer(gpu, config, { seed: 1, gradClip: 0, lrScale: 1, warmup: 4000, kappaWarmup: 400, steps: 1e6, freezeSteps: 0 });
  await trainer.prepare([batch]);
  trainer.trainStep(batch, false); // warm up
  await trainer.flush();
  const dispatches = trainer.bucket(batch).train;
  const querySet = gpu.owner.querySet({ type: 'timestamp', count: 2 * dispatches.length });
  const resolve = gpu.owner.create({ size: 16 * dispatches.length, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC });
  const read = gpu.owner.create({ size: 16 * dispatches.length, usage: Usage.MAP_READ | Usage.COPY_DST });
  const encoder = gpu.device.createCommandEncoder();
  dispatches.forEach((d, i) => {
    const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
    pass.end();
  });
  encoder.resolveQuerySet(querySet, 0, 2 * dispatches.length, resolve, 0);
  encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * dispatches.length);
  gpu.device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const stamps = new BigUint64Array(read.getMappedRange().slice(0));
  read.unmap();
  const times = dispatches.map((d, i) => ({ label: d.label, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 }));
  const total = times.reduce((s, t) => s + t.ms, 0);
  console.log(`adapter: ${gpu.adapterName}; ${preset} ${variant}, batch ${rows}x32+32: ${dispatches.length} dispatches, ${total.toFixed(1)} ms GPU in total`);
  // By kernel (the part after "node: "), then the most expensive single dispatches.
  printTable('kernel', group(times, (label) => (label.includes(': ') ? label.slice(label.lastIndexOf(': ') + 2) : label)), total, top);
  printTable('dispatch', group(times, (label) => label), total, top);
  trainer.destroy();
}

function group(times: { label: string; ms: number }[], key: (label: string) => string): Map<string, { ms: number; count: number }> {
  const out = new Map<string, { ms: number; count: number }>();
  for (const t of times) {
    const entry = out.get(key(t.label)) ?? { ms: 0, count: 0 };
    entry.ms += t.ms;
    entry.count++;
    out.set(key(t.label), entry);
  }
  return out;
}

function printTable(title: string, rows: Map<string, { ms: number; count: number }>, total: number, top: number): void {
  console.log(`\n${title.padEnd(48)} ${'ms'.padStart(9)} ${'share'.padStart(7)} ${'count'.padStart(6)}`);
  for (const [name, e] of [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(`${name.slice(0, 48).padEnd(48)} ${e.ms.toFixed(2).padStart(9)} ${((100 * e.ms) / total).toFixed(1).padStart(6)}% ${String(e.count).padStart(6)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
