// Launchers for shaders/embedding.wgsl: x = embed[tok] * sqrt(D) + PE[pos] (model.md "Shared pieces") and the
// deterministic scatter-add backward into the tied embedding's gradient. PE comes from a table built once
// on the CPU (f64 math rounded to f32), shared by every embedding call of a model.
import type { Gpu } from '../device.ts';
import { Usage } from '../buffers.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { createTensor, numel, uploadTensor, type GpuTensor } from '../tensor.ts';

const SHADER = 'embedding';
/** Widest D the backward's private accumulators hold (64 threads x 16). */
export const EMBEDDING_MAX_DIM = 1024;

/** PE (L, D): PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(same), in f64 then rounded to f32. */
export function positionalTableData(maxLen: number, dim: number): Float32Array {
  const table = new Float32Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let d = 0; d < dim; d++) {
      const angle = pos / Math.pow(10000, (d - (d % 2)) / dim);
      table[pos * dim + d] = d % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

/** The PE table (maxLen, D) on the GPU; build it once per model and pass it to every embeddingForward. */
export function createPositionalTable(gpu: Gpu, maxLen: number, dim: number): GpuTensor<'f32'> {
  require(Number.isInteger(maxLen) && maxLen > 0 && Number.isInteger(dim) && dim > 0, 'createPositionalTable', `bad size (${maxLen}, ${dim})`);
  return uploadTensor(gpu, positionalTableData(maxLen, dim), [maxLen, dim], 'f32', 'positional table');
}

export interface EmbeddingForwardArgs {
  out: GpuTensor; // (B*T, D)
  tokens: GpuTensor; // (B, T) i32
  embed: GpuTensor; // (V, D)
  pe: GpuTensor; // (L >= T, D)
  /** A training step's: the backward's sort of the positions by token, made in the same dispatch (i32 (2, B*T)). */
  sorted?: GpuTensor;
  /** Dropout of the output (shaders/dropout.wgsl's mask over its flat index); needs `sorted` (a training step). */
  dropout?: EmbeddingDropout;
}

export interface EmbeddingDropout {
  rate: number;
  stream: number;
  seeds: GpuTensor<'u32'>;
  seedIndex?: number;
}

export interface EmbeddingBackwardArgs {
  dembed: GpuTensor; // (V, D), accumulated into
  tokens: GpuTensor; // (B, T) i32
  dout: GpuTensor; // (B*T, D)
  /** The sort embeddingForward made (its `sorted`): then no sort dispatch is made here. */
  sorted?: GpuTensor;
  /** The forward's dropout: dout is taken times its mask. */
  dropout?: EmbeddingDropout;
}

/** B*T, T, V and D from tokens (B, T) and embed (V, D). */
function embeddingShape(op: string, tokens: GpuTensor, table: GpuTensor, rowsTensor: GpuTensor): { rows: number; seq: number; vocab: number; dim: number } {
  require(tokens.dtype === 'i32' && tokens.shape.length === 2, op, `tokens must be i32 (B, T), got ${tokens.dtype} [${tokens.shape}]`);
  require(table.shape.length === 2, op, `the embedding must be (V, D), got [${table.shape}]`);
  const [vocab, dim] = table.shape;
  const rows = numel(tokens.shape);
  require(rows > 0 && vocab > 0 && dim > 0, op, 'empty tensors');
  require(numel(rowsTensor.shape) === rows * dim, op, `expected (B*T = ${rows}, D = ${dim}), got [${rowsTensor.shape}]`);
  return { rows, seq: tokens.shape[1], vocab, dim };
}

function uniform(gpu: Gpu, s: { rows: number; seq: number; vocab: number; dim: number }, fwdGroups = 0, dropout?: EmbeddingDropout) {
  return createUniform(gpu, [
    ['u32', s.rows],
    ['u32', s.seq],
    ['u32', s.dim],
    ['u32', s.vocab],
    ['f32', Math.sqrt(s.dim)],
    ['u32', fwdGroups],
    ['u32', dropout?.stream ?? 0],
    ['f32', dropout?.rate ?? 0],
    ['u32', dropout?.seedIndex ?? 0],
  ]);
}

/** The seeds binding of the dropout (checked), or a stand-in without one. */
function seedsOf(gpu: Gpu, op: string, dropout?: EmbeddingDropout): GPUBuffer {
  if (!dropout) return gpu.owner.shared('embedding no seeds', 256, Usage.STORAGE, 'embedding unused seeds');
  const { rate, stream, seeds, seedIndex = 0 } = dropout;
  require(rate >= 0 && rate < 1, op, `dropout rate ${rate} outside [0, 1)`);
  require(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff, op, `dropout stream ${stream} is not a u32`);
  require(seeds.dtype === 'u32' && Number.isInteger(seedIndex) && seedIndex >= 0 && seedIndex < numel(seeds.shape), op, `seed index ${seedIndex} outside the u32 seeds buffer [${seeds.shape}]`);
  return seeds.buffer;
}

/** The shape of the backward's sort scratch (positions, then their tokens) for tokens (B, T). */
export const embeddingSortShape = (tokens: { shape: readonly number[] }): [number, number] => [2, numel(tokens.shape)];

function checkSort(op: string, s: { rows: number; vocab: number }, sorted: GpuTensor): void {
  require(sorted.dtype === 'i32' && numel(sorted.shape) === 2 * s.rows, op, `sorted must be i32 (2, ${s.rows}), got ${sorted.dtype} [${sorted.shape}]`);
  require((s.vocab + 1) * s.rows <= 0xffffffff, op, `sort keys (V + 1) * B*T = ${(s.vocab + 1) * s.rows} overflow u32`);
}

/** out (B*T, D) = embed[tok] * sqrt(D) + pe[t]; positions restart at 0 in every sentence. */
export function embeddingForward(gpu: Gpu, a: EmbeddingForwardArgs): Dispatch {
  const op = 'embeddingForward';
  const s = embeddingShape(op, a.tokens, a.embed, a.out);
  require(a.pe.shape.length === 2 && a.pe.shape[1] === s.dim && a.pe.shape[0] >= s.seq, op, `pe must be (L >= ${s.seq}, ${s.dim}), got [${a.pe.shape}]`);
  require(a.out.buffer !== a.embed.buffer, op, 'out must not alias embed');
  require(!a.dropout || a.sorted !== undefined, op, 'the dropout runs in the forward + sort dispatch: it needs `sorted`');
  if (a.sorted) {
    // One dispatch: the forward's workgroups, then the sort's (the sort reads only the tokens).
    checkSort(op, s, a.sorted);
    require(![a.out.buffer, a.tokens.buffer, a.embed.buffer, a.pe.buffer].includes(a.sorted.buffer), op, 'sorted must not share a buffer with the other tensors');
    const fwdGroups = ceilDiv(s.rows * s.dim, 256);
    const pipeline = gpu.pipelines.get(SHADER, 'embedding_forward_sort');
    const resources = [uniform(gpu, s, fwdGroups, a.dropout), a.out, a.tokens, a.embed, a.pe, a.sorted, seedsOf(gpu, op, a.dropout)];
    return makeDispatch(gpu, `${op}+sort`, pipeline, resources, linearGrid(gpu, fwdGroups + ceilDiv(s.rows, 256), 1));
  }
  const pipeline = gpu.pipelines.get(SHADER, 'embedding_forward');
  const resources = [uniform(gpu, s), a.out, a.tokens, a.embed, a.pe];
  return makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, s.rows * s.dim, 256));
}

