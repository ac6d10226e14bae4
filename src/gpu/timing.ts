// Timing of dispatch lists on the GPU for the kernel bench: timestamp queries on the compute pass when the
// adapter has them (query set and buffers created once per timer), else wall clock around
// onSubmittedWorkDone. In Node, awaiting a GPU promise busy-polls the JS thread, which steals a core from a
// software driver (lavapipe, SwiftShader); so the timer sleeps (Atomics.wait) through most of the expected
// time before it awaits.
import type { Gpu } from './device.ts';
import { Usage } from './buffers.ts';
import { encodeDispatches, type Dispatch } from './kernel.ts';

export interface GpuTimer {
  /** How `time` measures: GPU timestamps, or host wall clock. */
  readonly method: 'timestamp-query' | 'wall-clock';
  /**
   * Milliseconds per repeat of `dispatches`, encoded `repeats` times in one pass and one submit, after
   * `warmup` untimed submits of one repeat each (compilation, first touch of memory, caches). The last
   * warm-up tells how long to sleep before awaiting; with warmup 0 (the caller has just run the
   * dispatches itself) pass that expectation, per repeat, as `expectMs`.
   */
  time(dispatches: readonly Dispatch[], repeats?: number, warmup?: number, expectMs?: number): Promise<number>;
  /** Free the query set and buffers. */
  destroy(): void;
}

/** Block the thread for `ms` without spinning; a no-op where Atomics.wait is not allowed (a page's main thread). */
export function sleepBlocking(ms: number): void {
  if (!(ms > 0) || typeof SharedArrayBuffer === 'undefined') return;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  } catch {
    // Atomics.wait is disallowed here; awaiting alone is still correct, only less kind to the driver.
  }
}

/** Share of the expected GPU time spent asleep before awaiting. */
const SLEEP_SHARE = 0.85;

/** Submit, sleep through most of `expectMs`, then wait for the GPU. Resolves with the wall time (ms). */
async function submitAndWait(gpu: Gpu, command: GPUCommandBuffer, expectMs: number, after?: () => Promise<void>): Promise<number> {
  const start = performance.now();
  gpu.device.queue.submit([command]);
  sleepBlocking(expectMs * SLEEP_SHARE);
  await (after ? after() : gpu.device.queue.onSubmittedWorkDone());
  return performance.now() - start;
}

function encodeRepeats(gpu: Gpu, dispatches: readonly Dispatch[], repeats: number, timestampWrites?: GPUComputePassTimestampWrites): GPUCommandEncoder {
  const encoder = gpu.device.createCommandEncoder({ label: 'timer' });
  const pass = encoder.beginComputePass({ label: 'timed', timestampWrites });
  for (let r = 0; r < repeats; r++) encodeDispatches(pass, dispatches);
  pass.end();
  return encoder;
}

/** A timer for `gpu`; uses timestamp queries when the device has the feature. */
export function createGpuTimer(gpu: Gpu): GpuTimer {
  const useTimestamps = gpu.features.timestampQuery;
  const owner = gpu.owner.child('timer');
  const querySet = useTimestamps ? owner.querySet({ type: 'timestamp', count: 2, label: 'timer' }) : null;
  const resolve = useTimestamps ? owner.create({ size: 16, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC, label: 'timer resolve' }) : null;
  const readback = useTimestamps ? owner.create({ size: 16, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'timer readback' }) : null;
  let expectPerRepeat = 0; // wall time of the last warm-up, to know how long to sleep

  async function warm(dispatches: readonly Dispatch[], warmup: number, expectMs: number): Promise<void> {
    expectPerRepeat = expectMs;
    for (let i = 0; i < warmup; i++) {
      expectPerRepeat = await submitAndWait(gpu, encodeRepeats(gpu, dispatches, 1).finish(), expectPerRepeat);
    }
  }

  async function timeWithTimestamps(dispatches: readonly Dispatch[], repeats: number): Promise<number> {
    const encoder = encodeRepeats(gpu, dispatches, repeats, { querySet: querySet!, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
    encoder.resolveQuerySet(querySet!, 0, 2, resolve!, 0);
    encoder.copyBufferToBuffer(resolve!, 0, readback!, 0, 16);
    const wall = await submitAndWait(gpu, encoder.finish(), expectPerRepeat * repeats, () => readback!.mapAsync(GPUMapMode.READ));
    const [begin, end] = new BigUint64Array(readback!.getMappedRange().slice(0));
    readback!.unmap();
    const ns = Number(end - begin);
    // Some drivers report zero or wrapped timestamps; the wall clock is then the better answer.
    return end > begin && ns < wall * 1e6 * 2 ? ns / 1e6 / repeats : wall / repeats;
  }

  return {
    method: useTimestamps ? 'timestamp-query' : 'wall-clock',
    async time(dispatches, repeats = 5, warmup = 1, expectMs = 0) {
      await warm(dispatches, warmup, warmup > 0 ? 0 : expectMs);
      if (useTimestamps) return timeWithTimestamps(dispatches, repeats);
      return (await submitAndWait(gpu, encodeRepeats(gpu, dispatches, repeats).finish(), expectPerRepeat * repeats)) / repeats;
    },
    destroy: () => owner.destroy(),
  };
}
