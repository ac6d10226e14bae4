// CPU reference (f64) of shaders/attention.wgsl: per-head softmax attention with key padding, causal
// mask and dropout on the probabilities, forward and backward, with the launchers' views and spec, and
// the probabilities of chosen heads recomputed from a saved lse (attentionProbs).
// Element (b, t, h, c) of a view sits at offset + (b*T + t)*rowStride + h*dHead + c.
// Dropout index of probability (b, h, i, j): ((b*H + h)*Tq + i)*Tk + j (src/reference/rng.ts).
// A query row whose keys are all masked outputs 0, has lse 0 and gets 0 gradient.
import { dropoutScale } from './rng.ts';

export interface RefView {
  data: ArrayLike<number>;
  offset?: number;
  rowStride: number;
}

export interface RefOutView {
  data: { [i: number]: number; length: number };
  offset?: number;
  rowStride: number;
}

export interface AttentionRefSpec {
  batch: number;
  heads: number;
  dHead: number;
  tq: number;
  tk: number;
  causal?: boolean;
  /** (B, Tk) key-side token ids; 0 = PAD is masked. */
  keyTokens?: ArrayLike<number>;
  dropout?: number;
  stream?: number;
}

/** Element index of (b, t, h, c) in a view over rows of length T. */
function at(view: RefView | RefOutView, T: number, dHead: number, b: number, t: number, h: number, c: number): number {
  return (view.offset ?? 0) + (b * T + t) * view.rowStride + h * dHead + c;
}

/** The probabilities of query row i of head (b, h) (0 where masked; all 0 if the row is fully masked). */
interface Row {
  p: Float64Array;
  drop: Float64Array;
  lse: number;
}

function softmaxRow(s: AttentionRefSpec, q: RefView, k: RefView, b: number, h: number, i: number, seed: number): Row {
  const { dHead, tq, tk, heads } = s;
  const scores = new Float64Array(tk).fill(-Infinity);
  let max = -Infinity;
  for (let j = 0; j < tk; j++) {
    if ((s.causal && j > i) || (s.keyTokens && s.keyTokens[b * tk + j] === 0)) continue;
    let dot = 0;
    for (let c = 0; c < dHead; c++) dot += q.data[at(q, tq, dHead, b, i, h, c)] * k.data[at(k, tk, dHead, b, j, h, c)];
    scores[j] = dot / Math.sqrt(dHead);
    max = Math.max(max, scores[j]);
  }
  const p = new Float64Array(tk);
  const drop = new Float64Array(tk);
  if (max === -Infinity) return { p, drop, lse: 0 };
  let sum = 0;
  for (let j = 0; j < tk; j++) sum += p[j] = Math.exp(scores[j] - max);
  const rate = Math.fround(s.dropout ?? 0);
  for (let j = 0; j < tk; j++) {
    p[j] /= sum;
    drop[j] = dropoutScale(seed, s.stream ?? 0, ((b * heads + h) * tq + i) * tk + j, rate);
  }
  return { p, drop, lse: max + Math.log(sum) };
}

function forEachRow(s: AttentionRefSpec, body: (b: number, h: number, i: number) => void): void {
  for (let b = 0; b < s.batch; b++) for (let h = 0; h < s.heads; h++) for (let i = 0; i < s.tq; i++) body(b, h, i);
}

/** o = dropout(softmax(q k^T / sqrt(dHead) + mask)) v per head; lse (B, H, Tq) if given. */
export function attentionForward(
  s: AttentionRefSpec, q: RefView, k: RefView, v: RefView, o: RefOutView, lse?: RefOutView['data'], seed = 0,
): void {
  const { dHead, tq, tk } = s;
  forEachRow(s, (b, h, i) => {
    const row = softmaxRow(s, q, k, b, h, i, seed);
    for (let c = 0; c < dHead; c++) {
      let acc = 0;
      for (let j = 0; j < tk; j++) acc += row.p[j] * row.drop[j] * v.data[at(v, tk, dHead, b, j, h, c)];
      o.data[at(o, tq, dHead, b, i, h, c)] = acc;
    }
    if (lse) lse[(b * s.heads + h) * tq + i] = row.lse;
  });
}

function zeroHeads(view: RefOutView, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) view.data[(view.offset ?? 0) + r * view.rowStride + c] = 0;
}

/**
 * dQ, dK, dV of attentionForward given dO (dP = dO V^T * drop, dS = P * (dP - rowsum(P * dP))).
 * Only the head columns of the output views are written.
 */
export function attentionBackward(
  s: AttentionRefSpec, q: RefView, k: RefView, v: RefView, dO: RefView,
  dQ: RefOutView, dK: RefOutView, dV: RefOutView, seed = 0,
): void {
  const { dHead, tq, tk, heads } = s;
  const scale = 1 / Math.sqrt(dHead);
  zeroHeads(dQ, s.batch * tq, heads * dHead);
  zeroHeads(dK, s.batch * tk, heads * dHead);
  zeroHeads(dV, s.batch * tk, heads * dHead);
  forEachRow(s, (b, h, i) => {
    const { p, drop } = softmaxRow(s, q, k, b, h, i, seed);
    const dp = new Float64Array(tk);
    let rowsum = 0;
    for (let j = 0; j < tk; j++) {
      if (p[j] === 0) continue;
      let dot = 0;
      for (let c = 0; c < dHead; c++) dot += dO.data[at(dO, tq, dHead, b, i, h, c)] * v.data[at(v, tk, dHead, b, j, h, c)];
      dp[j] = dot * drop[j];
      rowsum += p[j] * dp[j];
    }
    for (let j = 0; j < tk; j++) {
      if (p[j] === 0) continue;
      const ds = p[j] * (dp[j] - rowsum) * scale;
      for (let c = 0; c < dHead; c++) {
        const qi = at(q, tq, dHead, b, i, h, c);
        const kj = at(k, tk, dHead, b, j, h, c);
        dQ.data[at(dQ, tq, dHead, b, i, h, c)] += ds * k.data[kj];
        dK.data[at(dK, tk, dHead, b, j, h, c)] += ds * q.data[qi];
        dV.data[at(dV, tk, dHead, b, j, h, c)] += p[j] * drop[j] * dO.data[at(dO, tq, dHead, b, i, h, c)];
      }
    }
  });
}

/**
 * P = exp(q k^T / sqrt(dHead) - lse) of heads [first, first + count) into probs (B, count, Tq, Tk), 0 where
 * masked (no dropout): the kernel's recomputation from the forward's lse (B, H, Tq).
 */
export function attentionProbs(
  s: AttentionRefSpec, q: RefView, k: RefView, lse: ArrayLike<number>, probs: RefOutView['data'], range = { first: 0, count: s.heads },
): void {
  const { dHead, tq, tk, heads } = s;
  for (let b = 0; b < s.batch; b++) {
    for (let h = range.first; h < range.first + range.count; h++) {
      for (let i = 0; i < tq; i++) {
        for (let j = 0; j < tk; j++) {
          const masked = (s.causal && j > i) || (s.keyTokens && s.keyTokens[b * tk + j] === 0);
          let dot = 0;
          for (let c = 0; c < dHead && !masked; c++) dot += q.data[at(q, tq, dHead, b, i, h, c)] * k.data[at(k, tk, dHead, b, j, h, c)];
          const out = ((b * range.count + h - range.first) * tq + i) * tk + j;
          probs[out] = masked ? 0 : Math.exp(dot / Math.sqrt(dHead) - lse[(b * heads + h) * tq + i]);
        }
      }
    }
  }
}
