// The two models of model.md written once as a graph of ops: the multi-head baseline and the Weighted
// Transformer (branched attention + per-branch FFNs weighted by kappa and alpha), both encoder-decoder,
// post-LN, tied embeddings, sinusoidal positions. Shapes: B sentences, S source and T target positions,
// D = dModel, M = branches, dk = D/M, F = dFF, V = vocab; N = B*S (encoder rows) or B*T (decoder rows).
import { Graph, buildBackward, type Tensor } from '../graph/graph.ts';
import {
  alphaSumOp, attentionOp, crossEntropyOp, embeddingOp, gatherRowsOp, kappaScaleOp, matmulOp, residualLayerNormOp, weightsSoftmaxOp,
} from '../graph/ops.ts';
import { positionalTableData } from '../gpu/kernels/embedding.ts';
import { headDim, type ModelConfig } from './config.ts';
import { buildParamTable, type ParamTable } from './params.ts';

export interface BatchShape {
  batch: number;
  srcLen: number;
  tgtLen: number;
}

export interface ModelGraph {
  graph: Graph;
  table: ParamTable;
  shape: BatchShape;
  src: Tensor; // (B, S) i32
  tgtIn: Tensor; // (B, T) i32
  tgtOut: Tensor; // (B, T) i32
  /** (2): [mean loss over non-PAD targets, their count] */
  stats: Tensor;
  logits: Tensor; // (B*T, V)
}

/** Builds the forward graph of one model at one batch shape, then its backward (when `train`). */
class ModelBuilder {
  readonly graph = new Graph();
  readonly c: ModelConfig;
  readonly d: number;
  readonly dk: number;
  private readonly params = new Map<string, Tensor>();

  constructor(readonly table: ParamTable, readonly shape: BatchShape) {
    this.c = table.config;
    this.d = this.c.dModel;
    this.dk = headDim(this.c);
  }

  /** The graph tensor of a parameter block (or a single kappa/alpha vector) of the flat buffer. */
  param(name: string, shape: readonly number[]): Tensor {
    let t = this.params.get(name);
    if (!t) {
      const entry = this.table.byKey.get(name);
      const block = this.table.blocks.get(name);
      const offset = block?.offset ?? entry?.offset;
      if (offset === undefined) throw new Error(`no parameter block "${name}"`);
      t = this.graph.tensor(name, shape, 'f32', { kind: 'params', offset });
      this.params.set(name, t);
    }
    return t;
  }

  /** y (rows, out) = x (rows, in) @ W (in, out) [+ b] with W, b parameter blocks. */
  linear(label: string, x: Tensor, w: string, outWidth: number, b?: string, zeroBiasGrad?: { start: number; count: number }): Tensor {
    const rows = x.shape[0], inWidth = x.shape[1];
    return matmulOp(this.graph, {
      label, a: x, b: this.param(w, [inWidth, outWidth]), bias: b ? this.param(b, [outWidth]) : undefined,
      layout: { m: rows, n: outWidth, k: inWidth }, outShape: [rows, outWidth], zeroBiasGrad,
    });
  }

  /** Self-attention (Q, K, V from one fused projection): the concatenated heads o (N, D). */
  selfAttention(prefix: string, x: Tensor, keyTokens: Tensor, len: number, causal: boolean): Tensor {
    const d = this.d;
    // bk has an exactly-zero gradient (see matmulOp's zeroBiasGrad); it is columns [D, 2D) of bqkv.
    const qkv = this.linear(`${prefix}.qkv`, x, `${prefix}.wqkv`, 3 * d, `${prefix}.bqkv`, { start: d, count: d });
    return attentionOp(this.graph, `${prefix}.attention`, this.attentionSpec(len, len, causal), keyTokens,
      { tensor: qkv, column: 0, rowStride: 3 * d }, { tensor: qkv, column: d, rowStride: 3 * d }, { tensor: qkv, column: 2 * d, rowStride: 3 * d });
  }

