// The parameter table (llm.c's ParameterTensors): one list of model.md's checkpoint keys with shapes,
// and where each lives in ONE flat f32 buffer. It drives allocation, init, checkpoint save/load and Adam.
//
// Physical packing (an engine detail; checkpoints use the logical keys): the Q/K/V weights of a
// self-attention sit side by side as one (D, 3D) block `wqkv` (and the biases as one (3D) block), the K/V
// of a cross-attention as one (D, 2D) block, so one matmul computes all three projections. A logical
// weight is then a column slice with row stride 3D (or 2D). All kappa/alpha vectors come last, contiguous,
// so Adam's second parameter group and the simplex projection each cover one range. Every block starts
// at a multiple of BLOCK_ALIGN elements (256 bytes, WebGPU's minStorageBufferOffsetAlignment), so a kernel
// can bind any block as a buffer sub-range; the padding between blocks stays zero and is never trained.
import type { ModelConfig } from './config.ts';

export type ParamGroup = 'main' | 'branch';
export type InitKind = 'xavier' | 'embed' | 'zeros' | 'ones' | 'simplex' | 'logits' | 'uniformWeights';

/** One logical parameter: a key of model.md, its shape, and its place in the flat buffer. */
export interface ParamEntry {
  key: string;
  shape: number[];
  /** Flat element offset of element [0, ..., 0]. */
  offset: number;
  /** Elements between consecutive rows of the last two dims (= last dim when contiguous). */
  rowStride: number;
  group: ParamGroup;
  init: InitKind;
}

/** A packed physical block: several logical entries side by side (or one entry alone). */
export interface ParamBlock {
  name: string;
  offset: number;
  size: number;
}

export interface ParamTable {
  config: ModelConfig;
  entries: ParamEntry[];
  byKey: Map<string, ParamEntry>;
  blocks: Map<string, ParamBlock>;
  /** Total f32 elements. */
  size: number;
  /** [offset, count) of the 'branch' group (kappa/alpha); count 0 for the baseline. */
  branchRange: { offset: number; count: number };
}

/** Elements per 256 bytes: block starts are aligned to this. */
export const BLOCK_ALIGN = 64;

export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

class TableBuilder {
  entries: ParamEntry[] = [];
  blocks = new Map<string, ParamBlock>();
  size = 0;

  align(): void {
    this.size = Math.ceil(this.size / BLOCK_ALIGN) * BLOCK_ALIGN;
  }

  /** A contiguous parameter in its own block (`packed`: directly after the previous one, same block). */
  plain(key: string, shape: number[], init: InitKind, group: ParamGroup = 'main', packed = false): void {
    if (!packed) this.align();
    const n = numelOf(shape);
    if (!packed) this.blocks.set(key, { name: key, offset: this.size, size: n });
    this.entries.push({ key, shape, offset: this.size, rowStride: shape[shape.length - 1], group, init });
    this.size += n;
  }

  /** Weights (D, w·D) with columns [i·D, (i+1)·D) = `keys[i]`, and biases (w·D) likewise. */
  packedProjection(prefix: string, names: string[], d: number): void {
    const width = names.length * d;
    this.align();
    const weightOffset = this.size;
    this.blocks.set(`${prefix}.w${names.join('')}`, { name: `${prefix}.w${names.join('')}`, offset: weightOffset, size: d * width });
    this.size += d * width;
    this.align();
    const biasOffset = this.size;
    this.blocks.set(`${prefix}.b${names.join('')}`, { name: `${prefix}.b${names.join('')}`, offset: biasOffset, size: width });
    this.size += width;
    names.forEach((n, i) => {
      this.entries.push({ key: `${prefix}.w${n}`, shape: [d, d], offset: weightOffset + i * d, rowStride: width, group: 'main', init: 'xavier' });
      this.entries.push({ key: `${prefix}.b${n}`, shape: [d], offset: biasOffset + i * d, rowStride: d, group: 'main', init: 'zeros' });
    });
  }

  /** An attention projection set P of model.md: {wq, bq, wk, bk, wv, bv, wo}. */
  attention(prefix: string, d: number, kind: 'self' | 'cross'): void {
    if (kind === 'self') this.packedProjection(prefix, ['q', 'k', 'v'], d);
    else {
      this.packedProjection(prefix, ['q'], d);
      this.packedProjection(prefix, ['k', 'v'], d);
    }
    this.plain(`${prefix}.wo`, [d, d], 'xavier');
  }

