// Launchers for shaders/matmul.wgsl (tiled, batched, strided, fused epilogue) and shaders/matmul_naive.wgsl
// (the bench's floor), plus the layouts of the two gradient matmuls of a forward one. Each launcher
// returns a Dispatch built once; replaying it creates nothing.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, makeDispatch, require, type Dispatch, type UniformField } from '../kernel.ts';
import { numel, type GpuTensor } from '../tensor.ts';

/**
 * C[b] (m, n) = act(alpha * op(A[b]) (m, k) @ op(B[b]) (k, n) + bias[b]) (+ C[b] when accumulate).
 * Element (i, j) of a stored matrix of batch entry b sits at offset + b * stride + i * ld + j.
 * A is stored (m, k), or (k, m) with transA; B is stored (k, n), or (n, k) with transB.
 * Defaults: ld = the stored row length (lda = transA ? m : k, ldb = transB ? k : n, ldc = n), offsets 0,
 * stride = stored rows * ld (the full matrix; 0 broadcasts one matrix to every batch entry),
 * biasStride 0 (one bias for all entries), alpha 1.
 */
export interface MatmulLayout {
  m: number;
  n: number;
  k: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  lda?: number;
  ldb?: number;
  ldc?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  biasOffset?: number;
  biasStride?: number;
  relu?: boolean;
  accumulate?: boolean;
  alpha?: number;
}

export interface MatmulSpec extends MatmulLayout {
  /** Added per column: bias[biasOffset + b * biasStride + j]. */
  bias?: GpuTensor;
}

export type ResolvedMatmul = Required<MatmulLayout>;

const OP = 'matmul';
const SHADER = 'matmul';
/** Output tile of one workgroup (shaders/matmul.wgsl): TILE_N columns by 64 or 128 rows. */
export const MATMUL_TILE_N = 64;

/** Below this many workgroups of 128-row tiles, 64-row tiles are used to keep more cores busy. */
const SMALL_GRID = 16;

/**
 * Rows per workgroup tile: 64 when that pads m less than 128 would (short matrices) or when 128-row
 * tiles would make a small grid, else 128 (more reuse per loaded tile).
 */
export function matmulTileRows(m: number, n: number, batch: number): 64 | 128 {
  const padsLess = ceilDiv(m, 64) * 64 < ceilDiv(m, 128) * 128;
  const smallGrid = ceilDiv(m, 128) * ceilDiv(n, MATMUL_TILE_N) * batch < SMALL_GRID;
  return padsLess || smallGrid ? 64 : 128;
}

/** Fill every default of a layout (see MatmulLayout). */
export function resolveMatmul(spec: MatmulLayout): ResolvedMatmul {
  const { m, n, k, transA = false, transB = false } = spec;
  const lda = spec.lda ?? (transA ? m : k);
  const ldb = spec.ldb ?? (transB ? k : n);
  const ldc = spec.ldc ?? n;
  return {
    m, n, k, transA, transB, lda, ldb, ldc,
    batch: spec.batch ?? 1,
    offsetA: spec.offsetA ?? 0,
    offsetB: spec.offsetB ?? 0,
    offsetC: spec.offsetC ?? 0,
    strideA: spec.strideA ?? (transA ? k : m) * lda,
    strideB: spec.strideB ?? (transB ? n : k) * ldb,
    strideC: spec.strideC ?? m * ldc,
    biasOffset: spec.biasOffset ?? 0,
    biasStride: spec.biasStride ?? 0,
    relu: spec.relu ?? false,
    accumulate: spec.accumulate ?? false,
    alpha: spec.alpha ?? 1,
  };
}

const isCount = (x: number) => Number.isInteger(x) && x >= 0;

/** Check that a strided batch of (rows, cols) matrices stays inside `size` elements. */
function checkOperand(name: string, size: number, rows: number, cols: number, ld: number, offset: number, stride: number, batch: number): void {
  require(isCount(ld) && isCount(offset) && isCount(stride), OP, `${name}: ld ${ld}, offset ${offset}, stride ${stride} must be non-negative integers`);
  require(ld >= cols, OP, `${name}: leading dimension ${ld} is shorter than its stored rows of ${cols} elements`);
  const last = offset + (batch - 1) * stride + (rows - 1) * ld + (cols - 1);
  require(
    last < size,
    OP,
    `${name} accesses element ${last} but its tensor holds ${size} ` +
      `(stored ${rows}x${cols}, ld ${ld}, offset ${offset}, stride ${stride}, batch ${batch})`,
  );
}

