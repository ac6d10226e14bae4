// The multi-head BASELINE of model.md written with TF.js ops, for the side-by-side training bench: the
// encoder-decoder Transformer with embedding·√D + sinusoidal positions, post-LN layers, multi-head
// attention with key-padding (and causal) additive masks, ReLU FFN, tied output projection, label-smoothed
// cross-entropy averaged over non-PAD targets (tf.losses.softmaxCrossEntropy), no dropout. Gradients by
// optimizer.minimize (tf.variableGrads), Adam with beta1 0.9, beta2 0.98, eps 1e-9 (TF.js's Adam is the
// bias-corrected PyTorch form). One tf.Variable per logical parameter of model.md, loaded from our flat
// parameter array, so both engines start from the same weights. Written the way a TF.js user would:
// library ops (fused matmul + bias + ReLU where TF.js has it), no custom kernels.
// Shapes: B sentences, S source / T target positions, D width, M heads, dk = D/M, F FFN width, V vocab.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tf } from './tfjs.ts';
import { headDim, type ModelConfig } from '../model/config.ts';
import { PAD, type Batch } from '../model/batch.ts';
import { readParam, type ParamTable } from '../model/params.ts';

type T2 = TfCore.Tensor2D;
type T4 = TfCore.Tensor4D;

/** A batch as TF.js tensors, built once and reused by every step. */
export interface TfjsBatch {
  b: number;
  s: number;
  t: number;
  src: TfCore.Tensor1D; // (B*S) int32
  tgtIn: TfCore.Tensor1D; // (B*T) int32
  /** (B*T, V) one-hot of tgt_out; the loss smooths it. */
  labels: T2;
  /** (B*T): 1 where tgt_out is not PAD. */
  weights: TfCore.Tensor1D;
  /** Additive masks: (B, 1, 1, S) source keys that are PAD; (B, 1, T, T) causal + target keys that are PAD. */
  srcMask: T4;
  tgtMask: T4;
  /** Sinusoidal positions tiled over the batch: (B*S, D) and (B*T, D). */
  srcPos: T2;
  tgtPos: T2;
}

const MASKED = -1e9;

/** PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(same), rows tiled `batch` times. */
function positions(len: number, d: number, batch: number): Float32Array {
  const out = new Float32Array(batch * len * d);
  for (let pos = 0; pos < len; pos++) {
    for (let i = 0; i < d; i += 2) {
      const angle = pos / 10000 ** (i / d);
      for (let b = 0; b < batch; b++) {
        out[(b * len + pos) * d + i] = Math.sin(angle);
        out[(b * len + pos) * d + i + 1] = Math.cos(angle);
      }
    }
  }
  return out;
}

/** TF.js tensors of a batch (our Batch layout: row-major (B, S) / (B, T) ids). */
export function tfjsBatch(tf: Tf, config: ModelConfig, batch: Batch): TfjsBatch {
  const { batch: b, srcLen: s, tgtLen: t } = batch;
  const srcMask = new Float32Array(b * s), tgtMask = new Float32Array(b * t * t), weights = new Float32Array(b * t);
  for (let i = 0; i < b * s; i++) srcMask[i] = batch.src[i] === PAD ? MASKED : 0;
  for (let r = 0; r < b; r++) {
    for (let q = 0; q < t; q++) {
      for (let k = 0; k < t; k++) tgtMask[(r * t + q) * t + k] = k > q || batch.tgtIn[r * t + k] === PAD ? MASKED : 0;
    }
  }
  for (let i = 0; i < b * t; i++) weights[i] = batch.tgtOut[i] === PAD ? 0 : 1;
  return {
    b, s, t,
    src: tf.tensor1d(batch.src, 'int32'),
    tgtIn: tf.tensor1d(batch.tgtIn, 'int32'),
    labels: tf.oneHot(tf.tensor1d(batch.tgtOut, 'int32'), config.vocab, 1, 0, 'float32') as T2,
    weights: tf.tensor1d(weights),
    srcMask: tf.tensor4d(srcMask, [b, 1, 1, s]),
    tgtMask: tf.tensor4d(tgtMask, [b, 1, t, t]),
    srcPos: tf.tensor2d(positions(s, config.dModel, b), [b * s, config.dModel]),
    tgtPos: tf.tensor2d(positions(t, config.dModel, b), [b * t, config.dModel]),
  };
}

export function disposeTfjsBatch(batch: TfjsBatch): void {
  for (const x of [batch.src, batch.tgtIn, batch.labels, batch.weights, batch.srcMask, batch.tgtMask, batch.srcPos, batch.tgtPos]) x.dispose();
}

/** The baseline model: its variables and its loss. */
export class TfjsBaseline {
  readonly variables = new Map<string, TfCore.Variable>();
  private readonly d: number;
  private readonly m: number;
  private readonly dk: number;

