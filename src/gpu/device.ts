// Device acquisition shared by the browser and Node: capability checks in one place, with failures that
// say what is missing and how to get it (webgpu-samples' quitIfAdapterNotAvailable, made readable).
import { BufferOwner, type GpuMemory } from './memory.ts';
import { PipelineCache } from './pipelines.ts';
import type { MatmulChoice } from './kernels/matmul.ts';

/** Optional features we use when the adapter has them. */
export interface GpuFeatures {
  timestampQuery: boolean;
  shaderF16: boolean;
  subgroups: boolean;
}

/** Counters of GPU objects created; the compiled training step must leave them unchanged. */
export interface GpuCounters {
  pipelines: number;
  buffers: number;
  bindGroups: number;
}

/** Everything a launcher needs: the device, what it can do, and the caches that make creation one-time. */
export interface Gpu {
  device: GPUDevice;
  adapterName: string;
  features: GpuFeatures;
  limits: GPUSupportedLimits;
  pipelines: PipelineCache;
  /** Where buffers created through this handle go: the device's root owner, or a narrower one (ownedBy). */
  owner: BufferOwner;
  /** Live GPU bytes and buffers of the whole device (every owner). */
  memory: GpuMemory;
  counters: GpuCounters;
  /** Resolves with a message when the device is lost (never rejects). */
  lost: Promise<string>;
  /** Errors the device reported outside any error scope, those our error scopes caught (captureErrors in
   *  errors.ts), and a device loss, newest last: any entry means results read back may be garbage. */
  uncapturedErrors: string[];
  /** Set a callback for uncaptured errors and device loss (one place for both; `kind` tells which). */
  onFault(callback: (message: string, kind: 'error' | 'lost') => void): void;
  /** Report an error an error scope caught: recorded in uncapturedErrors and passed to the onFault callback. */
  reportFault(message: string): void;
  /** Kernel variants tuned for this adapter (src/gpu/tune.ts), per shape class; absent: every kernel's default. */
  kernelChoice?: KernelChoice;
}

/** Tuned kernel variants per kernel family (see src/gpu/tune.ts). */
export interface KernelChoice {
  matmul?: MatmulChoice;
}

/** The limits our kernels need; the device is requested with at least these (adapter permitting). */
export const REQUIRED_LIMITS = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
} as const;

/** Limits we raise to the adapter's maximum when it offers more (bigger models, bigger batches). */
const RAISED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const;

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** A short human name for the adapter, e.g. "llvmpipe (Mesa 25.0.7)" or "SwiftShader". */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  if (parts.length === 0) return 'unknown adapter';
  return [...new Set(parts)].join(' / ');
}

/**
 * Request a device from an adapter with the features and limits we need. Throws GpuUnavailableError
 * naming the limit that is too small.
 */
export async function createGpu(adapter: GPUAdapter, adapterName = describeAdapter(adapter)): Promise<Gpu> {
  for (const [name, needed] of Object.entries(REQUIRED_LIMITS)) {
    const have = adapter.limits[name as keyof GPUSupportedLimits] as number;
    if (have < needed) {
      throw new GpuUnavailableError(
        `The GPU adapter "${adapterName}" offers ${name} = ${have}, but the kernels need at least ${needed}. ` +
          'Try another browser or GPU, or update the graphics driver.',
      );
    }
  }
  const requiredFeatures: GPUFeatureName[] = [];
  const features: GpuFeatures = {
    timestampQuery: adapter.features.has('timestamp-query'),
    shaderF16: adapter.features.has('shader-f16'),
    subgroups: adapter.features.has('subgroups'),
  };
  if (features.timestampQuery) requiredFeatures.push('timestamp-query');
  if (features.shaderF16) requiredFeatures.push('shader-f16');
  if (features.subgroups) requiredFeatures.push('subgroups' as GPUFeatureName);

  const requiredLimits: Record<string, number> = { ...REQUIRED_LIMITS };
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name] as number;

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'playground' });
  } catch (err) {
    throw new GpuUnavailableError(`The GPU adapter "${adapterName}" refused to create a device: ${String(err)}`);
  }
  return wrapDevice(device, adapterName, features);
}

function wrapDevice(device: GPUDevice, adapterName: string, features: GpuFeatures): Gpu {
  const counters: GpuCounters = { pipelines: 0, buffers: 0, bindGroups: 0 };
  const memory: GpuMemory = { liveBytes: 0, liveBuffers: 0, peakBytes: 0 };
  const uncapturedErrors: string[] = [];
  let faultCallback: ((message: string, kind: 'error' | 'lost') => void) | null = null;
  device.addEventListener('uncapturederror', (event) => {
    const message = `GPU error: ${(event as GPUUncapturedErrorEvent).error.message}`;
    uncapturedErrors.push(message);
    faultCallback?.(message, 'error');
  });
  const lost = device.lost.then((info) => {
    const message = `GPU device lost (${info.reason}): ${info.message}`;
    if (info.reason !== 'destroyed') {
      uncapturedErrors.push(message);
      faultCallback?.(message, 'lost');
    }
    return message;
  });
  return {
    device,
    adapterName,
    features,
    limits: device.limits,
    pipelines: new PipelineCache(device, counters),
    owner: new BufferOwner(device, counters, memory, 'device'),
    memory,
    counters,
    lost,
    uncapturedErrors,
    onFault(callback) {
      faultCallback = callback;
    },
    reportFault(message) {
      uncapturedErrors.push(message);
      faultCallback?.(message, 'error');
    },
  };
}

/** The limits as a plain object (a GPUSupportedLimits' values are getters on its prototype: a spread copies none). */
export function plainLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // for-in walks the prototype's enumerable WebIDL attributes too.
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

/**
 * The same device seen with some limits lowered (never raised past what it has): every launcher, the
 * compiled graphs and the optimizer read `gpu.limits`, so a test can make a small model exceed "the largest
 * storage binding" and exercise the chunked paths that a 256 MB model needs on a real device.
 */
export function withLimits(gpu: Gpu, lowered: Partial<Record<keyof GPUSupportedLimits, number>>): Gpu {
  const limits = plainLimits(gpu.limits);
  for (const [key, value] of Object.entries(lowered)) {
    if (typeof value !== 'number' || !(key in limits)) throw new Error(`withLimits: unknown limit ${key}`);
    if (value > limits[key]) throw new Error(`withLimits: ${key} ${value} exceeds the device's ${limits[key]}`);
    limits[key] = value;
  }
  return { ...gpu, limits: limits as unknown as GPUSupportedLimits };
}

/** The same device, with buffers created through it owned by `owner` (a compiled graph, a trainer, ...). */
export function ownedBy(gpu: Gpu, owner: BufferOwner): Gpu {
  return { ...gpu, owner };
}

/** Browser (page or worker): navigator.gpu, with messages for each way it can be missing. */
export async function acquireBrowserGpu(): Promise<Gpu> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new GpuUnavailableError(
      'This browser does not expose WebGPU (navigator.gpu is missing). Use a recent Chrome or Edge ' +
        '(113+) on a secure origin (https or localhost); on Linux, start Chrome with ' +
        '--enable-unsafe-webgpu --enable-features=Vulkan, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError(
      'WebGPU is present but no GPU adapter was granted (the GPU may be blocklisted or the driver too old). ' +
        'Check chrome://gpu, update the graphics driver, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  return createGpu(adapter);
}