/** All launcher preconditions: positive dims, every access inside its tensor, no aliasing of C. */
export function checkMatmul(s: ResolvedMatmul, c: GpuTensor, a: GpuTensor, b: GpuTensor, bias?: GpuTensor): void {
  for (const [name, v] of [['m', s.m], ['n', s.n], ['k', s.k], ['batch', s.batch]] as const) {
    require(Number.isInteger(v) && v > 0, OP, `${name} = ${v} must be a positive integer`);
  }
  for (const [name, t] of [['C', c], ['A', a], ['B', b], ['bias', bias]] as const) {
    require(!t || t.dtype === 'f32', OP, `${name} must be f32, got ${t?.dtype}`);
  }
  require(c.buffer !== a.buffer && c.buffer !== b.buffer && c.buffer !== bias?.buffer, OP, 'C must not share a buffer with A, B or bias');
  require(s.batch === 1 || s.strideC > 0, OP, 'strideC 0 with batch > 1 would make batch entries race on C');
  checkOperand('A', numel(a.shape), s.transA ? s.k : s.m, s.transA ? s.m : s.k, s.lda, s.offsetA, s.strideA, s.batch);
  checkOperand('B', numel(b.shape), s.transB ? s.n : s.k, s.transB ? s.k : s.n, s.ldb, s.offsetB, s.strideB, s.batch);
  checkOperand('C', numel(c.shape), s.m, s.n, s.ldc, s.offsetC, s.strideC, s.batch);
  if (bias) checkOperand('bias', numel(bias.shape), 1, s.n, s.n, s.biasOffset, s.biasStride, s.batch);
  require(Number.isFinite(s.alpha), OP, `alpha = ${s.alpha} must be finite`);
}

/** Uniform fields in the order of the WGSL Params struct. */
function matmulParams(s: ResolvedMatmul): UniformField[] {
  const u = (v: number): UniformField => ['u32', v];
  return [
    u(s.m), u(s.n), u(s.k), u(s.lda), u(s.ldb), u(s.ldc), u(s.offsetA), u(s.offsetB), u(s.offsetC),
    u(s.strideA), u(s.strideB), u(s.strideC), u(s.biasOffset), u(s.biasStride), ['f32', s.alpha],
  ];
}

/** The tiled matmul of `spec` (see MatmulLayout) writing into c. */
export function matmul(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec): Dispatch {
  const s = resolveMatmul(spec);
  checkMatmul(s, c, a, b, spec.bias);
  const tileRows = matmulTileRows(s.m, s.n, s.batch);
  const pipeline = gpu.pipelines.get(SHADER, 'matmul', {
    TRANS_A: s.transA,
    TRANS_B: s.transB,
    HAS_BIAS: spec.bias !== undefined,
    RELU: s.relu,
    ACCUMULATE: s.accumulate,
    TILE_M: tileRows,
  });
  const params = createUniform(gpu, matmulParams(s), 'matmul params');
  // Without a bias the binding still exists in the layout; A (read-only too) stands in for it.
  const resources = [params, c.buffer, a.buffer, b.buffer, (spec.bias ?? a).buffer];
  const grid = [ceilDiv(s.n, MATMUL_TILE_N), ceilDiv(s.m, tileRows), s.batch] as const;
  return makeDispatch(gpu, OP, pipeline, resources, grid);
}

