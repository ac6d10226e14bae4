// TF.js's WebGPU backend built on OUR GPUDevice, for the side-by-side bench, in Node and in the page's
// bench worker alike. The platform front-ends load the modules (Node: navigator.gpu from Dawn, gradients
// through require; the worker: plain imports) and pass them here. tfjs-backend-webgpu registers a
// 'webgpu' factory at import that requests its own adapter and device; we replace it with one that wraps
// our device (WebGPUBackend's constructor takes a device), so both engines share one device, one queue
// and one set of limits. The name must stay 'webgpu': TF.js looks kernels up by backend name.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Gpu } from '../gpu/device.ts';

export type Tf = typeof TfCore;

/** What a front-end loads: tfjs-core (gradients registered) and the webgpu backend's class. */
export interface TfjsModules {
  tf: Tf;
  WebGPUBackend: typeof WebGPUBackend;
}

export interface TfjsSetup {
  tf: Tf;
  /** Adapter description TF.js's backend reports (vendor/architecture/description). */
  adapterInfo: string;
  /** Whether the device has timestamp queries (tf.time().kernelMs is then GPU time). */
  timestampQuery: boolean;
  /** Whether TF.js runs on our device (always, since the backend is built on it). */
  sharedDevice: boolean;
}

/** TF.js with the webgpu backend active on `gpu.device`. */
export async function setupTfjs(modules: TfjsModules, gpu: Gpu): Promise<TfjsSetup> {
  const { tf, WebGPUBackend } = modules;
  if (!tf.getGradient('RealDiv')) throw new Error('TF.js gradients did not register (import @tensorflow/tfjs-core/dist/register_all_gradients)');
  // GPUDevice.adapterInfo (recent WebGPU); TF.js uses vendor/architecture to tune for Intel GPUs only.
  const info = (gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(gpu.device, info), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not initialize its webgpu backend on our device (see the warning above)');
  await tf.ready();
  const backend = tf.backend() as unknown as { device: GPUDevice };
  if (backend.device !== gpu.device) throw new Error('TF.js webgpu backend is not on our device');
  return {
    tf,
    adapterInfo: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || gpu.adapterName,
    timestampQuery: backend.device.features.has('timestamp-query'),
    sharedDevice: true,
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

/**
 * The programs TF.js records while `f` runs, by kind (the start of each program's shaderKey, e.g.
 * "matMulPacked"; class names would be minified in a production build). TF.js records every compute
 * dispatch in its private recordAndSubmit, which this wraps for the duration of `f`.
 */
export function tfjsProgramNames(tf: Tf, f: () => void): string[] {
  const backend = tf.backend() as unknown as { recordAndSubmit: (program: { shaderKey?: string }, ...rest: unknown[]) => unknown };
  const original = backend.recordAndSubmit;
  const names: string[] = [];
  backend.recordAndSubmit = function (this: unknown, program, ...rest) {
    names.push(program.shaderKey?.split('_')[0] || 'unknown');
    return original.call(this, program, ...rest);
  };
  try {
    f();
  } finally {
    backend.recordAndSubmit = original;
  }
  return names;
}

/** Compute dispatches TF.js records while `f` runs. */
export function countTfjsDispatches(tf: Tf, f: () => void): number {
  return tfjsProgramNames(tf, f).length;
}
