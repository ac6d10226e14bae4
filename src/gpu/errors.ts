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

/**
 * The GPU faults of one user of the device (a trainer, a translator): the verdicts of its error scopes,
 * and the device's faults since it was made (uncapturedErrors is device-wide). `check` waits for every
 * verdict and throws GpuFaultError when anything was reported, so results read back from refused work are
 * never returned as if computed.
 */
export class FaultWatch {
  private readonly base: number;
  private readonly pending = new Set<Promise<string | null>>();

  /** `subject` names what would be garbage in the message ("results", "the translation"). */
  constructor(private readonly gpu: Gpu, private readonly prefix = '', private readonly subject = 'results') {
    this.base = gpu.uncapturedErrors.length;
  }

  /** GPU errors since this watch was made (validation, out-of-memory, device lost), oldest first. */
  get faults(): string[] {
    return this.gpu.uncapturedErrors.slice(this.base);
  }

  /** Wait for this verdict in the next check. */
  track(verdict: Promise<string | null>): void {
    this.pending.add(verdict);
    void verdict.then(() => this.pending.delete(verdict));
  }

  /** fn's value (synchronous GPU object creation), its error scopes tracked. */
  captured<T>(what: string, fn: () => T): T {
    const { value, errors } = captureErrors(this.gpu, what, fn);
    this.track(errors);
    return value;
  }

  /** Encode with `encode` and submit one command buffer inside error scopes, its verdict tracked. */
  submit(what: string, encode: (encoder: GPUCommandEncoder) => void): void {
    const scopes = openErrorScopes(this.gpu, what);
    try {
      const encoder = this.gpu.device.createCommandEncoder();
      encode(encoder);
      this.gpu.device.queue.submit([encoder.finish()]);
    } finally {
      this.track(scopes.close());
    }
  }

  /** Throw GpuFaultError if the device reported anything so far (no waiting). */
  throwIfFaulted(): void {
    const faults = this.faults;
    if (faults.length === 0) return;
    const count = faults.length === 1 ? 'an error' : `${faults.length} errors`;
    throw new GpuFaultError(`${this.prefix}the GPU reported ${count}, so ${this.subject} would be garbage: ${faults.join('; ')}`);
  }

  /** Wait for every tracked verdict, then throwIfFaulted. */
  async check(): Promise<void> {
    await Promise.all([...this.pending]);
    this.throwIfFaulted();
  }
}