/** c (m, n) = a (m, k) @ b (k, n), dense, one thread per output: the floor the tiled kernel must beat. */
export function matmulNaive(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, dims: { m: number; n: number; k: number }): Dispatch {
  const { m, n, k } = dims;
  for (const v of [m, n, k]) require(Number.isInteger(v) && v > 0, 'matmulNaive', `dims ${m}x${n}x${k} must be positive integers`);
  require(numel(a.shape) >= m * k && numel(b.shape) >= k * n && numel(c.shape) >= m * n, 'matmulNaive', `tensors too small for ${m}x${n}x${k}`);
  const params = createUniform(gpu, [['u32', m], ['u32', n], ['u32', k]], 'matmulNaive params');
  const pipeline = gpu.pipelines.get('matmul_naive', 'matmul_naive');
  return makeDispatch(gpu, 'matmulNaive', pipeline, [params, c.buffer, a.buffer, b.buffer], [ceilDiv(n, 16), ceilDiv(m, 16), 1]);
}

// ---- Backward: the two matmuls that give dA and dB from dC, with the transposes folded in. ----

/** Which tensor of the forward product feeds an operand slot of a gradient matmul. */
export type MatmulOperand = 'a' | 'b' | 'dc';

/** One gradient matmul: matmul(gpu, grad, <a>, <b>, spec), grad laid out like the forward operand. */
export interface GradMatmul {
  a: MatmulOperand;
  b: MatmulOperand;
  spec: MatmulLayout;
}

interface Stored {
  trans: boolean;
  ld: number;
  offset: number;
  stride: number;
}

/**
 * Layouts of dA and dB for C = alpha * op(A) @ op(B) (the linear part only: the caller handles a fused
 * ReLU with reluBackward and the bias gradient with column sums). dC has C's layout; each gradient is
 * written in its operand's layout (same ld, offset, stride). When the operand was broadcast over the
 * batch (stride 0), its gradient sums over the batch: one matmul per entry, each accumulating, in order,
 * so the sum stays deterministic. `accumulate` adds the first term to what the gradient buffer holds.
 */
export function matmulGradSpecs(fwd: MatmulLayout, accumulate = false): { da: GradMatmul[]; db: GradMatmul[] } {
  const s = resolveMatmul(fwd);
  const A: Stored = { trans: s.transA, ld: s.lda, offset: s.offsetA, stride: s.strideA };
  const B: Stored = { trans: s.transB, ld: s.ldb, offset: s.offsetB, stride: s.strideB };
  const dC: Stored = { trans: false, ld: s.ldc, offset: s.offsetC, stride: s.strideC };
  const flip = (x: Stored): Stored => ({ ...x, trans: !x.trans });
  // dA = dC @ op(B)ᵀ, or stored transposed: op(B) @ dCᵀ. dB = op(A)ᵀ @ dC, or stored transposed: dCᵀ @ op(A).
  const da = s.transA
    ? gradTerms(s, A, s.k, s.m, s.n, ['b', B], ['dc', flip(dC)], accumulate)
    : gradTerms(s, A, s.m, s.k, s.n, ['dc', dC], ['b', flip(B)], accumulate);
  const db = s.transB
    ? gradTerms(s, B, s.n, s.k, s.m, ['dc', flip(dC)], ['a', A], accumulate)
    : gradTerms(s, B, s.k, s.n, s.m, ['a', flip(A)], ['dc', dC], accumulate);
  return { da, db };
}

/** grad (m, n) = x (m, k) @ y (k, n) per batch entry, split per entry when grad is broadcast. */
function gradTerms(
  s: ResolvedMatmul,
  grad: Stored,
  m: number,
  n: number,
  k: number,
  [xName, x]: [MatmulOperand, Stored],
  [yName, y]: [MatmulOperand, Stored],
  accumulate: boolean,
): GradMatmul[] {
  const term = (batch: number, entry: number, acc: boolean): GradMatmul => ({
    a: xName,
    b: yName,
    spec: {
      m, n, k, batch, alpha: s.alpha, accumulate: acc,
      transA: x.trans, lda: x.ld, offsetA: x.offset + entry * x.stride, strideA: x.stride,
      transB: y.trans, ldb: y.ld, offsetB: y.offset + entry * y.stride, strideB: y.stride,
      ldc: grad.ld, offsetC: grad.offset, strideC: grad.stride,
    },
  });
  if (s.batch === 1 || grad.stride !== 0) return [term(s.batch, 0, accumulate)];
  return Array.from({ length: s.batch }, (_, i) => term(1, i, accumulate || i > 0));
}