  /** Cross-attention: Q from the decoder state, K and V (one fused projection) from the encoder output. */
  crossAttention(prefix: string, h: Tensor, enc: Tensor, srcTokens: Tensor): Tensor {
    const d = this.d;
    const q = this.linear(`${prefix}.q`, h, `${prefix}.wq`, d, `${prefix}.bq`);
    const kv = this.linear(`${prefix}.kv`, enc, `${prefix}.wkv`, 2 * d, `${prefix}.bkv`, { start: 0, count: d });
    return attentionOp(this.graph, `${prefix}.attention`, this.attentionSpec(this.shape.tgtLen, this.shape.srcLen, false), srcTokens,
      { tensor: q, column: 0, rowStride: d }, { tensor: kv, column: 0, rowStride: 2 * d }, { tensor: kv, column: d, rowStride: 2 * d });
  }

  attentionSpec(tq: number, tk: number, causal: boolean) {
    return { batch: this.shape.batch, heads: this.c.branches, dHead: this.dk, tq, tk, causal, dropout: this.c.dropout, stream: this.graph.nextStream() };
  }

  /** Post-LN residual: LN(x + drop(y)), one fused op (y, a sublayer's output, is overwritten with the sum). */
  residualNorm(label: string, x: Tensor, y: Tensor, ln: string): Tensor {
    return residualLayerNormOp(this.graph, `${label}.residual_ln`, x, y, this.param(`${ln}.g`, [this.d]), this.param(`${ln}.b`, [this.d]), this.c.dropout);
  }

  /** Baseline sublayers after attention: o @ wo, residual + LN, FFN, residual + LN. */
  baselineTail(prefix: string, attnPrefix: string, x: Tensor, o: Tensor, lnA: string, lnB: string): Tensor {
    const d = this.d, f = this.c.dFF;
    const mha = this.linear(`${attnPrefix}.out`, o, `${attnPrefix}.wo`, d);
    const h = this.residualNorm(`${attnPrefix}`, x, mha, lnA);
    const hidden = this.linearRelu(`${prefix}.ffn.hidden`, h, `${prefix}.ffn.w1`, `${prefix}.ffn.b1`, f); // dropout(relu(h w1 + b1))
    const out = this.linear(`${prefix}.ffn.out`, hidden, `${prefix}.ffn.w2`, d, `${prefix}.ffn.b2`);
    return this.residualNorm(`${prefix}.ffn`, h, out, lnB);
  }

  /** dropout(relu(x @ W + b)): the FFN's hidden layer, its dropout fused into the matmul's epilogue. */
  linearRelu(label: string, x: Tensor, w: string, b: string, width: number): Tensor {
    const rows = x.shape[0], inWidth = x.shape[1];
    return matmulOp(this.graph, {
      label, a: x, b: this.param(w, [inWidth, width]), bias: this.param(b, [width]),
      layout: { m: rows, n: width, k: inWidth, relu: true }, outShape: [rows, width], dropout: this.c.dropout,
    });
  }

  /** The branched block of model.md: kappa-scaled per-branch projections, per-branch FFNs, alpha sum, LN. */
  branchedTail(prefix: string, attnPrefix: string, xq: Tensor, o: Tensor): Tensor {
    const { d, dk } = this;
    const m = this.c.branches, fm = this.c.dFF / m, rows = xq.shape[0];
    // head_i @ W_i^O: columns i*dk.. of o times rows i*dk.. of wo, all branches in one batched matmul.
    const heads = matmulOp(this.graph, {
      label: `${attnPrefix}.branch_out`, a: o, b: this.param(`${attnPrefix}.wo`, [d, d]), outShape: [m, rows, d],
      layout: { m: rows, n: d, k: dk, batch: m, lda: d, strideA: dk, strideB: dk * d, strideC: rows * d },
    });
    const [kappa, alpha, trainable] = this.branchWeights(prefix);
    const a = kappaScaleOp(this.graph, `${prefix}.kappa_scale`, heads, kappa, trainable);
    // dropout(relu(a w1 + b1)) per branch, the dropout fused into the matmul's epilogue.
    const dropped = matmulOp(this.graph, {
      label: `${prefix}.ffn.hidden`, a, b: this.param(`${prefix}.ffn.w1`, [m, d, fm]), bias: this.param(`${prefix}.ffn.b1`, [m, fm]),
      outShape: [m, rows, fm], layout: { m: rows, n: fm, k: d, batch: m, strideA: rows * d, strideB: d * fm, strideC: rows * fm, biasStride: fm, relu: true },
      dropout: this.c.dropout,
    });
    const f = matmulOp(this.graph, {
      label: `${prefix}.ffn.out`, a: dropped, b: this.param(`${prefix}.ffn.w2`, [m, fm, d]), bias: this.param(`${prefix}.ffn.b2`, [m, d]),
      outShape: [m, rows, d], layout: { m: rows, n: d, k: fm, batch: m, strideA: rows * fm, strideB: fm * d, strideC: rows * d, biasStride: d },
    });
    const y = alphaSumOp(this.graph, `${prefix}.alpha_sum`, f, alpha, trainable);
    return this.residualNorm(`${prefix}.branched`, xq, y, `${prefix}.ln`);
  }

