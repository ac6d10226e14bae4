// Deferred reduction finishes: the second stage of a step's parameter-gradient reductions (LayerNorm dg/db,
// dkappa/dalpha), all in ONE dispatch at the end of the backward (shaders/reduce.wgsl segment_finish)
// instead of one finish per reduction. A node that makes chunk partials registers a segment at graph build
// time; sealing the graph (end of buildBackward) defers every segment whose target is a parameter gradient
// that no later node touches (so writing it last changes nothing), and appends the finish node. A segment
// that cannot be deferred is finished by its own node, as before (the launcher's own finish dispatch).
// The partials of all segments share one buffer per compiled graph, made when the first of its nodes is
// lowered (each segment at a 256-byte aligned offset, so that a node binds only its own range).
import { maxBindingElements } from '../gpu/kernel.ts';
import { createTensor, type GpuTensor } from '../gpu/tensor.ts';
import { segmentFinish, type FinishSegment } from '../gpu/kernels/reduce.ts';
import type { Graph, LowerContext, Node, Tensor } from './graph.ts';

interface Segment {
  /** The gradient the finish writes (cols elements at its location). */
  target: Tensor;
  chunks: number;
  cols: number;
  /** Partials stored (chunks, cols), or transposed (cols, chunks). */
  transposed: boolean;
  accumulate: boolean;
  /** Element offset of the segment's partials in the shared buffer. */
  at: number;
  writer: Node | null;
  deferred: boolean;
}

const ALIGN = 64; // elements: 256 bytes

export class DeferredFinish {
  private readonly segments: Segment[] = [];
  private size = 0;
  private sealed = false;
  private readonly buffers = new WeakMap<LowerContext, GpuTensor>();

  /**
   * Register the finish of `chunks` partials of each of `cols` sums into `target` (a gradient), stored
   * (chunks, cols), or (cols, chunks) when `transposed`: its segment id.
   */
  add(target: Tensor, chunks: number, cols: number, accumulate: boolean, transposed = false): number {
    if (this.sealed) throw new Error(`deferred finish of ${target.name}: registered after the graph was sealed`);
    this.segments.push({ target, chunks, cols, transposed, accumulate, at: this.size, writer: null, deferred: false });
    this.size += Math.ceil((chunks * cols) / ALIGN) * ALIGN;
    return this.segments.length - 1;
  }

  /** The node that writes segment `id`'s partials (set before the graph is sealed). */
  writtenBy(id: number, node: Node): void {
    this.segments[id].writer = node;
  }

  /** Whether segment `id` is finished by the deferred node (known once sealed: lowering time). */
  deferred(id: number): boolean {
    return this.segments[id].deferred;
  }

  /** Segment `id`'s partials ((chunks, cols), or (cols, chunks) transposed) in this compiled graph's shared buffer. */
  partials(c: LowerContext, id: number): GpuTensor {
    let buffer = this.buffers.get(c);
    if (!buffer) {
      buffer = createTensor(c.gpu, [this.size], 'f32', 'deferred finish partials');
      this.buffers.set(c, buffer);
    }
    const s = this.segments[id];
    return { ...buffer, shape: s.transposed ? [s.cols, s.chunks] : [s.chunks, s.cols], byteOffset: (buffer.byteOffset ?? 0) + s.at * 4 };
  }

  /** Decide which segments are deferred and append the finish node (after every backward node). */
  seal(graph: Graph): void {
    this.sealed = true;
    const index = new Map(graph.nodes.map((n, i) => [n, i]));
    for (const s of this.segments) {
      const w = s.writer ? index.get(s.writer) : undefined;
      if (w === undefined || s.target.storage.kind !== 'grads') continue;
      s.deferred = !graph.nodes.slice(w + 1).some((n) => n.reads.includes(s.target) || n.writes.includes(s.target));
    }
    // A node's segments are deferred together or not at all (its launcher finishes all of them or none).
    for (const s of this.segments) {
      if (this.segments.some((o) => o.writer === s.writer && !o.deferred)) s.deferred = false;
    }
    const deferred = this.segments.filter((s) => s.deferred);
    if (deferred.length === 0) return;
    graph.add({
      label: 'parameter gradient finishes',
      reads: [],
      writes: [...new Set(deferred.map((s) => s.target))],
      lower: (c) => this.lowerFinish(c, deferred),
    });
  }

  /** One dispatch over the whole gradient buffer, or (past one binding) one per segment over its window. */
  private lowerFinish(c: LowerContext, deferred: Segment[]) {
    const partials = this.buffers.get(c);
    if (!partials) throw new Error('parameter gradient finishes: no partials were written');
    const placed = deferred.map((s) => ({ s, loc: c.loc(s.target) }));
    const flat = placed[0].loc.tensor.buffer;
    const segment = (s: Segment, dst: number): FinishSegment => ({
      src: s.at, chunks: s.chunks, cols: s.cols, dst, accumulate: s.accumulate,
      chunkStride: s.transposed ? 1 : s.cols, colStride: s.transposed ? s.chunks : 1,
    });
    const whole = flat.size / 4;
    if (placed.every((p) => p.loc.tensor.buffer === flat) && whole <= maxBindingElements(c.gpu)) {
      const out: GpuTensor = { buffer: flat, shape: [whole], dtype: 'f32' };
      return [segmentFinish(c.gpu, out, partials, placed.map(({ s, loc }) => segment(s, (loc.tensor.byteOffset ?? 0) / 4 + loc.offset)))];
    }
    return placed.map(({ s, loc }) => segmentFinish(c.gpu, loc.tensor, partials, [segment(s, loc.offset)]));
  }
}
