// Launchers for shaders/matmul.wgsl (tiled, batched, strided, fused epilogue; split-K; f16 storage) and
// shaders/matmul_naive.wgsl (the bench's floor), plus the layouts of the two gradient matmuls of a forward
// one. Each launcher returns Dispatches built once; replaying them creates nothing. Operands are bound as
// their tensors' ranges (a view of a parameter block binds that block, never the whole flat buffer).
import type { Gpu } from '../device.ts';
import { Usage } from '../buffers.ts';
import { ceilDiv, createUniform, makeDispatch, require, type Dispatch, type Resource, type UniformField } from '../kernel.ts';
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

/**
 * How an operand is stored: 'f32' (an f32 tensor), or 'f16': a 'u32' tensor of IEEE halves packed two
 * per word (stored element e in the low half of word e / 2 when e is even; see packF16 in
 * src/reference/matmul.ts). Offsets, leading dimensions and strides still count elements, and must be
 * even for f16. Products accumulate in f32 either way.
 */
export type MatmulStorage = 'f32' | 'f16';

export interface MatmulSpec extends MatmulLayout {
  /** Added per column: bias[biasOffset + b * biasStride + j]. */
  bias?: GpuTensor;
  storageA?: MatmulStorage;
  storageB?: MatmulStorage;
  /**
   * K splits for matmulDispatches: 'auto' (the default: matmulSplitK's choice) or a count >= 1 (1: never
   * split). matmul() builds one dispatch and accepts only 1 (or nothing).
   */
  splitK?: number | 'auto';
  /** Fused bias gradient (see BiasGradOutput): for a dW = op(A)ᵀ·dC product, whose op(B) is dC. */
  biasGrad?: BiasGradOutput;
  /** Fused ReLU (and folded dropout) gradient (see GradMask): for a dA = dC·op(B)ᵀ product. */
  gradMask?: GradMask;
  /** Dropout of the output in the epilogue (after bias and ReLU): needs a dense C. */
  dropout?: MatmulDropout;
  /**
   * Which tile variant runs (see MATMUL_VARIANTS): by default the tuned choice for this product's shape
   * class on `gpu.kernelChoice` (src/gpu/tune.ts), else 'auto' (matmulTileRows). Every epilogue and
   * storage works with every variant.
   */
  variant?: MatmulVariant;
}

/**
 * The tiled kernel's variants: 'auto' (the default: matmulTileRows picks 64 or 128 rows per shape) or a
 * fixed TILE_M of 32, 64 or 128 rows (x 64 columns; 32, 64 or 128 threads, each an 8x8 register block).
 * A variant only changes the TILE_M override (the same pipelines 'auto' uses, plus 32), so a cached
 * choice adds no pipelines beyond those its tiles need.
 */