/**
 * dembed (V, D) += sqrt(D) * sum over positions with that token of dout, deterministically: a stable sort
 * of positions by token (O((B*T)^2) compares, e.g. 16.8M for B*T = 4096), then one workgroup per run of
 * equal tokens summing its rows in position order (the longest run, often PAD, is serial work for one
 * workgroup). Scratch: (2, B*T) i32, created here once.
 */
export function embeddingBackward(gpu: Gpu, a: EmbeddingBackwardArgs): Dispatch[] {
  const op = 'embeddingBackward';
  const s = embeddingShape(op, a.tokens, a.dembed, a.dout);
  require(s.dim <= EMBEDDING_MAX_DIM, op, `D = ${s.dim} exceeds ${EMBEDDING_MAX_DIM}`);
  require(a.dembed.buffer !== a.dout.buffer, op, 'dembed must not alias dout');
  require((s.vocab + 1) * s.rows <= 0xffffffff, op, `sort keys (V + 1) * B*T = ${(s.vocab + 1) * s.rows} overflow u32`);
  const params = uniform(gpu, s, 0, a.dropout);
  const seeds = seedsOf(gpu, op, a.dropout);
  const scatterPipeline = gpu.pipelines.get(SHADER, 'embedding_backward');
  if (a.sorted) {
    checkSort(op, s, a.sorted);
    return [makeDispatch(gpu, `${op}.scatter`, scatterPipeline, [params, a.dembed, a.sorted, a.dout, seeds], linearGrid(gpu, s.rows, 1))];
  }
  const sorted = createTensor(gpu, [2, s.rows], 'i32', `${op}.sorted`);
  const sortPipeline = gpu.pipelines.get(SHADER, 'embedding_sort');
  return [
    makeDispatch(gpu, `${op}.sort`, sortPipeline, [params, sorted, a.tokens], linearGrid(gpu, ceilDiv(s.rows, 256), 1)),
    makeDispatch(gpu, `${op}.scatter`, scatterPipeline, [params, a.dembed, sorted, a.dout, seeds], linearGrid(gpu, s.rows, 1)),
  ];
}
