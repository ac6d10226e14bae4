// The op table: every differentiable op of the model with its forward lowering and its ONE gradient rule,
// side by side. Composites (attention blocks, FFNs, layers) are built from these in src/model/.
// Conventions: `contribute(t)` gives the gradient target of t (overwrite the first time, accumulate after);
// launchers that cannot accumulate write a scratch tensor that is then added in (accumulateInto).
import { addInto, copyTensor, fillZero, reluBackward, residualAdd } from '../gpu/kernels/elementwise.ts';
import { matmulDispatches, matmulGradSpecs, type BiasGradOutput, type GradMask, type GradMatmul, type MatmulDropout, type MatmulLayout } from '../gpu/kernels/matmul.ts';
import { columnSum } from '../gpu/kernels/reduce.ts';
import { attentionBackward, attentionForward, attentionScratchShape, type AttentionSpec, type AttentionView } from '../gpu/kernels/attention.ts';
import { alphaSumBackward, alphaSumForward, branchDotChunks, kappaScaleBackward, kappaScaleForward, weightsSoftmaxBackward, weightsSoftmaxForward, vectorSlice } from '../gpu/kernels/branches.ts';
import { layernormBackward, layernormForward, layernormParamChunks } from '../gpu/kernels/layernorm.ts';
import { embeddingBackward, embeddingForward, embeddingSortShape } from '../gpu/kernels/embedding.ts';
import { crossEntropyBackward, crossEntropyForward } from '../gpu/kernels/cross_entropy.ts';
import { dropoutBackward, dropoutForward } from '../gpu/kernels/dropout.ts';
import { gatherRows } from '../gpu/kernels/gather.ts';
import type { Dispatch } from '../gpu/kernel.ts';
import type { Graph, GradContext, GradTarget, LowerContext, Node, Tensor } from './graph.ts';

const numelOf = (t: Tensor): number => t.shape.reduce((a, b) => a * b, 1);

/** Emit `node`, whose output is `value`, so that it lands in t's gradient (copy or add when needed). */
function contributeVia(g: GradContext, t: Tensor, label: string, write: (target: Tensor) => Node): void {
  const target = g.contribute(t);
  if (!target.accumulate) {
    g.emit(write(target.tensor));
    return;
  }
  const tmp = g.scratch(`${label}.tmp`, t.shape);
  g.emit(write(tmp));
  g.emit({ label: `${label} accumulate`, reads: [tmp, target.tensor], writes: [target.tensor], lower: (c) => [addInto(c.gpu, c.view(target.tensor), c.view(tmp))] });
}

/** t's gradient += value (value is a complete tensor already computed). */
function contributeTensor(g: GradContext, t: Tensor, value: Tensor, label: string): void {
  const target = g.contribute(t);
  g.emit({
    label: `${label} ${target.accumulate ? 'accumulate' : 'copy'}`,
    reads: target.accumulate ? [value, target.tensor] : [value],
    writes: [target.tensor],
    lower: (c) => [target.accumulate ? addInto(c.gpu, c.view(target.tensor), c.view(value)) : copyTensor(c.gpu, c.view(target.tensor), c.view(value))],
  });
}

// ---------------------------------------------------------------------------------------------------
// Matmul: C = act(op(A) @ op(B) + bias), any strided/batched layout of src/gpu/kernels/matmul.ts.
// Offsets in `layout` are relative to each tensor; the tensors' own storage offsets are added when lowering.

export interface MatmulOpArgs {
  label: string;
  a: Tensor;
  b: Tensor;
  layout: MatmulLayout;
  bias?: Tensor;
  /** Output shape (C is a fresh tensor that the op writes entirely). */
  outShape: readonly number[];
  /**
   * Bias columns [start, start + count) whose gradient is exactly zero in theory: written as 0. Used for
   * the key bias bk: softmax is invariant to a per-row constant, and q·bk is one, so dL/dbk = 0; computed
   * in f32 it is rounding noise that Adam (eps 1e-9) would turn into learning-rate-sized steps.
   */
  zeroBiasGrad?: { start: number; count: number };
  /** Dropout of the output at this rate, fused into the epilogue after the ReLU (needs layout.relu): a
   *  fresh stream, as dropoutOp would take; the output is then dropout(relu(...)). */
  dropout?: number;
}

