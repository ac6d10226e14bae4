// CPU reference (f64) of shaders/cross_entropy.wgsl: label-smoothed softmax cross-entropy over non-PAD rows
// (equal to PyTorch's F.cross_entropy(logits, y, ignore_index=0, label_smoothing=eps)).

type Vec = ArrayLike<number>;

export interface CrossEntropyForward {
  loss: number; // mean over counted rows, 0 when there are none
  count: number; // rows whose target is not PAD (0)
  lse: Float64Array; // (N) log sum exp per row
}

/** A target counts when it is not PAD and lies in [0, V) (others are ignored, as on the GPU). */
const counted = (y: number, vocab: number): boolean => y > 0 && y < vocab;

function logSumExp(logits: Vec, base: number, vocab: number): number {
  let mx = -Infinity;
  for (let v = 0; v < vocab; v++) mx = Math.max(mx, logits[base + v]);
  let s = 0;
  for (let v = 0; v < vocab; v++) s += Math.exp(logits[base + v] - mx);
  return mx + Math.log(s);
}

/** loss = mean over non-PAD rows of (1-eps)(-log p[y]) + eps * mean_v(-log p[v]). */
export function crossEntropyForward(logits: Vec, targets: Vec, rows: number, vocab: number, smoothing: number): CrossEntropyForward {
  const lse = new Float64Array(rows);
  let total = 0;
  let count = 0;
  for (let n = 0; n < rows; n++) {
    const base = n * vocab;
    lse[n] = logSumExp(logits, base, vocab);
    const y = targets[n];
    if (!counted(y, vocab)) continue;
    let meanLogit = 0;
    for (let v = 0; v < vocab; v++) meanLogit += logits[base + v] / vocab;
    total += (1 - smoothing) * (lse[n] - logits[base + y]) + smoothing * (lse[n] - meanLogit);
    count++;
  }
  return { loss: count > 0 ? total / count : 0, count, lse };
}

/** dlogits = scale * (p - (1-eps) onehot(y) - eps/V) / count on non-PAD rows, 0 elsewhere. */
export function crossEntropyBackward(logits: Vec, targets: Vec, rows: number, vocab: number, smoothing: number, scale = 1): Float64Array {
  const { count, lse } = crossEntropyForward(logits, targets, rows, vocab, smoothing);
  const dlogits = new Float64Array(rows * vocab);
  if (count === 0) return dlogits;
  for (let n = 0; n < rows; n++) {
    const y = targets[n];
    if (!counted(y, vocab)) continue;
    for (let v = 0; v < vocab; v++) {
      const p = Math.exp(logits[n * vocab + v] - lse[n]);
      dlogits[n * vocab + v] = (scale * (p - (v === y ? 1 - smoothing : 0) - smoothing / vocab)) / count;
    }
  }
  return dlogits;
}
