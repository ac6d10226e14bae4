// Seeded initialization of every parameter (model.md "Optimization"): Xavier-uniform for matrices
// (per branch slice for the per-branch FFN weights), N(0, std D^-0.5) for `embed` (the std reading, as
// fairseq's Transformer does), biases 0, LayerNorm g = 1, b = 0, kappa/alpha by weighting. All draws come
// from one generator in the order of the parameter table, so a seed fixes the model.
import { numelOf, writeParam, type ParamEntry, type ParamTable } from './params.ts';

/** xoshiro128** (Blackman & Vigna): a small, well-mixed 32-bit generator, seeded through splitmix32. */
export class SeededRandom {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Values of one parameter, drawn from `rng`. */
function initValues(e: ParamEntry, rng: SeededRandom, dModel: number): Float32Array {
  const n = numelOf(e.shape);
  const out = new Float32Array(n);
  switch (e.init) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'embed': {
      const std = dModel ** -0.5;
      for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
      return out;
    }
    case 'xavier': {
      // Last two dims are (fan_in, fan_out); a leading branch dim means one Xavier matrix per branch.
      const fanOut = e.shape[e.shape.length - 1];
      const fanIn = e.shape[e.shape.length - 2];
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * bound;
      return out;
    }
    case 'simplex': {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += out[i] = rng.uniform();
      for (let i = 0; i < n; i++) out[i] /= sum;
      return out;
    }
    case 'logits':
      for (let i = 0; i < n; i++) out[i] = rng.uniform();
      return out;
    case 'uniformWeights':
      return out.fill(1 / n);
  }
}

/** A freshly initialized flat parameter array for `table` from `seed`. */
export function initParams(table: ParamTable, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const flat = new Float32Array(table.size);
  for (const e of table.entries) writeParam(flat, e, initValues(e, rng, table.config.dModel));
  return flat;
}
