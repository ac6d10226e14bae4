// CPU reference (f64) of shaders/embedding.wgsl: x = embed[tok] * sqrt(D) + PE[pos] and its backward.

type Vec = ArrayLike<number>;

/** PE (L, D): PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(pos / 10000^(2i/D)). */
export function positionalEncoding(maxLen: number, dim: number): Float64Array {
  const pe = new Float64Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let i = 0; 2 * i < dim; i++) {
      const angle = pos / 10000 ** ((2 * i) / dim);
      pe[pos * dim + 2 * i] = Math.sin(angle);
      if (2 * i + 1 < dim) pe[pos * dim + 2 * i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

function checkToken(tok: number, vocab: number): void {
  if (!Number.isInteger(tok) || tok < 0 || tok >= vocab) throw new Error(`embedding: token ${tok} outside [0, ${vocab})`);
}

/** out (B*T, D) = embed (V, D)[tokens (B, T)] * sqrt(D) + PE[t], positions restarting at 0 per sentence. */
export function embeddingForward(tokens: Vec, embed: Vec, batch: number, seq: number, dim: number): Float64Array {
  const vocab = embed.length / dim;
  const pe = positionalEncoding(seq, dim);
  const scale = Math.sqrt(dim);
  const out = new Float64Array(batch * seq * dim);
  for (let n = 0; n < batch * seq; n++) {
    checkToken(tokens[n], vocab);
    const t = n % seq;
    for (let d = 0; d < dim; d++) out[n * dim + d] = embed[tokens[n] * dim + d] * scale + pe[t * dim + d];
  }
  return out;
}

/** dembed (V, D) = sqrt(D) * sum over positions n with tokens[n] = v of dout (B*T, D) (add it to the gradient). */
export function embeddingBackward(tokens: Vec, dout: Vec, vocab: number, dim: number): Float64Array {
  const dembed = new Float64Array(vocab * dim);
  const scale = Math.sqrt(dim);
  for (let n = 0; n < tokens.length; n++) {
    checkToken(tokens[n], vocab);
    for (let d = 0; d < dim; d++) dembed[tokens[n] * dim + d] += scale * dout[n * dim + d];
  }
  return dembed;
}