  /** Variables named `${tag}/${key}` (TF.js variable names are global), values from our flat array. */
  constructor(private readonly tf: Tf, readonly config: ModelConfig, table: ParamTable, flat: Float32Array, tag: string) {
    if (config.variant !== 'baseline') throw new Error('TfjsBaseline: only the baseline variant is written in TF.js');
    this.d = config.dModel;
    this.m = config.branches;
    this.dk = headDim(config);
    for (const e of table.entries) {
      this.variables.set(e.key, tf.variable(tf.tensor(readParam(flat, e), e.shape), true, `${tag}/${e.key}`));
    }
  }

  private p(key: string): TfCore.Variable {
    const v = this.variables.get(key);
    if (!v) throw new Error(`TfjsBaseline: no parameter ${key}`);
    return v;
  }

  /** x @ W + b, with ReLU when asked (one fused TF.js matmul). */
  private dense(x: T2, w: string, b?: string, relu = false): T2 {
    const tf = this.tf;
    if (!b) return tf.matMul(x, this.p(w) as T2);
    return tf.fused.matMul({ a: x, b: this.p(w) as T2, bias: this.p(b), activation: relu ? 'relu' : 'linear' }) as T2;
  }

  /** LN over the last dim, biased variance, eps 1e-5. */
  private layerNorm(x: T2, prefix: string): T2 {
    const tf = this.tf;
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, this.p(`${prefix}.g`)), this.p(`${prefix}.b`)) as T2;
  }

  /** MHA(x_q, x_kv) @ wo with an additive mask broadcast over heads: (B*Tq, D). */
  private attention(prefix: string, xq: T2, xkv: T2, b: number, tq: number, tk: number, mask: T4): T2 {
    const tf = this.tf, { d, m, dk } = this;
    const heads = (x: T2, len: number) => tf.transpose(tf.reshape(x, [b, len, m, dk]), [0, 2, 1, 3]) as T4;
    const q = heads(this.dense(xq, `${prefix}.wq`, `${prefix}.bq`), tq);
    const k = heads(this.dense(xkv, `${prefix}.wk`, `${prefix}.bk`), tk);
    const v = heads(this.dense(xkv, `${prefix}.wv`, `${prefix}.bv`), tk);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)), mask);
    const o = tf.matMul(tf.softmax(scores), v);
    const concat = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [b * tq, d]) as T2;
    return tf.matMul(concat, this.p(`${prefix}.wo`) as T2);
  }

  private ffn(x: T2, prefix: string): T2 {
    return this.dense(this.dense(x, `${prefix}.w1`, `${prefix}.b1`, true), `${prefix}.w2`, `${prefix}.b2`);
  }

  private embed(tokens: TfCore.Tensor1D, pos: T2): T2 {
    const tf = this.tf;
    return tf.add(tf.mul(tf.gather(this.p('embed'), tokens) as T2, Math.sqrt(this.d)), pos);
  }

  /** Mean label-smoothed cross-entropy over the non-PAD targets of `x`. */
  loss(x: TfjsBatch): TfCore.Scalar {
    const tf = this.tf, c = this.config;
    let enc = this.embed(x.src, x.srcPos);
    for (let l = 0; l < c.encLayers; l++) {
      const p = `enc.${l}`;
      const h = this.layerNorm(tf.add(enc, this.attention(`${p}.attn`, enc, enc, x.b, x.s, x.s, x.srcMask)), `${p}.ln1`);
      enc = this.layerNorm(tf.add(h, this.ffn(h, `${p}.ffn`)), `${p}.ln2`);
    }
    let y = this.embed(x.tgtIn, x.tgtPos);
    for (let l = 0; l < c.decLayers; l++) {
      const p = `dec.${l}`;
      const h0 = this.layerNorm(tf.add(y, this.attention(`${p}.self`, y, y, x.b, x.t, x.t, x.tgtMask)), `${p}.ln0`);
      const h1 = this.layerNorm(tf.add(h0, this.attention(`${p}.cross`, h0, enc, x.b, x.t, x.s, x.srcMask)), `${p}.ln1`);
      y = this.layerNorm(tf.add(h1, this.ffn(h1, `${p}.ffn`)), `${p}.ln2`);
    }
    const logits = tf.matMul(y, this.p('embed') as T2, false, true);
    return tf.losses.softmaxCrossEntropy(x.labels, logits, x.weights, c.labelSmoothing) as TfCore.Scalar;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

/** Adam (0.9, 0.98, 1e-9) over every variable; `step` sets the learning rate of that step. */
export class TfjsTrainer {
  private readonly optimizer: TfCore.AdamOptimizer;
  private readonly varList: TfCore.Variable[];

  constructor(tf: Tf, readonly model: TfjsBaseline) {
    this.optimizer = tf.train.adam(1e-3, 0.9, 0.98, 1e-9);
    this.varList = [...model.variables.values()];
  }

  /** One optimizer step; returns the loss before the update when `returnCost` (the caller disposes it). */
  step(batch: TfjsBatch, lr: number, returnCost: boolean): TfCore.Scalar | null {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    return this.optimizer.minimize(() => this.model.loss(batch), returnCost, this.varList);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
