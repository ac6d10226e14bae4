// GPU errors that must not pass silently: a validation or out-of-memory error during compilation (a
// buffer, pipeline or bind group the device refused) leaves dispatches that do nothing, so results read
// back would be zeros. Work that creates GPU objects runs inside error scopes (captureErrors); what a
// scope catches is reported through the device's fault channel (Gpu.reportFault: uncapturedErrors and the
// onFault callback), and the promise it returns lets a caller wait for the verdict and throw.
import type { Gpu } from './device.ts';

export class GpuFaultError extends Error {
  override name = 'GpuFaultError';
}

export interface Captured<T> {
  value: T;
  /** Resolves with the first error the scopes caught (already reported), or null. Never rejects. */
  errors: Promise<string | null>;
}

/** An open pair of error scopes (validation inside out-of-memory) on the device; close them exactly once. */
export interface ErrorScopes {
  /** Pop both scopes: resolves with the first error they caught (already reported), or null. Never rejects. */
  close(): Promise<string | null>;
}

/** Open a validation and an out-of-memory error scope; `what` names the work in the messages. */
export function openErrorScopes(gpu: Gpu, what: string): ErrorScopes {
  const device = gpu.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let closed = false;
  return {
    close() {
      if (closed) throw new Error(`${what}: error scopes closed twice`);
      closed = true;
      return settle(gpu, what, device.popErrorScope(), device.popErrorScope());
    },
  };
}

/**
 * Run `fn` (synchronous GPU object creation) inside a validation and an out-of-memory error scope.
 * `what` names the work in the message ("compiling train 4x8x8: GPU validation error: ...").
 */
export function captureErrors<T>(gpu: Gpu, what: string, fn: () => T): Captured<T> {
  const scopes = openErrorScopes(gpu, what);
  let value: T;
  try {
    value = fn();
  } catch (err) {
    void scopes.close(); // stack discipline; what they caught is still reported
    throw err;
  }
  return { value, errors: scopes.close() };
}

async function settle(gpu: Gpu, what: string, validation: Promise<GPUError | null>, memory: Promise<GPUError | null>): Promise<string | null> {
  const results = await Promise.allSettled([validation, memory]);
  const messages = results.flatMap((r, i) => {
    const kind = i === 0 ? 'validation' : 'out-of-memory';
    if (r.status === 'rejected') return [`${what}: the GPU error scope failed (${String(r.reason)})`];
    return r.value ? [`${what}: GPU ${kind} error: ${r.value.message}`] : [];
  });
  for (const m of messages) gpu.reportFault(m);
  return messages[0] ?? null;
}
