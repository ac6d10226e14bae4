// The whole side-by-side bench on one device: matmul GFLOP/s per shape, then whole training steps of the
// multi-head baseline (tokens/s) and our weighted model relative to our baseline. The same code runs under
// `npm run bench` (src/cli/bench.ts) and in the page's bench worker (worker.ts); the host says where lines
// go and how to sleep.
import type { Gpu } from '../gpu/device.ts';
import { createGpuTimer } from '../gpu/timing.ts';
import { benchMatmulSideBySide } from './matmul.ts';
import type { BenchHost, BenchOptions, BenchReport, TfjsInfo } from './report.ts';
import type { TfjsSetup } from './tfjs.ts';
import { benchTrainSideBySide } from './train.ts';

/** What TF.js runs on, for the report's header. */
export function describeTfjs(setup: TfjsSetup): TfjsInfo {
  return {
    version: setup.tf.version_core,
    backend: setup.tf.getBackend(),
    adapter: setup.adapterInfo,
    device: setup.sharedDevice ? 'same GPUDevice as ours' : 'its own device',
    timer: setup.timestampQuery ? 'tf.time kernelMs (timestamp-query)' : 'wall-clock',
  };
}

/** Run the bench; throws if the device reported errors on the way. */
export async function runBench(gpu: Gpu, setup: TfjsSetup, options: BenchOptions, host: BenchHost): Promise<BenchReport> {
  const timer = createGpuTimer(gpu);
  try {
    const tfjs = describeTfjs(setup);
    const size = options.size === 'full' ? '' : ` ${options.size}`;
    host.log(`adapter: ${gpu.adapterName} (ours: ${timer.method}; TF.js ${tfjs.version} ${tfjs.backend} on "${tfjs.adapter}", ${tfjs.device}: ${tfjs.timer})${size}\n`);
    const matmul = options.skip.includes('matmul') ? [] : await benchMatmulSideBySide(gpu, timer, setup, options.size, host);
    if (matmul.length > 0) host.log('');
    const train = options.skip.includes('train') ? [] : await benchTrainSideBySide(gpu, setup, options, host);
    if (gpu.uncapturedErrors.length > 0) throw new Error(`GPU errors during the bench:\n${gpu.uncapturedErrors.join('\n')}`);
    return { adapter: gpu.adapterName, ours_timer: timer.method, tfjs, size: options.size, steps_timed: options.steps, rounds: options.rounds, matmul, train };
  } finally {
    timer.destroy();
  }
}