  /** Effective kappa and alpha of a layer per `weighting`, and whether they are trained. */
  branchWeights(prefix: string): [Tensor, Tensor, boolean] {
    const m = this.c.branches;
    const kappa = this.param(`${prefix}.kappa`, [m]);
    const alpha = this.param(`${prefix}.alpha`, [m]);
    switch (this.c.weighting) {
      case 'projected':
        return [kappa, alpha, true];
      case 'softmax':
        return [weightsSoftmaxOp(this.graph, `${prefix}.kappa_eff`, kappa), weightsSoftmaxOp(this.graph, `${prefix}.alpha_eff`, alpha), true];
      case 'uniform': {
        const uniform = this.graph.tensor(`${prefix}.uniform`, [m], 'f32', { kind: 'constant', values: new Float32Array(m).fill(1 / m) });
        return [uniform, uniform, false];
      }
    }
  }

  /** Source tokens → encoder output (B*S, D). */
  encoder(src: Tensor, embed: Tensor, positions: Tensor): Tensor {
    const c = this.c, g = this.graph, s = src.shape[1];
    const weighted = c.variant === 'weighted';
    let x = embeddingOp(g, 'enc.embed', src, embed, positions, c.dropout); // dropout fused
    for (let l = 0; l < c.encLayers; l++) {
      const p = `enc.${l}`;
      const o = this.selfAttention(`${p}.attn`, x, src, s, false);
      x = weighted ? this.branchedTail(p, `${p}.attn`, x, o) : this.baselineTail(p, `${p}.attn`, x, o, `${p}.ln1`, `${p}.ln2`);
    }
    return x;
  }

  /**
   * Decoder input tokens and the encoder output → logits through the tied embedding: (B*T, V), or (R, V)
   * at the R rows of the decoder state that `pick` (R, i32: row b*T + t) selects (decoding one position).
   */
  decoder(tgtIn: Tensor, enc: Tensor, src: Tensor, embed: Tensor, positions: Tensor, pick?: Tensor): Tensor {
    const c = this.c, d = this.d, g = this.graph;
    const t = tgtIn.shape[1];
    const weighted = c.variant === 'weighted';
    let y = embeddingOp(g, 'dec.embed', tgtIn, embed, positions, c.dropout); // dropout fused
    for (let l = 0; l < c.decLayers; l++) {
      const p = `dec.${l}`;
      const selfO = this.selfAttention(`${p}.self`, y, tgtIn, t, true);
      const selfOut = this.linear(`${p}.self.out`, selfO, `${p}.self.wo`, d);
      const h0 = this.residualNorm(`${p}.self`, y, selfOut, `${p}.ln0`);
      const o = this.crossAttention(`${p}.cross`, h0, enc, src);
      y = weighted ? this.branchedTail(p, `${p}.cross`, h0, o) : this.baselineTail(p, `${p}.cross`, h0, o, `${p}.ln1`, `${p}.ln2`);
    }
    const rows = pick ? gatherRowsOp(g, 'dec.pick', y, pick) : y;
    const m = rows.shape[0];
    return matmulOp(g, { label: 'logits', a: rows, b: embed, outShape: [m, c.vocab], layout: { m, n: c.vocab, k: d, transB: true } });
  }

