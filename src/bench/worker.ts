// The bench worker: acquires its own GPU device, builds TF.js's webgpu backend on that same device, runs
// the side-by-side bench (run.ts) and streams log lines and rows to the page, then the report. One run
// per worker; the page terminates it afterwards, which frees the device and TF.js's memory.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradients (the union package @tensorflow/tfjs imports this file).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { acquireBrowserGpu } from '../gpu/device.ts';
import { BENCH_PRESETS, type BenchPageMessage, type BenchStart, type BenchWorkerMessage } from './protocol.ts';
import { defaultBenchOptions, type BenchHost, type BenchOptions } from './report.ts';
import { describeTfjs, runBench } from './run.ts';
import { setupTfjs } from './tfjs.ts';

const post = (message: BenchWorkerMessage) => (self as unknown as Worker).postMessage(message);

/** The page's choice, checked (it crosses a thread boundary as untyped data). */
function benchOptions(start: BenchStart): BenchOptions {
  if (!['full', 'quick', 'tiny'].includes(start.size)) throw new Error(`bench: unknown size "${String(start.size)}"`);
  const unknown = start.presets.filter((p) => !(BENCH_PRESETS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`bench: unknown presets ${unknown.join(', ')} (known: ${BENCH_PRESETS.join(', ')})`);
  if (start.size !== 'tiny' && start.presets.length === 0) throw new Error('bench: choose at least one preset');
  return defaultBenchOptions(start.size, start.presets);
}

/** Awaiting in a worker does not spin, so there is nothing to gain from blocking it. */
const host: BenchHost = {
  log: (line) => post({ type: 'log', line }),
  note: (line) => post({ type: 'log', line }),
  sleep: () => {},
  onMatmulRow: (row) => post({ type: 'matmul-row', row }),
  onTrainRow: (row) => post({ type: 'train-row', row }),
};

async function run(start: BenchStart): Promise<void> {
  const options = benchOptions(start);
  const gpu = await acquireBrowserGpu();
  gpu.onFault((message) => post({ type: 'log', line: message }));
  const setup = await setupTfjs({ tf, WebGPUBackend }, gpu);
  post({ type: 'ready', adapter: gpu.adapterName, tfjs: describeTfjs(setup) });
  const lost = gpu.lost.then((message) => Promise.reject(new Error(message)));
  post({ type: 'report', report: await Promise.race([runBench(gpu, setup, options, host), lost]) });
}

let started = false;

self.addEventListener('message', (event: MessageEvent<BenchPageMessage>) => {
  if (event.data.type !== 'start' || started) return;
  started = true;
  run(event.data.options).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