/** Fused gradient epilogues of a gradient matmul, as graph tensors (lowered to BiasGradOutput / GradMask). */
interface FusedGrad {
  biasGrad?: { tensor: Tensor; accumulate: boolean; offset: number; stride: number; zeroStart: number; zeroCount: number };
  gradMask?: { saved: Tensor; scale: number };
}

function lowerMatmul(c: LowerContext, out: Tensor, a: Tensor, b: Tensor, layout: MatmulLayout, bias?: Tensor, fused: FusedGrad = {}, dropout?: MatmulDropout): Dispatch[] {
  const la = c.loc(a), lb = c.loc(b), lc = c.loc(out), lbias = bias ? c.loc(bias) : undefined;
  let biasGrad: BiasGradOutput | undefined;
  if (fused.biasGrad) {
    const { tensor, offset, ...rest } = fused.biasGrad;
    const l = c.loc(tensor);
    biasGrad = { ...rest, out: l.tensor, offset: l.offset + offset };
  }
  let gradMask: GradMask | undefined;
  if (fused.gradMask) {
    const l = c.loc(fused.gradMask.saved);
    if (l.offset !== lc.offset) throw new Error(`the saved ${fused.gradMask.saved.name} is not laid out like ${out.name}`);
    gradMask = { saved: l.tensor, scale: fused.gradMask.scale };
  }
  return matmulDispatches(c.gpu, lc.tensor, la.tensor, lb.tensor, {
    ...layout,
    offsetA: (layout.offsetA ?? 0) + la.offset,
    offsetB: (layout.offsetB ?? 0) + lb.offset,
    offsetC: (layout.offsetC ?? 0) + lc.offset,
    bias: lbias?.tensor,
    biasOffset: (layout.biasOffset ?? 0) + (lbias?.offset ?? 0),
    biasGrad,
    gradMask,
    dropout,
  });
}

/** Forward nodes of `graph` that read `t`. */
function consumers(graph: Graph, t: Tensor): number {
  const forward = graph.forwardCount || graph.nodes.length;
  let n = 0;
  for (let i = 0; i < forward; i++) if (graph.nodes[i].reads.includes(t)) n++;
  return n;
}

export function matmulOp(graph: Graph, args: MatmulOpArgs): Tensor {
  const { a, b, bias, layout, label } = args;
  const rate = args.dropout ?? 0;
  if (rate > 0 && !layout.relu) throw new Error(`${label}: a fused dropout needs the fused ReLU (its backward is the ReLU's mask)`);
  const stream = rate > 0 ? graph.nextStream() : 0;
  const out = graph.tensor(label, args.outShape);
  if (layout.relu) graph.reluOutputs.set(out.id, rate > 0 ? 1 / (1 - rate) : 1);
  graph.add({
    label,
    reads: bias ? [a, b, bias] : [a, b],
    writes: [out],
    lower: (c) => lowerMatmul(c, out, a, b, layout, bias, {}, rate > 0 ? { rate, stream, seeds: c.seeds } : undefined),
    grad(g) {
      const dout = g.gradOf(out);
      if (!dout) return;
      // A fused ReLU (and dropout): the gradient of the pre-activation, from the saved output (relu(x) > 0
      // iff x > 0; a dropped element is 0), unless the matmul that produced dout already masked it (see
      // emitMatmulGrads). Else the dropout's backward (the same stream) and the ReLU's, as separate ops.
      let dc = dout;
      if (layout.relu && !graph.maskedGradients.has(out.id)) {
        let dkept = dout;
        if (rate > 0) {
          const t = (dkept = g.scratch(`${label}.ddrop`, out.shape));
          g.emit({ label: `${label} dropout backward`, reads: [dout], writes: [t], lower: (c) => [dropoutBackward(c.gpu, c.view(t), c.view(dout), c.seeds, { rate, stream })] });
        }
        dc = g.scratch(`${label}.dpre`, out.shape);
        const dpre = dc;
        g.emit({ label: `${label} relu backward`, reads: [dkept, out], writes: [dpre], lower: (c) => [reluBackward(c.gpu, c.view(dpre), c.view(dkept), c.view(out))] });
      }
      const linear: MatmulLayout = { ...layout, relu: false, accumulate: false };
      const biasFused = emitMatmulGrads(graph, g, label, linear, a, b, dc, bias ? { bias, zero: args.zeroBiasGrad } : undefined);
      if (bias && !biasFused) {
        emitBiasGrad(g, label, linear, bias, dc);
        if (args.zeroBiasGrad) zeroGradSlice(g, bias, args.zeroBiasGrad.start, args.zeroBiasGrad.count, `${label} exact-zero bias grad`);
      }
    },
  });
  return out;
}

