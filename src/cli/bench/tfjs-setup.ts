// TF.js in Node for the side-by-side bench: loads tfjs-core (with gradients) and the webgpu backend, for
// src/bench/tfjs.ts to build the backend on our device. Node has no `navigator`, and WebGPUBackend's
// constructor refuses to run without navigator.gpu, so this installs the Dawn instance that gave `gpu` as
// navigator.gpu first and then imports TF.js dynamically. Run with tsx (see the gradients below).
import { createRequire } from 'node:module';
import type { Gpu } from '../../gpu/device.ts';
import { nodeGpuInstance } from '../../gpu/node.ts';
import type { TfjsModules } from '../../bench/tfjs.ts';

export async function loadTfjsNode(gpu: Gpu): Promise<TfjsModules> {
  const instance = nodeGpuInstance(gpu.adapterName);
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu: instance }, configurable: true, writable: true });
  else g.navigator.gpu = instance;
  const tf = await import('@tensorflow/tfjs-core');
  // tfjs-core's Node bundle has no gradients; the union package @tensorflow/tfjs registers them from this
  // ES-module file, whose extensionless imports Node's ESM loader rejects; require() (tsx compiles it)
  // loads it, and it registers into tfjs-core's global gradient registry.
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
  const backend = await import('@tensorflow/tfjs-backend-webgpu');
  // The package's Node entry is CommonJS: its exports come as named exports or under `default`.
  const WebGPUBackend = backend.WebGPUBackend ?? (backend as unknown as { default: TfjsModules }).default.WebGPUBackend;
  return { tf, WebGPUBackend };
}