export const MATMUL_VARIANTS = ['auto', 'tile32', 'tile64', 'tile128'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** What picks a product's variant: shape classes (matmulShapeClass) to variants; missing classes run 'auto'. */
export interface MatmulChoice {
  [shapeClass: string]: MatmulVariant;
}

/** Next power of two at or above x (x >= 1). */
const pow2Ceil = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/**
 * The shape class of a product, for tuning: m, n, k and batch rounded up to powers of two, and the two
 * transposes, e.g. "1024x256x64 b1 NN" (products in a class tile alike: same grid up to 2x, same loads).
 */
export function matmulShapeClass(layout: Pick<MatmulLayout, 'm' | 'n' | 'k' | 'batch' | 'transA' | 'transB'>): string {
  const t = (x: boolean | undefined) => (x ? 'T' : 'N');
  return `${pow2Ceil(layout.m)}x${pow2Ceil(layout.n)}x${pow2Ceil(layout.k)} b${pow2Ceil(layout.batch ?? 1)} ${t(layout.transA)}${t(layout.transB)}`;
}

/** Rows per workgroup tile of a variant for a product ('auto': matmulTileRows). */
export function variantTileRows(variant: MatmulVariant, m: number, n: number, batch: number): 32 | 64 | 128 {
  switch (variant) {
    case 'auto': return matmulTileRows(m, n, batch);
    case 'tile32': return 32;
    case 'tile64': return 64;
    case 'tile128': return 128;
  }
}

/** The variant a spec runs on `gpu`: its own, else the tuned choice for its class, else 'auto'. */
export function matmulVariantFor(gpu: Pick<Gpu, 'kernelChoice'>, spec: MatmulSpec): MatmulVariant {
  if (spec.variant !== undefined) {
    require((MATMUL_VARIANTS as readonly string[]).includes(spec.variant), OP, `variant "${String(spec.variant)}" is not one of ${MATMUL_VARIANTS.join(', ')}`);
    return spec.variant;
  }
  return gpu.kernelChoice?.matmul?.[matmulShapeClass(spec)] ?? 'auto';
}

/** shaders/dropout.wgsl's mask over C's flat element index: the same as a dropout op over the output. */
export interface MatmulDropout {
  rate: number;
  stream: number;
  seeds: GpuTensor<'u32'>;
  seedIndex?: number;
}

/**
 * out[offset + b * stride + j] (+)= sum over K of op(B[b])[., j] (not scaled by alpha), for every batch
 * entry b and column j < n; columns [zeroStart, zeroStart + zeroCount) are written as exactly 0 (the key
 * bias: see matmulOp). Replaces a column sum of dC and a fillZero after the weight gradient.
 */
export interface BiasGradOutput {
  out: GpuTensor;
  offset?: number;
  /** Per batch entry (default n). */
  stride?: number;
  accumulate?: boolean;
  zeroStart?: number;
  zeroCount?: number;
}

/**
 * The product is multiplied elementwise by (saved > 0 ? scale : 0) before it is stored (or added): saved is
 * laid out exactly like C (element i of saved belongs to element i of C). With saved = relu(x) and scale 1
 * this is the ReLU backward; with saved = dropout(relu(x)) and scale 1 / (1 - p), ReLU and dropout backward
 * together (a kept positive output is > 0, everything else is 0). Replaces reluBackward after dA.
 */
export interface GradMask {
  saved: GpuTensor;
  scale?: number;
}

export type ResolvedMatmul = Required<MatmulLayout>;

const OP = 'matmul';
const SHADER = 'matmul';
/** Output tile of one workgroup (shaders/matmul.wgsl): TILE_N columns by 64 or 128 rows. */
export const MATMUL_TILE_N = 64;
/** K step of the main loop (TILE_K): a split's K range is a multiple of it. */
const TILE_K = 16;

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

/**
 * Split-K: a grid of fewer than SPLIT_K_GRID workgroups (a weight gradient: m·n small, k = tokens) splits
 * K across workgroups, up to SPLIT_K_GRID of them, so that more cores (their number is unknown) get work;
 * each split keeps at least SPLIT_K_MIN_K of K (16 steps of the main loop), so the partial sums it writes
 * (m·n per split) and the reduction stay small next to its 2·m·n·SPLIT_K_MIN_K flops. Measured on lavapipe
 * (2 threads): the one-workgroup 64x64x1024 gradient runs 1.4-1.7x faster in 4 splits, while grids of 4
 * (128x128x2048, or 4 batched 64x64x1024) lose 5-25% when split, hence the low target. A GPU with tens of
 * cores would gain from a higher one: this constant is the knob.
 */
export const SPLIT_K_GRID = 4;
export const SPLIT_K_MIN_K = 256;

/** How many K splits matmulDispatches makes by default for a product (1: none). */
export function matmulSplitK(m: number, n: number, k: number, batch = 1): number {
  const grid = ceilDiv(n, MATMUL_TILE_N) * ceilDiv(m, matmulTileRows(m, n, batch)) * batch;
  if (grid >= SPLIT_K_GRID) return 1;
  return Math.max(1, Math.min(ceilDiv(SPLIT_K_GRID, grid), Math.floor(k / SPLIT_K_MIN_K)));
}

/**
 * K elements per split (a multiple of the kernel's K step) and the number of splits for a requested
 * count ('auto': matmulSplitK); the count can come out lower (no empty splits).
 */
function splitPlan(s: ResolvedMatmul, split: number | 'auto'): { kSplit: number; splits: number } {
  const want = split === 'auto' ? matmulSplitK(s.m, s.n, s.k, s.batch) : split;
  const kSplit = ceilDiv(ceilDiv(s.k, want), TILE_K) * TILE_K;
  return { kSplit, splits: ceilDiv(s.k, kSplit) };
}

/** How many K splits matmulDispatches makes for `spec` (1: one dispatch). */
export function matmulSplits(spec: MatmulSpec): number {
  return splitPlan(resolveMatmul(spec), spec.splitK ?? 'auto').splits;
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

/** Elements an A or B tensor holds in `storage`, after checking its dtype (and f16's even layout). */
function operandSize(name: string, t: GpuTensor, storage: MatmulStorage, ld: number, offset: number, stride: number): number {
  if (storage === 'f32') {
    require(t.dtype === 'f32', OP, `${name} must be f32, got ${t.dtype}`);
    return numel(t.shape);
  }
  require(t.dtype === 'u32', OP, `${name} stored as f16 must be a u32 tensor of packed halves, got ${t.dtype}`);
  require(ld % 2 === 0 && offset % 2 === 0 && stride % 2 === 0, OP, `${name} stored as f16 needs even ld, offset and stride (got ${ld}, ${offset}, ${stride})`);
  return 2 * numel(t.shape);
}

/** All launcher preconditions: positive dims, every access inside its tensor, no aliasing of C. */
export function checkMatmul(
  s: ResolvedMatmul, c: GpuTensor, a: GpuTensor, b: GpuTensor, bias?: GpuTensor,
  storage: { a?: MatmulStorage; b?: MatmulStorage } = {},
): void {
  for (const [name, v] of [['m', s.m], ['n', s.n], ['k', s.k], ['batch', s.batch]] as const) {
    require(Number.isInteger(v) && v > 0, OP, `${name} = ${v} must be a positive integer`);
  }
  for (const [name, t] of [['C', c], ['bias', bias]] as const) {
    require(!t || t.dtype === 'f32', OP, `${name} must be f32, got ${t?.dtype}`);
  }
  require(c.buffer !== a.buffer && c.buffer !== b.buffer && c.buffer !== bias?.buffer, OP, 'C must not share a buffer with A, B or bias');
  require(s.batch === 1 || s.strideC > 0, OP, 'strideC 0 with batch > 1 would make batch entries race on C');
  const sizeA = operandSize('A', a, storage.a ?? 'f32', s.lda, s.offsetA, s.strideA);
  const sizeB = operandSize('B', b, storage.b ?? 'f32', s.ldb, s.offsetB, s.strideB);
  checkOperand('A', sizeA, s.transA ? s.k : s.m, s.transA ? s.m : s.k, s.lda, s.offsetA, s.strideA, s.batch);
  checkOperand('B', sizeB, s.transB ? s.n : s.k, s.transB ? s.k : s.n, s.ldb, s.offsetB, s.strideB, s.batch);
  checkOperand('C', numel(c.shape), s.m, s.n, s.ldc, s.offsetC, s.strideC, s.batch);
  if (bias) checkOperand('bias', numel(bias.shape), 1, s.n, s.n, s.biasOffset, s.biasStride, s.batch);
  require(Number.isFinite(s.alpha), OP, `alpha = ${s.alpha} must be finite`);
}

/** The aux fields of the Params struct: where a bias gradient goes (or its split partials), and the mask scale. */
interface AuxFields {
  offset: number;
  stride: number;
  accumulate: boolean;
  zeroStart: number;
  zeroEnd: number;
  biasPartials: number;
  maskScale: number;
  stream: number;
  rate: number;
  seedIndex: number;
}

const NO_AUX: AuxFields = { offset: 0, stride: 0, accumulate: false, zeroStart: 0, zeroEnd: 0, biasPartials: 0, maskScale: 1, stream: 0, rate: 0, seedIndex: 0 };

/** Uniform fields in the order of the WGSL Params struct; K in `splits` ranges of kSplit elements. */
function matmulParams(s: ResolvedMatmul, kSplit = s.k, splits = 1, aux: AuxFields = NO_AUX): UniformField[] {
  const u = (v: number): UniformField => ['u32', v];
  return [
    u(s.m), u(s.n), u(s.k), u(s.lda), u(s.ldb), u(s.ldc), u(s.offsetA), u(s.offsetB), u(s.offsetC),
    u(s.strideA), u(s.strideB), u(s.strideC), u(s.biasOffset), u(s.biasStride), ['f32', s.alpha], u(kSplit), u(splits),
    u(aux.offset), u(aux.stride), u(aux.accumulate ? 1 : 0), u(aux.zeroStart), u(aux.zeroEnd), u(aux.biasPartials), ['f32', aux.maskScale],
    u(aux.stream), ['f32', aux.rate], u(aux.seedIndex),
  ];
}

/** The seeds binding (6) and dropout fields of a spec (checked), or the unused stand-in. */
function dropoutOf(gpu: Gpu, s: ResolvedMatmul, spec: Pick<MatmulSpec, 'dropout'>): { seeds: Resource; fields: Pick<AuxFields, 'stream' | 'rate' | 'seedIndex'> } {
  const d = spec.dropout;
  if (!d) return { seeds: gpu.owner.shared('matmul no seeds', 256, Usage.STORAGE, 'matmul unused seeds'), fields: { stream: 0, rate: 0, seedIndex: 0 } };
  const { rate, stream, seeds, seedIndex = 0 } = d;
  require(rate >= 0 && rate < 1, OP, `dropout rate ${rate} outside [0, 1)`);
  require(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff, OP, `dropout stream ${stream} is not a u32`);
  require(seeds.dtype === 'u32' && Number.isInteger(seedIndex) && seedIndex >= 0 && seedIndex < numel(seeds.shape), OP, `seed index ${seedIndex} outside the u32 seeds buffer [${seeds.shape}]`);
  require(s.ldc === s.n && (s.batch === 1 || s.strideC === s.m * s.n), OP, 'dropout in the epilogue needs a dense C (its flat index is the mask index)');
  return { seeds: seeds.buffer, fields: { stream, rate, seedIndex } };
}

/** The fused epilogue's aux binding and fields (checked), or the unused stand-in. */
function auxOf(gpu: Gpu, s: ResolvedMatmul, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec): { aux: Resource; fields: AuxFields; seeds: Resource } {
  const drop = dropoutOf(gpu, s, spec);
  const withDrop = (r: { aux: Resource; fields: AuxFields }) => ({ ...r, fields: { ...r.fields, ...drop.fields }, seeds: drop.seeds });
  return withDrop(auxBinding(gpu, s, c, a, b, spec));
}

function auxBinding(gpu: Gpu, s: ResolvedMatmul, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec): { aux: Resource; fields: AuxFields } {
  const { biasGrad, gradMask } = spec;
  require(!(biasGrad && gradMask), OP, 'biasGrad and gradMask are for different products (dW and dA), not both');
  const readOnly = [a.buffer, b.buffer, spec.bias?.buffer];
  if (biasGrad) {
    const { out, offset = 0, stride = s.n, accumulate = false, zeroStart = 0, zeroCount = 0 } = biasGrad;
    require(out.dtype === 'f32', OP, `biasGrad.out must be f32, got ${out.dtype}`);
    require(!readOnly.includes(out.buffer), OP, 'biasGrad.out must not share a buffer with A, B or bias');
    require(isCount(zeroStart) && isCount(zeroCount) && zeroStart + zeroCount <= s.n, OP, `biasGrad zero columns [${zeroStart}, +${zeroCount}) outside n = ${s.n}`);
    require(s.batch === 1 || stride > 0, OP, 'biasGrad stride 0 with batch > 1 would make batch entries race');
    checkOperand('biasGrad.out', numel(out.shape), 1, s.n, s.n, offset, stride, s.batch);
    return { aux: out, fields: { ...NO_AUX, offset, stride, accumulate, zeroStart, zeroEnd: zeroStart + zeroCount } };
  }
  if (gradMask) {
    const { saved, scale = 1 } = gradMask;
    require(saved.dtype === 'f32', OP, `gradMask.saved must be f32, got ${saved.dtype}`);
    require(!readOnly.includes(saved.buffer) && saved.buffer !== c.buffer, OP, 'gradMask.saved must not share a buffer with A, B, bias or C');
    require(Number.isFinite(scale), OP, `gradMask.scale = ${scale} must be finite`);
    checkOperand('gradMask.saved', numel(saved.shape), s.m, s.n, s.ldc, s.offsetC, s.strideC, s.batch);
    return { aux: saved, fields: { ...NO_AUX, maskScale: scale } };
  }
  return { aux: unusedAux(gpu), fields: NO_AUX };
}

/** The stand-in for an unused aux binding: a small buffer of the owner's, never read or written. */
function unusedAux(gpu: Gpu): GPUBuffer {
  return gpu.owner.shared('matmul unused aux', 256, Usage.STORAGE, 'matmul unused aux');
}

/** The resolved layout, checked, with the spec's split request (validated) and storage. */
function prepare(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec) {
  const s = resolveMatmul(spec);
  const storage = { a: spec.storageA ?? 'f32', b: spec.storageB ?? 'f32' } as const;
  checkMatmul(s, c, a, b, spec.bias, storage);
  const split = spec.splitK ?? 'auto';
  require(split === 'auto' || (Number.isInteger(split) && split >= 1), OP, `splitK = ${split} must be 'auto' or an integer >= 1`);
  const variant = matmulVariantFor(gpu, spec);
  return { s, storage, split, variant, epilogue: { biasGrad: spec.biasGrad !== undefined, gradMask: spec.gradMask !== undefined, dropout: spec.dropout !== undefined } };
}

/** Which fused epilogue a dispatch runs (override constants BIAS_GRAD, GRAD_MASK, DROPOUT). */
interface Epilogue {
  biasGrad: boolean;
  gradMask: boolean;
  dropout: boolean;
}

const RAW: Epilogue = { biasGrad: false, gradMask: false, dropout: false };

/** One dispatch of the tiled kernel; `splits` > 1 writes raw partial sums of K ranges (see the shader). */
function tiledDispatch(
  gpu: Gpu, s: ResolvedMatmul, storage: { a: MatmulStorage; b: MatmulStorage }, hasBias: boolean, variant: MatmulVariant,
  resources: Resource[], epilogue: Epilogue, aux: AuxFields, kSplit = s.k, splits = 1,
): Dispatch {
  const tileRows = variantTileRows(variant, s.m, s.n, s.batch);
  const pipeline = gpu.pipelines.get(SHADER, 'matmul', {
    TRANS_A: s.transA,
    TRANS_B: s.transB,
    HAS_BIAS: hasBias,
    RELU: s.relu,
    ACCUMULATE: s.accumulate,
    TILE_M: tileRows,
    A_F16: storage.a === 'f16',
    B_F16: storage.b === 'f16',
    BIAS_GRAD: epilogue.biasGrad,
    GRAD_MASK: epilogue.gradMask,
    DROPOUT: epilogue.dropout,
  });
  const params = createUniform(gpu, matmulParams(s, kSplit, splits, aux), 'matmul params');
  const grid = [ceilDiv(s.n, MATMUL_TILE_N), ceilDiv(s.m, tileRows), s.batch * splits] as const;
  return makeDispatch(gpu, OP, pipeline, [params, ...resources], grid);
}

/**
 * The tiled matmul of `spec` (see MatmulSpec) writing into c, as one dispatch (never split along K; see
 * matmulDispatches for that). Without a bias the binding still exists in the layout; A stands in for it.
 */
export function matmul(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec): Dispatch {
  const { s, storage, split, variant, epilogue } = prepare(gpu, c, a, b, spec);
  require(spec.splitK === undefined || split === 1, OP, `matmul() makes one dispatch: splitK ${split} needs matmulDispatches()`);
  const { aux, fields, seeds } = auxOf(gpu, s, c, a, b, spec);
  return tiledDispatch(gpu, s, storage, spec.bias !== undefined, variant, [c, spec.bias ?? a, a, b, aux, seeds], epilogue, fields);
}

// Scratch of split-K partial sums: one buffer per owner of `gpu` (a compiled graph), shared by its split
// matmuls and grown when a bigger one is built. Sharing is safe because a pass runs dispatches one after
// another and each split matmul's reduction directly follows its partial pass (Dispatches built earlier
// keep the buffer they got).
function splitScratch(gpu: Gpu, elements: number): GPUBufferBinding {
  const buffer = gpu.owner.shared('matmul split-K', Math.ceil((elements * 4) / 256) * 256, Usage.STORAGE, 'matmul split-K partial sums');
  return { buffer, offset: 0, size: elements * 4 };
}

/**
 * The matmul of `spec` as a dispatch list: one tiled dispatch, or, when split along K (spec.splitK,
 * default matmulSplitK), a partial-sum pass over K ranges into a scratch buffer followed by a reduction
 * that adds the ranges in order and applies the epilogue (alpha, bias, ReLU, accumulate) once.
 * The scratch belongs to the owner of `gpu` (see splitScratch).
 */
export function matmulDispatches(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, spec: MatmulSpec): Dispatch[] {
  const { s, storage, split, variant, epilogue } = prepare(gpu, c, a, b, spec);
  const hasBias = spec.bias !== undefined;
  const bias = spec.bias ?? a;
  const { aux, fields, seeds } = auxOf(gpu, s, c, a, b, spec);
  const { kSplit, splits } = splitPlan(s, split);
  if (splits <= 1) return [tiledDispatch(gpu, s, storage, hasBias, variant, [c, bias, a, b, aux, seeds], epilogue, fields)];
  const plane = s.m * s.n;
  // With a fused bias gradient, the per-split column sums ([batch][split][n]) follow the partial planes at
  // the next 256-byte boundary: the partial pass binds the two ranges apart (two writable bindings of one
  // buffer must not overlap).
  const planes = s.batch * splits * plane;
  const biasPartials = Math.ceil(planes / 64) * 64;
  const biasElements = s.batch * splits * s.n;
  const whole = splitScratch(gpu, epilogue.biasGrad ? biasPartials + biasElements : planes);
  const scratch: GPUBufferBinding = { buffer: whole.buffer, offset: 0, size: planes * 4 };
  // Partial sums: C is the scratch, dense (ldc n, one m·n plane per batch entry and split), no epilogue
  // (the bias sums raw, unmasked: GRAD_MASK applies once, in the reduction).
  const raw: ResolvedMatmul = { ...s, offsetC: 0, ldc: s.n, strideC: plane, alpha: 1, relu: false, accumulate: false, biasOffset: 0, biasStride: 0 };
  const unusedSeeds = dropoutOf(gpu, s, {}).seeds;
  const partial = epilogue.biasGrad
    ? tiledDispatch(gpu, raw, storage, false, variant, [scratch, a, a, b, { buffer: whole.buffer, offset: biasPartials * 4, size: biasElements * 4 }, unusedSeeds],
      { ...RAW, biasGrad: true }, { ...NO_AUX, stride: s.n }, kSplit, splits)
    : tiledDispatch(gpu, raw, storage, false, variant, [scratch, a, a, b, unusedAux(gpu), unusedSeeds], RAW, NO_AUX, kSplit, splits);
  const pipeline = gpu.pipelines.get(SHADER, 'matmul_reduce', {
    HAS_BIAS: hasBias, RELU: s.relu, ACCUMULATE: s.accumulate, BIAS_GRAD: epilogue.biasGrad, GRAD_MASK: epilogue.gradMask, DROPOUT: epilogue.dropout,
  });
  const params = createUniform(gpu, matmulParams(s, kSplit, splits, { ...fields, biasPartials }), 'matmul reduce params');
  const rows = s.m + (epilogue.biasGrad ? 1 : 0);
  const reduce = makeDispatch(gpu, `${OP} split-K reduce`, pipeline, [params, c, bias, whole, whole, aux, seeds], [ceilDiv(s.n, 64), rows, s.batch]);
  return [partial, reduce];
}

/** c (m, n) = a (m, k) @ b (k, n), dense, one thread per output: the floor the tiled kernel must beat. */
export function matmulNaive(gpu: Gpu, c: GpuTensor, a: GpuTensor, b: GpuTensor, dims: { m: number; n: number; k: number }): Dispatch {
  const { m, n, k } = dims;
  for (const v of [m, n, k]) require(Number.isInteger(v) && v > 0, 'matmulNaive', `dims ${m}x${n}x${k} must be positive integers`);
  require(numel(a.shape) >= m * k && numel(b.shape) >= k * n && numel(c.shape) >= m * n, 'matmulNaive', `tensors too small for ${m}x${n}x${k}`);
  const params = createUniform(gpu, [['u32', m], ['u32', n], ['u32', k]], 'matmulNaive params');
  const pipeline = gpu.pipelines.get('matmul_naive', 'matmul_naive');
  return makeDispatch(gpu, 'matmulNaive', pipeline, [params, c, a, b], [ceilDiv(n, 16), ceilDiv(m, 16), 1]);
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
 * ReLU and the bias gradient, e.g. with gradMask and biasGrad in these matmuls' epilogues). dC has C's layout; each gradient is
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