/**
 * The dA and dB matmuls of a product. Two fusions into them, each replacing a dispatch of its own:
 * - the bias gradient (column sums of dC, and the exact-zero columns) into dB = op(A)ᵀ·dC, when dB is one
 *   matmul whose op(B) is dC itself (returns true; else the caller emits the column sums);
 * - the ReLU gradient of A into dA, when A is the output of a ReLU matmul that only this product reads: dA
 *   is then stored masked (the gradient of A's pre-activation) and A's producer skips its reluBackward.
 */
function emitMatmulGrads(
  graph: Graph, g: GradContext, label: string, layout: MatmulLayout, a: Tensor, b: Tensor, dc: Tensor,
  bias?: { bias: Tensor; zero?: { start: number; count: number } },
): boolean {
  let biasFused = false;
  for (const [operand, t] of [['a', a], ['b', b]] as const) {
    if (t.dtype !== 'f32') continue;
    const target = g.contribute(t);
    const specs = matmulGradSpecs(layout, target.accumulate);
    const terms = operand === 'a' ? specs.da : specs.db;
    const pick = (name: GradMatmul['a']): Tensor => (name === 'a' ? a : name === 'b' ? b : dc);
    const fused: FusedGrad = {};
    const writes = [target.tensor];
    const reads = [a, b, dc].filter((x) => x !== t).concat(target.accumulate ? [target.tensor] : []);
    if (operand === 'b' && bias && biasGradFusable(layout, terms)) {
      const dbias = g.contribute(bias.bias);
      const batch = layout.batch ?? 1;
      fused.biasGrad = {
        tensor: dbias.tensor, accumulate: dbias.accumulate, offset: layout.biasOffset ?? 0, stride: batch > 1 ? layout.biasStride ?? 0 : layout.n,
        zeroStart: bias.zero?.start ?? 0, zeroCount: bias.zero?.count ?? 0,
      };
      writes.push(dbias.tensor);
      if (dbias.accumulate) reads.push(dbias.tensor);
      biasFused = true;
    }
    const reluScale = graph.reluOutputs.get(a.id);
    if (operand === 'a' && reluScale !== undefined && !target.accumulate && terms.length === 1 && consumers(graph, a) === 1) {
      fused.gradMask = { saved: a, scale: reluScale };
      graph.maskedGradients.add(a.id);
      reads.push(a);
    }
    g.emit({
      label: `${label} d${operand}`,
      reads,
      writes,
      lower: (c) => terms.flatMap((term) => lowerMatmul(c, target.tensor, pick(term.a), pick(term.b), term.spec, undefined, fused)),
    });
  }
  return biasFused;
}

/** Whether dB is one matmul whose op(B) is dC untransposed over a contiguous output (so its K sums are the bias gradient). */
function biasGradFusable(layout: MatmulLayout, terms: GradMatmul[]): boolean {
  const batch = layout.batch ?? 1;
  const rows = layout.m, cols = layout.n;
  const contiguous = (layout.ldc ?? cols) === cols && (layout.offsetC ?? 0) === 0 && (batch === 1 || (layout.strideC ?? rows * cols) === rows * cols);
  const strided = batch === 1 || (layout.biasStride ?? 0) === cols;
  return contiguous && strided && terms.length === 1 && terms[0].b === 'dc' && !terms[0].spec.transB;
}

