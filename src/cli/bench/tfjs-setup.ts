// TF.js's WebGPU backend in Node, on the same adapter (same Dawn instance) as our engine. Node has no
// `navigator`, and tfjs-backend-webgpu registers its backend at import time only when navigator.gpu
// exists, so this module installs `navigator.gpu` first and then imports TF.js dynamically. Run with tsx
// (see the gradients below).
import { createRequire } from 'node:module';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Gpu } from '../../gpu/device.ts';
import { nodeGpuInstance } from '../../gpu/node.ts';

export type Tf = typeof TfCore;

export interface TfjsSetup {
  tf: Tf;
  /** Adapter description TF.js's device reports (vendor/architecture/description as Dawn gives them). */
  adapterInfo: string;
  /** Whether TF.js's device has timestamp queries (tf.time().kernelMs is then GPU time). */
  timestampQuery: boolean;
}

/** TF.js with the webgpu backend active, its adapter requested from the Dawn instance that gave `gpu`. */
export async function setupTfjs(gpu: Gpu): Promise<TfjsSetup> {
  const instance = nodeGpuInstance(gpu.adapterName);
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu: instance }, configurable: true, writable: true });
  else g.navigator.gpu = instance;
  const tf = await import('@tensorflow/tfjs-core');
  // tfjs-core's Node bundle has no gradients; the union package @tensorflow/tfjs registers them from this
  // ES-module file, whose extensionless imports Node's ESM loader rejects; require() (tsx compiles it)
  // loads it, and it registers into tfjs-core's global gradient registry.
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
  if (!tf.getGradient('RealDiv')) throw new Error('TF.js gradients did not register');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new Error('TF.js did not register its webgpu backend (navigator.gpu missing at import?)');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not initialize the webgpu backend (see the warning above)');
  await tf.ready();
  const backend = tf.backend() as unknown as { device: GPUDevice; adapterInfo?: unknown };
  const info = (backend.adapterInfo ?? {}) as Partial<GPUAdapterInfo>;
  return {
    tf,
    adapterInfo: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown',
    timestampQuery: backend.device.features.has('timestamp-query'),
  };
}

/** The parts of TF.js's WebGPUBackend (public in its JS and .d.ts) the bench drives directly. */
interface WebGpuBackendLike {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/**
 * Submit what TF.js has recorded but not yet submitted (it batches WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
 * dispatches per submit) and return the device's queue, so the caller can sleep and then await
 * onSubmittedWorkDone() without reading any tensor back.
 */
export function submitTfjs(tf: Tf): GPUQueue {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  return backend.device.queue;
}

/** Compute dispatches TF.js records while `f` runs (it records each one in its private recordAndSubmit). */
export function countTfjsDispatches(tf: Tf, f: () => void): number {
  const backend = tf.backend() as unknown as { recordAndSubmit: (...args: unknown[]) => unknown };
  const original = backend.recordAndSubmit;
  let count = 0;
  backend.recordAndSubmit = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    f();
  } finally {
    backend.recordAndSubmit = original;
  }
  return count;
}
