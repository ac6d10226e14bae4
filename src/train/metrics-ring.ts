// The step metrics' way back to the host: a small ring of mapped buffers. A step that takes a slot copies
// its loss and token count, the step status (gradient norm, NaN/Inf flag) and every kappa/alpha into it,
// plus the begin/end timestamps of its pass when the device has timestamp queries; the slot is mapped
// asynchronously and returns to the ring once read. A step finding no free slot reports nothing: the
// training loop never waits for a readback.
import type { Gpu } from '../gpu/device.ts';
import type { BufferOwner } from '../gpu/memory.ts';
import { Usage } from '../gpu/buffers.ts';
import { decodeStepStatus, type StepStatus } from '../gpu/kernels/grad_norm.ts';

/** Readbacks in flight at most. */
export const READBACK_SLOTS = 8;

/** What one slot held, decoded. */
export interface SlotValues {
  loss: number;
  tokens: number;
  status: StepStatus;
  /** kappa/alpha in the flat table's order. */
  branches: Float32Array;
  /** GPU time of the step's pass, or null without timestamps (or a clock that went backwards). */
  gpuMs: number | null;
}

/** Where the values of a step are on the GPU (byte offsets). */
export interface SlotSources {
  stats: { buffer: GPUBuffer; offset: number };
  status: GPUBuffer;
  branches: { buffer: GPUBuffer; offset: number; count: number };
}

export class MetricsRing {
  private readonly slots: GPUBuffer[] = [];
  private readonly free: number[] = [];
  /** Begin/end timestamps of the step's pass, two per slot (when timestamp-query is present). */
  private readonly timestamps: { querySet: GPUQuerySet; resolve: GPUBuffer } | null = null;
  /** Slot layout: loss, tokens | step status (4 words) | kappa/alpha | (8-aligned) begin, end timestamps. */
  private readonly timestampOffset: number;
  private pendingReads = 0;

  private readonly owner: BufferOwner;

  constructor(gpu: Gpu, private readonly branchCount: number) {
    this.owner = gpu.owner.child('metrics ring');
    const metricsBytes = (2 + 4 + branchCount) * 4;
    this.timestampOffset = Math.ceil(metricsBytes / 8) * 8;
    if (gpu.features.timestampQuery) {
      this.timestamps = {
        querySet: this.owner.querySet({ type: 'timestamp', count: 2 * READBACK_SLOTS, label: 'step timestamps' }),
        // resolveQuerySet needs 256-byte aligned destinations: one 256-byte row per slot.
        resolve: this.owner.create({ size: 256 * READBACK_SLOTS, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC, label: 'step timestamps resolve' }),
      };
    }
    for (let i = 0; i < READBACK_SLOTS; i++) {
      this.slots.push(this.owner.create({ size: this.timestampOffset + 16, usage: Usage.MAP_READ | Usage.COPY_DST, label: `metrics readback ${i}` }));
      this.free.push(i);
    }
  }

  /** True when a step can report (a slot is free). */
  get canReport(): boolean {
    return this.free.length > 0;
  }

  /** Readbacks not yet delivered. */
  get pending(): number {
    return this.pendingReads;
  }

  /** A free slot for the next step, or null. */
  take(): number | null {
    return this.free.pop() ?? null;
  }

  /** The pass descriptor that timestamps the step's pass into `slot` (undefined without timestamps). */
  passDescriptor(slot: number): GPUComputePassDescriptor | undefined {
    const ts = this.timestamps;
    return ts ? { timestampWrites: { querySet: ts.querySet, beginningOfPassWriteIndex: 2 * slot, endOfPassWriteIndex: 2 * slot + 1 } } : undefined;
  }

  /** Copy the step's values into `slot` (after the step's pass, in the same command buffer). */
  encode(encoder: GPUCommandEncoder, slot: number, from: SlotSources): void {
    const buffer = this.slots[slot];
    encoder.copyBufferToBuffer(from.stats.buffer, from.stats.offset, buffer, 0, 8);
    encoder.copyBufferToBuffer(from.status, 0, buffer, 8, 16);
    const { count } = from.branches;
    if (count > 0) encoder.copyBufferToBuffer(from.branches.buffer, from.branches.offset, buffer, 24, count * 4);
    const ts = this.timestamps;
    if (ts) {
      encoder.resolveQuerySet(ts.querySet, 2 * slot, 2, ts.resolve, 256 * slot);
      encoder.copyBufferToBuffer(ts.resolve, 256 * slot, buffer, this.timestampOffset, 16);
    }
  }

  /** After the submit: map `slot`, decode it, hand the values on and free the slot. */
  collect(slot: number, deliver: (values: SlotValues) => void): void {
    const buffer = this.slots[slot];
    this.pendingReads++;
    buffer.mapAsync(GPUMapMode.READ).then(
      () => {
        const bytes = buffer.getMappedRange().slice(0);
        buffer.unmap();
        this.free.push(slot);
        this.pendingReads--;
        deliver(this.decode(bytes));
      },
      () => {
        this.pendingReads--; // device lost or destroyed: the fault handler reports it
      },
    );
  }

  private decode(bytes: ArrayBuffer): SlotValues {
    const f = new Float32Array(bytes);
    let gpuMs: number | null = null;
    if (this.timestamps) {
      const [begin, end] = new BigUint64Array(bytes, this.timestampOffset, 2);
      // Nanoseconds; a quantized or reset clock can give end < begin: report nothing then.
      gpuMs = end > begin ? Number(end - begin) / 1e6 : null;
    }
    return { loss: f[0], tokens: f[1], status: decodeStepStatus(bytes.slice(8, 24)), branches: f.slice(6, 6 + this.branchCount), gpuMs };
  }

  destroy(): void {
    this.owner.destroy();
  }
}