function emitBiasGrad(g: GradContext, label: string, layout: MatmulLayout, bias: Tensor, dc: Tensor): void {
  const batch = layout.batch ?? 1;
  const rows = layout.m, cols = layout.n;
  if ((layout.ldc ?? cols) !== cols || (layout.offsetC ?? 0) !== 0 || (batch > 1 && (layout.strideC ?? rows * cols) !== rows * cols)) {
    throw new Error(`${label}: bias gradient needs a contiguous output`);
  }
  if (batch > 1 && (layout.biasStride ?? 0) !== cols) throw new Error(`${label}: a batched bias must have stride n`);
  const target: GradTarget = g.contribute(bias);
  g.emit({
    label: `${label} dbias`,
    reads: target.accumulate ? [dc, target.tensor] : [dc],
    writes: [target.tensor],
    lower: (c) => columnSum(c.gpu, c.view(target.tensor), c.view(dc), { batch, accumulate: target.accumulate }),
  });
}

/** Zero `count` elements of a parameter's gradient from `offset` (an exactly-zero gradient, see attention). */
export function zeroGradSlice(g: GradContext, param: Tensor, offset: number, count: number, label: string): void {
  const target = g.contribute(param);
  if (!target.accumulate) throw new Error(`${label}: zeroing a gradient that was never written`);
  g.emit({ label, reads: [target.tensor], writes: [target.tensor], lower: (c) => {
    const l = c.loc(target.tensor);
    return [fillZero(c.gpu, l.tensor, l.offset + offset, count)];
  } });
}

// ---------------------------------------------------------------------------------------------------
// Fused attention over column slices of projection outputs.

export interface AttentionInput {
  tensor: Tensor;
  /** Column of head 0 within a row, and the row length. */
  column: number;
  rowStride: number;
}