  layerNorm(prefix: string, d: number): void {
    this.plain(`${prefix}.g`, [d], 'ones');
    this.plain(`${prefix}.b`, [d], 'zeros');
  }

  ffn(prefix: string, c: ModelConfig): void {
    const { dModel: d, dFF: f, branches: m } = c;
    if (c.variant === 'baseline') {
      this.plain(`${prefix}.w1`, [d, f], 'xavier');
      this.plain(`${prefix}.b1`, [f], 'zeros');
      this.plain(`${prefix}.w2`, [f, d], 'xavier');
      this.plain(`${prefix}.b2`, [d], 'zeros');
    } else {
      this.plain(`${prefix}.w1`, [m, d, f / m], 'xavier');
      this.plain(`${prefix}.b1`, [m, f / m], 'zeros');
      this.plain(`${prefix}.w2`, [m, f / m, d], 'xavier');
      this.plain(`${prefix}.b2`, [m, d], 'zeros');
    }
  }
}

const branchInit = (c: ModelConfig): InitKind =>
  c.weighting === 'projected' ? 'simplex' : c.weighting === 'softmax' ? 'logits' : 'uniformWeights';

/** Build the table for a config: the checkpoint keys of model.md, in the spec's order. */
export function buildParamTable(config: ModelConfig): ParamTable {
  const b = new TableBuilder();
  const d = config.dModel;
  const weighted = config.variant === 'weighted';
  b.plain('embed', [config.vocab, d], 'embed');
  for (let l = 0; l < config.encLayers; l++) {
    const p = `enc.${l}`;
    b.attention(`${p}.attn`, d, 'self');
    if (weighted) b.layerNorm(`${p}.ln`, d);
    else {
      b.layerNorm(`${p}.ln1`, d);
      b.layerNorm(`${p}.ln2`, d);
    }
    b.ffn(`${p}.ffn`, config);
  }
  for (let l = 0; l < config.decLayers; l++) {
    const p = `dec.${l}`;
    b.attention(`${p}.self`, d, 'self');
    b.layerNorm(`${p}.ln0`, d);
    b.attention(`${p}.cross`, d, 'cross');
    if (weighted) b.layerNorm(`${p}.ln`, d);
    else {
      b.layerNorm(`${p}.ln1`, d);
      b.layerNorm(`${p}.ln2`, d);
    }
    b.ffn(`${p}.ffn`, config);
  }
  b.align();
  const branchOffset = b.size;
  if (weighted) {
    // One block: rows (kappa, alpha) per layer, enc then dec, each row M contiguous elements.
    const m = config.branches;
    for (const p of branchedLayers(config)) {
      b.plain(`${p}.kappa`, [m], branchInit(config), 'branch', true);
      b.plain(`${p}.alpha`, [m], branchInit(config), 'branch', true);
    }
    b.blocks.set('branches', { name: 'branches', offset: branchOffset, size: b.size - branchOffset });
  }
  return {
    config,
    entries: b.entries,
    byKey: new Map(b.entries.map((e) => [e.key, e])),
    blocks: b.blocks,
    size: b.size,
    branchRange: { offset: branchOffset, count: b.size - branchOffset },
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Names of the layers that have kappa/alpha, in flat-buffer order ("enc.0", ..., "dec.0", ...). */
export function branchedLayers(config: ModelConfig): string[] {
  if (config.variant !== 'weighted') return [];
  return [...range(config.encLayers).map((l) => `enc.${l}`), ...range(config.decLayers).map((l) => `dec.${l}`)];
}

/** Copy a logical parameter out of the flat array (gathering strided rows). */
export function readParam(flat: Float32Array, e: ParamEntry): Float32Array {
  const out = new Float32Array(numelOf(e.shape));
  const cols = e.shape[e.shape.length - 1];
  const rows = out.length / cols;
  for (let r = 0; r < rows; r++) out.set(flat.subarray(e.offset + r * e.rowStride, e.offset + r * e.rowStride + cols), r * cols);
  return out;
}

/** Write a logical parameter into the flat array (scattering strided rows). */
export function writeParam(flat: Float32Array, e: ParamEntry, values: ArrayLike<number>): void {
  const cols = e.shape[e.shape.length - 1];
  const rows = numelOf(e.shape) / cols;
  if (values.length !== rows * cols) throw new Error(`${e.key}: ${values.length} values for shape [${e.shape}]`);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) flat[e.offset + r * e.rowStride + c] = values[r * cols + c];
  }
}