  inputs(): { src: Tensor; tgtIn: Tensor; embed: Tensor; positions: Tensor } {
    const { batch: b, srcLen: s, tgtLen: t } = this.shape;
    const c = this.c, g = this.graph;
    if (s > c.maxLen || t > c.maxLen) throw new Error(`batch lengths S=${s}, T=${t} exceed maxLen ${c.maxLen}`);
    return {
      src: g.tensor('src', [b, s], 'i32', { kind: 'input' }),
      tgtIn: g.tensor('tgt_in', [b, t], 'i32', { kind: 'input' }),
      embed: this.param('embed', [c.vocab, this.d]),
      positions: g.tensor('positions', [c.maxLen, this.d], 'f32', { kind: 'constant', values: positionalTableData(c.maxLen, this.d) }),
    };
  }

  build(train: boolean, keepLogits: boolean): ModelGraph {
    const g = this.graph;
    const { src, tgtIn, embed, positions } = this.inputs();
    const tgtOut = g.tensor('tgt_out', [this.shape.batch * this.shape.tgtLen], 'i32', { kind: 'input' });
    const enc = this.encoder(src, embed, positions);
    const logits = this.decoder(tgtIn, enc, src, embed, positions);
    const stats = g.output(crossEntropyOp(g, 'loss', logits, tgtOut, this.c.labelSmoothing));
    if (keepLogits) g.output(logits);
    if (train) buildBackward(g);
    return { graph: g, table: this.table, shape: this.shape, src, tgtIn, tgtOut, stats, logits };
  }
}

/** Forward-only graphs for translation: the encoder once per sentence batch, the decoder per step. */
export interface EncoderGraph {
  graph: Graph;
  src: Tensor;
  enc: Tensor;
}

export interface DecoderGraph {
  graph: Graph;
  src: Tensor;
  tgtIn: Tensor;
  /** (B*S, D), written from an encoder graph's output. */
  enc: Tensor;
  /** With `pickRows`: (B, i32) the row b*T + t of each sentence's state to project, written per step. */
  pick: Tensor | null;
  /** (B*T, V), or (B, V) at the picked rows. */
  logits: Tensor;
}

export function buildEncoderGraph(config: ModelConfig, batch: number, srcLen: number): EncoderGraph {
  const builder = new ModelBuilder(buildParamTable({ ...config, dropout: 0 }), { batch, srcLen, tgtLen: 1 });
  const { src, embed, positions } = builder.inputs();
  // The output is read by decoder graphs in later submits: it lives in this graph's own slot.
  return { graph: builder.graph, src, enc: builder.graph.output(builder.encoder(src, embed, positions)) };
}

/**
 * The decoder alone (forward, no dropout) at `shape`, reading the encoder output as an input. With
 * `pickRows` the logits are taken at one row per sentence (an input written per decoding step), so the
 * output projection costs B*V*D instead of B*T*V*D and the logits output is (B, V).
 */
export function buildDecoderGraph(config: ModelConfig, shape: BatchShape, pickRows = false): DecoderGraph {
  const builder = new ModelBuilder(buildParamTable({ ...config, dropout: 0 }), shape);
  const { src, tgtIn, embed, positions } = builder.inputs();
  const g = builder.graph;
  const enc = g.tensor('enc', [shape.batch * shape.srcLen, config.dModel], 'f32', { kind: 'input' });
  const pick = pickRows ? g.tensor('pick', [shape.batch], 'i32', { kind: 'input' }) : null;
  return { graph: g, src, tgtIn, enc, pick, logits: g.output(builder.decoder(tgtIn, enc, src, embed, positions, pick ?? undefined)) };
}

/**
 * The training graph (forward + backward) or the forward-only graph of a model at one batch shape. The
 * loss stats are always an output; `keepLogits` makes the logits one too (read back after the pass: a
 * private buffer of B*T*V floats, so only when asked).
 */
export function buildModelGraph(config: ModelConfig, shape: BatchShape, train = true, keepLogits = false): ModelGraph {
  return new ModelBuilder(buildParamTable(config), shape).build(train, keepLogits);
}