export function attentionOp(
  graph: Graph, label: string, spec: Omit<AttentionSpec, 'keyTokens'>, keyTokens: Tensor,
  q: AttentionInput, k: AttentionInput, v: AttentionInput,
): Tensor {
  const d = spec.heads * spec.dHead;
  const out = graph.tensor(label, [spec.batch * spec.tq, d]);
  const lse = graph.tensor(`${label}.lse`, [spec.batch, spec.heads, spec.tq]);
  const inputs = [q.tensor, k.tensor, v.tensor].filter((t, i, all) => all.indexOf(t) === i);
  const view = (c: LowerContext, x: AttentionInput): AttentionView => {
    const l = c.loc(x.tensor);
    return { tensor: l.tensor, offset: l.offset + x.column, rowStride: x.rowStride };
  };
  const fullSpec = (c: LowerContext): AttentionSpec => ({ ...spec, keyTokens: c.view(keyTokens) });
  graph.add({
    label,
    reads: [...inputs, keyTokens],
    writes: [out, lse],
    lower: (c) => attentionForward(c.gpu, fullSpec(c), view(c, q), view(c, k), view(c, v), { tensor: c.view(out), rowStride: d }, c.view(lse), c.seeds),
    grad(g) {
      const dout = g.gradOf(out);
      if (!dout) return;
      // Each input tensor's gradient is written whole by this backward (its only consumer).
      const targets = new Map<Tensor, Tensor>();
      for (const t of inputs) {
        const target = g.contribute(t);
        if (target.accumulate) throw new Error(`${label}: its projections must feed only this attention`);
        targets.set(t, target.tensor);
      }
      const scratch = g.scratch(`${label}.scratch`, attentionScratchShape({ ...spec }), 'u32');
      const grad = (x: AttentionInput): AttentionInput => ({ ...x, tensor: targets.get(x.tensor)! });
      g.emit({
        label: `${label} backward`,
        reads: [...inputs, keyTokens, out, lse, dout],
        writes: [...targets.values(), scratch],
        lower: (c) =>
          attentionBackward(c.gpu, fullSpec(c), view(c, q), view(c, k), view(c, v), { tensor: c.view(out), rowStride: d }, c.view(lse),
            { tensor: c.view(dout), rowStride: d }, view(c, grad(q)), view(c, grad(k)), view(c, grad(v)), c.seeds, c.view(scratch)),
      });
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Weighted branches: a = kappa[m] * h[m];  y = sum_m alpha[m] f[m]  (branch-major (M, N, D) tensors).

export function kappaScaleOp(graph: Graph, label: string, h: Tensor, kappa: Tensor, trainable: boolean): Tensor {
  const out = graph.tensor(label, h.shape);
  graph.add({
    label,
    reads: [h, kappa],
    writes: [out],
    lower: (c) => [kappaScaleForward(c.gpu, c.view(out), c.view(h), vec(c, kappa))],
    grad(g) {
      const da = g.gradOf(out);
      if (!da) return;
      const dh = g.contribute(h);
      const dk = trainable ? g.contribute(kappa) : null;
      const finish = deferBranchFinish(graph, h, dk);
      const node: Node = {
        label: `${label} backward`,
        reads: [da, h, kappa, ...(dh.accumulate ? [dh.tensor] : []), ...(dk?.accumulate ? [dk.tensor] : [])],
        writes: dk ? [dh.tensor, dk.tensor] : [dh.tensor],
        lower: (c) => kappaScaleBackward(c.gpu, {
          dh: c.view(dh.tensor), dkappa: dk ? vec(c, dk.tensor) : undefined, da: c.view(da), h: c.view(h), kappa: vec(c, kappa),
          accumulate: dh.accumulate, accumulateWeights: dk?.accumulate ?? false, partials: finish.partials(c),
        }),
      };
      finish.writtenBy(node);
      g.emit(node);
    },
  });
  return out;
}

export function alphaSumOp(graph: Graph, label: string, f: Tensor, alpha: Tensor, trainable: boolean): Tensor {
  const out = graph.tensor(label, f.shape.slice(1));
  graph.add({
    label,
    reads: [f, alpha],
    writes: [out],
    lower: (c) => [alphaSumForward(c.gpu, c.view(out), c.view(f), vec(c, alpha))],
    grad(g) {
      const dy = g.gradOf(out);
      if (!dy) return;
      const df = g.contribute(f);
      const da = trainable ? g.contribute(alpha) : null;
      const finish = deferBranchFinish(graph, f, da);
      const node: Node = {
        label: `${label} backward`,
        reads: [dy, f, alpha, ...(df.accumulate ? [df.tensor] : []), ...(da?.accumulate ? [da.tensor] : [])],
        writes: da ? [df.tensor, da.tensor] : [df.tensor],
        lower: (c) => alphaSumBackward(c.gpu, {
          df: c.view(df.tensor), dalpha: da ? vec(c, da.tensor) : undefined, dy: c.view(dy), f: c.view(f), alpha: vec(c, alpha),
          accumulate: df.accumulate, accumulateWeights: da?.accumulate ?? false, partials: finish.partials(c),
        }),
      };
      finish.writtenBy(node);
      g.emit(node);
    },
  });
  return out;
}

/** The dkappa / dalpha finish of a branch weight's backward (branch-major `x` (M, ...)), deferred like deferParamFinish. */
function deferBranchFinish(graph: Graph, x: Tensor, dw: GradTarget | null) {
  const m = x.shape[0];
  const chunks = branchDotChunks(numelOf(x) / m);
  const id = dw && chunks > 1 ? graph.finishes.add(dw.tensor, chunks, m, dw.accumulate, true) : null; // partials (M, chunks)
  return {
    writtenBy: (node: Node) => { if (id !== null) graph.finishes.writtenBy(id, node); },
    partials: (c: LowerContext) => (id !== null && graph.finishes.deferred(id) ? graph.finishes.partials(c, id) : undefined),
  };
}

/** Effective weights softmax(logits) of one (M) vector (weighting = softmax). */
export function weightsSoftmaxOp(graph: Graph, label: string, logits: Tensor): Tensor {
  const m = numelOf(logits);
  const out = graph.tensor(label, [m]);
  graph.add({
    label,
    reads: [logits],
    writes: [out],
    lower: (c) => [weightsSoftmaxForward(c.gpu, vec(c, out), vec(c, logits), 1, m)],
    grad(g) {
      const dw = g.gradOf(out);
      if (!dw) return;
      const dl = g.contribute(logits);
      g.emit({
        label: `${label} backward`,
        reads: [out, dw, ...(dl.accumulate ? [dl.tensor] : [])],
        writes: [dl.tensor],
        lower: (c) => [weightsSoftmaxBackward(c.gpu, { dlogits: vec(c, dl.tensor), w: vec(c, out), dw: vec(c, dw), rows: 1, m, accumulate: dl.accumulate })],
      });
    },
  });
  return out;
}

function vec(c: LowerContext, t: Tensor) {
  const l = c.loc(t);
  return vectorSlice(l.tensor, l.offset);
}

// ---------------------------------------------------------------------------------------------------
// LayerNorm, residual add, dropout, embedding, loss.

export function layerNormOp(graph: Graph, label: string, x: Tensor, gain: Tensor, bias: Tensor): Tensor {
  const rows = x.shape[0];
  const y = graph.tensor(label, x.shape);
  const mean = graph.tensor(`${label}.mean`, [rows]);
  const rstd = graph.tensor(`${label}.rstd`, [rows]);
  graph.add({
    label,
    reads: [x, gain, bias],
    writes: [y, mean, rstd],
    lower: (c) => [layernormForward(c.gpu, { y: c.view(y), mean: c.view(mean), rstd: c.view(rstd), x: c.view(x), g: c.view(gain), b: c.view(bias) })],
    grad(g) {
      const dy = g.gradOf(y);
      if (!dy) return;
      const dx = g.contribute(x), dg = g.contribute(gain), db = g.contribute(bias);
      if (dg.accumulate !== db.accumulate) throw new Error(`${label}: gain and bias gradients out of step`);
      g.emit({
        label: `${label} backward`,
        reads: [dy, x, gain, mean, rstd, ...(dx.accumulate ? [dx.tensor] : []), ...(dg.accumulate ? [dg.tensor, db.tensor] : [])],
        writes: [dx.tensor, dg.tensor, db.tensor],
        lower: (c) => layernormBackward(c.gpu, {
          dx: c.view(dx.tensor), dg: c.view(dg.tensor), db: c.view(db.tensor), dy: c.view(dy), x: c.view(x), g: c.view(gain),
          mean: c.view(mean), rstd: c.view(rstd), accumulate: dx.accumulate, accumulateParams: dg.accumulate,
        }),
      });
    },
  });
  return y;
}

/**
 * LN(x + dropout(y)) * gain + bias: the post-LN residual (model.md) in one dispatch, dropout (a fresh
 * stream when rate > 0, as dropoutOp would take) and residual add fused into the LayerNorm; the backward
 * writes both addends' gradients (y's through the dropout mask) from the LayerNorm backward, with no
 * copies. The sum overwrites y (it is the backward's input), so y must be a planned tensor that nothing
 * else reads (a sublayer's output).
 */
export function residualLayerNormOp(graph: Graph, label: string, x: Tensor, y: Tensor, gain: Tensor, bias: Tensor, rate: number): Tensor {
  if (y.storage.kind !== 'planned') throw new Error(`${label}: the residual branch ${y.name} must be a planned tensor (it is overwritten with the sum)`);
  const stream = rate > 0 ? graph.nextStream() : 0;
  const rows = x.shape[0];
  const out = graph.tensor(label, x.shape);
  const mean = graph.tensor(`${label}.mean`, [rows]);
  const rstd = graph.tensor(`${label}.rstd`, [rows]);
  const sum = y; // after the forward node, y holds x + dropout(y)
  const mine = new Set<Node>();
  const dropout = (c: LowerContext) => (rate > 0 ? { rate, stream, seeds: c.seeds } : undefined);
  const checkOnlyReader = () => {
    const other = graph.nodes.find((n) => !mine.has(n) && n.reads.includes(y));
    if (other) throw new Error(`${label}: ${y.name} is overwritten with the residual sum but ${other.label} reads it too`);
  };
  const forward: Node = {
    label,
    reads: [x, y, gain, bias],
    writes: [y, out, mean, rstd],
    lower: (c) => {
      checkOnlyReader();
      return [layernormForward(c.gpu, {
        y: c.view(out), mean: c.view(mean), rstd: c.view(rstd), x: c.view(x), g: c.view(gain), b: c.view(bias), residual: { x2: c.view(y), dropout: dropout(c) },
      })];
    },
    grad(g) {
      const dout = g.gradOf(out);
      if (!dout) return;
      const dx = g.contribute(x), dy = g.contribute(y), dg = g.contribute(gain), db = g.contribute(bias);
      if (dg.accumulate !== db.accumulate) throw new Error(`${label}: gain and bias gradients out of step`);
      if (dx.tensor === dy.tensor) throw new Error(`${label}: x and y are the same tensor`);
      const finish = deferParamFinish(graph, rows, gain.shape[0], dg, db);
      const backward: Node = {
        label: `${label} backward`,
        reads: [dout, sum, gain, mean, rstd, ...(dx.accumulate ? [dx.tensor] : []), ...(dy.accumulate ? [dy.tensor] : []), ...(dg.accumulate ? [dg.tensor, db.tensor] : [])],
        writes: [dx.tensor, dy.tensor, dg.tensor, db.tensor],
        lower: (c) => layernormBackward(c.gpu, {
          dx: c.view(dx.tensor), dx2: c.view(dy.tensor), dg: c.view(dg.tensor), db: c.view(db.tensor), dy: c.view(dout), x: c.view(sum), g: c.view(gain),
          mean: c.view(mean), rstd: c.view(rstd), accumulate: dx.accumulate, accumulate2: dy.accumulate, accumulateParams: dg.accumulate, dropout: dropout(c),
          partials: finish.partials(c),
        }),
      };
      finish.writtenBy(backward);
      mine.add(backward);
      g.emit(backward);
    },
  };
  mine.add(forward);
  graph.add(forward);
  return out;
}

/**
 * The dg/db finishes of a LayerNorm backward over `rows` rows, registered with the graph's deferred
 * finishes when the reduction has more than one chunk: partials(c) is then where the launcher puts its
 * chunk partials (or undefined: the launcher finishes them itself).
 */
function deferParamFinish(graph: Graph, rows: number, dim: number, dg: GradTarget, db: GradTarget) {
  const chunks = layernormParamChunks(rows);
  const ids = chunks > 1 ? [graph.finishes.add(dg.tensor, chunks, dim, dg.accumulate), graph.finishes.add(db.tensor, chunks, dim, db.accumulate)] : [];
  return {
    writtenBy: (node: Node) => ids.forEach((id) => graph.finishes.writtenBy(id, node)),
    partials: (c: LowerContext) => (ids.length > 0 && graph.finishes.deferred(ids[0])
      ? { g: graph.finishes.partials(c, ids[0]), b: graph.finishes.partials(c, ids[1]) } : undefined),
  };
}

/** c = a + b (the residual connection). */
export function addOp(graph: Graph, label: string, a: Tensor, b: Tensor): Tensor {
  const out = graph.tensor(label, a.shape);
  graph.add({
    label,
    reads: [a, b],
    writes: [out],
    lower: (c) => [residualAddDispatch(c, out, a, b)],
    grad(g) {
      const d = g.gradOf(out);
      if (!d) return;
      contributeTensor(g, b, d, `${label} db`);
      contributeTensor(g, a, d, `${label} da`);
    },
  });
  return out;
}

function residualAddDispatch(c: LowerContext, out: Tensor, a: Tensor, b: Tensor): Dispatch {
  return residualAdd(c.gpu, c.view(out), c.view(a), c.view(b));
}

/** Dropout with a fresh stream; the identity (no node) at rate 0. */
export function dropoutOp(graph: Graph, label: string, x: Tensor, rate: number): Tensor {
  if (rate <= 0) return x;
  const stream = graph.nextStream();
  const out = graph.tensor(label, x.shape);
  graph.add({
    label,
    reads: [x],
    writes: [out],
    lower: (c) => [dropoutForward(c.gpu, c.view(out), c.view(x), c.seeds, { rate, stream })],
    grad(g) {
      const d = g.gradOf(out);
      if (!d) return;
      contributeVia(g, x, `${label} backward`, (target) => ({
        label: `${label} backward`, reads: [d], writes: [target],
        lower: (c) => [dropoutBackward(c.gpu, c.view(target), c.view(d), c.seeds, { rate, stream })],
      }));
    },
  });
  return out;
}

/**
 * x (B*T, D) = dropout(embed[tokens] * sqrt(D) + PE[t]). The tied embedding's gradient is always accumulated
 * into. In a training graph the backward's sort of the positions by token (it needs only the tokens) runs in
 * the forward's dispatch, into a tensor that lives until the backward; the dropout (a fresh stream when
 * rate > 0, as dropoutOp would take) runs in that dispatch too, and its backward in the scatter.
 */
export function embeddingOp(graph: Graph, label: string, tokens: Tensor, embed: Tensor, positions: Tensor, rate = 0): Tensor {
  const [b, t] = tokens.shape;
  const out = graph.tensor(label, [b * t, embed.shape[1]]);
  const sorted = graph.tensor(`${label}.sorted`, embeddingSortShape(tokens), 'i32');
  const stream = rate > 0 ? graph.nextStream() : 0;
  const dropout = (c: LowerContext) => (rate > 0 ? { rate, stream, seeds: c.seeds } : undefined);
  let trained = false; // set when the backward is emitted (before any lowering)
  graph.add({
    label,
    reads: [tokens, embed, positions],
    writes: [out, sorted],
    lower: (c) => [embeddingForward(c.gpu, {
      out: c.view(out), tokens: c.view(tokens), embed: c.view(embed), pe: c.view(positions),
      sorted: trained || rate > 0 ? c.view(sorted) : undefined, dropout: dropout(c),
    })],
    grad(g) {
      const d = g.gradOf(out);
      if (!d) return;
      const target = g.contribute(embed);
      if (!target.accumulate) throw new Error(`${label}: the tied output projection must write the embedding gradient first`);
      trained = true;
      g.emit({
        label: `${label} backward`, reads: [d, tokens, sorted, target.tensor], writes: [target.tensor],
        lower: (c) => embeddingBackward(c.gpu, { dembed: c.view(target.tensor), tokens: c.view(tokens), dout: c.view(d), sorted: c.view(sorted), dropout: dropout(c) }),
      });
    },
  });
  return out;
}

/** stats (2) = [mean label-smoothed CE over non-PAD targets, their count]: the loss node. */
export function crossEntropyOp(graph: Graph, label: string, logits: Tensor, targets: Tensor, smoothing: number): Tensor {
  const stats = graph.tensor(label, [2]);
  const lse = graph.tensor(`${label}.lse`, [logits.shape[0]]);
  graph.add({
    label,
    isLoss: true,
    reads: [logits, targets],
    writes: [stats, lse],
    lower: (c) => crossEntropyForward(c.gpu, { stats: c.view(stats), lse: c.view(lse), logits: c.view(logits), targets: c.view(targets), smoothing }),
    grad(g) {
      contributeVia(g, logits, `${label} backward`, (target) => ({
        label: `${label} backward`, reads: [logits, targets, lse, stats], writes: [target],
        lower: (c) => [crossEntropyBackward(c.gpu, { dlogits: c.view(target), logits: c.view(logits), targets: c.view(targets), lse: c.view(lse), stats: c.view(stats), smoothing })],
      }));
    },
  });
  return stats;
}

/** out (R, C) = x[index[r], :]: forward only (decoding takes one position per hypothesis; no gradient rule). */
export function gatherRowsOp(graph: Graph, label: string, x: Tensor, index: Tensor): Tensor {
  const out = graph.tensor(label, [index.shape[0], x.shape[x.shape.length - 1]]);
  graph.add({ label, reads: [x, index], writes: [out], lower: (c) => [gatherRows(c.gpu, c.view(out), c.view(x), c.view(index))] });
  return out;
}
