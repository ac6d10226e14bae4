// Incremental decoding equals decoding by recomputation. For random (seeded) weights, Translator's greedy
// and beam search (encoder once, decoder at the 16-step length buckets, only the current position read)
// must give the same tokens and sequence log-probabilities as a plain host search that reruns the WHOLE
// model (encoder + decoder, forward only, its own buffers, one fixed target length) on every prefix at
// every step. Same rules on both sides: GNMT length penalty ((5 + len) / 6)^alpha, PAD and BOS never
// generated, finished hypotheses carried. The cases cross the decoder's 16-step buckets (outputs past 16
// tokens, sources past 16 tokens of varied lengths in one batch) and include hypotheses that end: the EOS
// row of the tied embedding is scaled, which raises the EOS logit. Near ties are designed out: the host
// search refuses a step whose kept/dropped boundary is closer than TIE (a different seed is then needed),
// so tokens must match exactly and the log-probabilities within LOGP_ATOL.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { createTensor, readBuffer, releaseTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { compileGraph } from '../../src/graph/compile.ts';
import { validateModelConfig, type ModelConfig, type Variant, type Weighting } from '../../src/model/config.ts';
import { buildParamTable } from '../../src/model/params.ts';
import { initParams } from '../../src/model/init.ts';
import { buildModelGraph } from '../../src/model/transformer.ts';
import { BOS, EOS, PAD } from '../../src/model/batch.ts';
import { Translator } from '../../src/train/translate.ts';

/** Smallest allowed gap between the last kept and the first dropped candidate score (and the final pick). */
const TIE = 1e-4;
const LOGP_ATOL = 1e-4;
/** Translator's decoder bucket (LENGTH_STEP in translate.ts): outputs longer than this cross it. */
const BUCKET = 16;
/**
 * Random weights with Xavier scales give a decoder that mostly repeats its input token and barely reads the
 * source. Scaling every decoder matrix by DEC_SCALE and the cross-attention's wq, wk, wv once more by
 * CROSS_SCALE (sharper, stronger attention to the source) makes outputs depend on the source and the prefix.
 */
const DEC_SCALE = 2;
const CROSS_SCALE = 3;

interface Case {
  name: string;
  config: ModelConfig;
  seed: number;
  /** Factor on embed[EOS] (the tied output row of EOS): > 1 makes hypotheses end. */
  eosScale: number;
  sources: number[][];
  /** TranslateOptions.maxLen (the longest output, EOS included). */
  maxLen: number;
  lengthPenalty: number;
}

interface Hyp {
  tokens: number[]; // generated ids, EOS included when done
  logProb: number;
  done: boolean;
}

interface Reference {
  tokens: number[]; // without EOS, as Translator returns them
  logProb: number;
  done: boolean;
  /** Largest hypothesis length seen during the search (for the coverage checks). */
  longest: number;
  /** A finished hypothesis was carried in a beam next to unfinished ones. */
  carried: boolean;
}

class NearTie extends Error {}

function modelConfig(variant: Variant, weighting: Weighting, branches: number, layers: number, maxLen: number): ModelConfig {
  return validateModelConfig({
    variant, weighting, vocab: 40, dModel: 24, branches, dFF: 48, encLayers: layers, decLayers: layers, maxLen, dropout: 0, labelSmoothing: 0,
  });
}

/** Deterministic source sentences of the given lengths (ids 4..vocab-1). */
function sentences(lengths: number[], vocab: number, salt: number): number[][] {
  return lengths.map((n, i) => Array.from({ length: n }, (_, j) => 4 + ((salt * 7 + i * 13 + j * 5 + ((j * j) % 11)) % (vocab - 4))));
}

const penalty = (len: number, alpha: number): number => ((5 + len) / 6) ** alpha;
const scoreOf = (h: Hyp, alpha: number): number => h.logProb / penalty(Math.max(1, h.tokens.length), alpha);

/**
 * Greedy (beam 1) or beam search on the host, each step's log-probabilities from a fresh forward pass of
 * the whole model (buildModelGraph, forward only, no shared arena) on BOS + prefix, padded to T = maxOut.
 */
async function recomputeDecode(gpu: Gpu, c: Case, params: GpuTensor, beam: number): Promise<Reference[]> {
  const { config, sources, lengthPenalty: alpha } = c;
  const v = config.vocab;
  const maxOut = Math.min(c.maxLen, config.maxLen);
  const srcLen = Math.min(config.maxLen, Math.max(...sources.map((s) => s.length + 1)));
  const rows = sources.length * beam, tgtLen = maxOut;
  const model = buildModelGraph({ ...config, dropout: 0 }, { batch: rows, srcLen, tgtLen }, false);
  const grads = createTensor(gpu, [params.shape[0]]), seeds = uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32');
  const compiled = compileGraph(gpu, model.graph, { params, grads, seeds });
  const src = new Int32Array(rows * srcLen);
  sources.forEach((s, i) => {
    const ids = [...s.slice(0, srcLen - 1), EOS];
    for (let k = 0; k < beam; k++) src.set(ids, (i * beam + k) * srcLen);
  });
  const q = gpu.device.queue;
  q.writeBuffer(compiled.inputs.get('src')!.buffer, 0, src);
  q.writeBuffer(compiled.inputs.get('tgt_out')!.buffer, 0, new Int32Array(rows * tgtLen).fill(EOS));

  const beams: Hyp[][] = sources.map(() => [{ tokens: [], logProb: 0, done: false }]);
  const longest = sources.map(() => 0);
  const carried = sources.map(() => false);
  for (let t = 0; t < maxOut && !beams.every((list) => list.every((h) => h.done)); t++) {
    const tgtIn = new Int32Array(rows * tgtLen);
    beams.forEach((list, i) => {
      for (let k = 0; k < beam; k++) {
        const h = list[Math.min(k, list.length - 1)]; // spare rows repeat a real one
        tgtIn.set([BOS, ...h.tokens].slice(0, tgtLen), (i * beam + k) * tgtLen);
      }
    });
    q.writeBuffer(compiled.inputs.get('tgt_in')!.buffer, 0, tgtIn);
    await runDispatches(gpu, compiled.forward);
    const loc = compiled.locate(model.logits);
    const logits = new Float32Array(await readBuffer(gpu, loc.tensor.buffer, rows * tgtLen * v * 4, (loc.tensor.byteOffset ?? 0) + loc.offset * 4));
    beams.forEach((list, i) => {
      if (list.every((h) => h.done)) return;
      const candidates: Hyp[] = [];
      list.forEach((h, k) => {
        if (h.done) {
          candidates.push(h);
          return;
        }
        const lsm = logSoftmax(logits.subarray(((i * beam + k) * tgtLen + t) * v, ((i * beam + k) * tgtLen + t + 1) * v));
        for (let id = 0; id < v; id++) {
          if (id === PAD || id === BOS) continue;
          candidates.push({ tokens: [...h.tokens, id], logProb: h.logProb + lsm[id], done: id === EOS });
        }
      });
      candidates.sort((a, b) => scoreOf(b, alpha) - scoreOf(a, alpha));
      if (candidates.length > beam) {
        const gap = scoreOf(candidates[beam - 1], alpha) - scoreOf(candidates[beam], alpha);
        if (gap < TIE) throw new NearTie(`${c.name} beam ${beam}: sentence ${i} step ${t} has a near tie (gap ${gap.toExponential(2)}); pick another seed`);
      }
      beams[i] = candidates.slice(0, beam);
      longest[i] = Math.max(longest[i], ...beams[i].map((h) => h.tokens.length));
      if (beams[i].some((h) => h.done) && beams[i].some((h) => !h.done)) carried[i] = true;
    });
  }
  compiled.destroy();
  releaseTensor(gpu, grads);
  releaseTensor(gpu, seeds);
  return beams.map((list, i) => {
    const sorted = [...list].sort((a, b) => scoreOf(b, alpha) - scoreOf(a, alpha));
    if (sorted.length > 1 && scoreOf(sorted[0], alpha) - scoreOf(sorted[1], alpha) < TIE) throw new NearTie(`${c.name} beam ${beam}: sentence ${i}'s final pick is a near tie`);
    const h = sorted[0];
    return { tokens: h.tokens.filter((id) => id !== EOS), logProb: h.logProb, done: h.done, longest: longest[i], carried: carried[i] };
  });
}

/** log-softmax in f64 of one row of f32 logits. */
function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (x) => x - lse);
}

/** "tokens equal" with the first divergence named. */
function firstDivergence(got: number[], want: number[]): string {
  const n = Math.min(got.length, want.length);
  let p = 0;
  while (p < n && got[p] === want[p]) p++;
  return `first divergence at output position ${p}: got ${got[p] ?? '(end)'}, recomputation ${want[p] ?? '(end)'} (lengths ${got.length} vs ${want.length})`;
}

/** The case's weights: seeded init, then the EOS output row, the decoder and its cross-attention scaled. */
function caseParams(c: Case): Float32Array {
  const table = buildParamTable(c.config);
  const flat = initParams(table, c.seed);
  const scale = (key: string, factor: number) => {
    const e = table.byKey.get(key)!;
    const cols = e.shape[e.shape.length - 1], rowsOf = e.shape.reduce((a, b) => a * b, 1) / cols;
    for (let r = 0; r < rowsOf; r++) for (let j = 0; j < cols; j++) flat[e.offset + r * e.rowStride + j] *= factor;
  };
  const embed = table.byKey.get('embed')!;
  for (let j = 0; j < c.config.dModel; j++) flat[embed.offset + EOS * embed.rowStride + j] *= c.eosScale;
  for (let l = 0; l < c.config.decLayers; l++) for (const w of ['wq', 'wk', 'wv']) scale(`dec.${l}.cross.${w}`, CROSS_SCALE);
  for (const e of table.entries) if (e.key.startsWith('dec.') && /\.w[^.]*$/.test(e.key)) scale(e.key, DEC_SCALE);
  return flat;
}

// Sources of varied lengths in one batch, some longer than 16; the recomputation pads them to the longest
// + EOS only, the translator to its own source buckets (PAD keys must be masked either way). Output maxLen
// 24 or 26 with the model's maxLen 32: the translator's decoder runs at T = 16, then 32. The case with the
// model's maxLen 20 caps the second bucket (T = 20) and truncates its longest source to maxLen - 1 tokens +
// EOS. Length penalty 0.6, or 0 in every third case. Seeds and EOS scales are picked so that every case has
// ended and unfinished hypotheses and no near tie (see TIE).
type Row = [Variant, Weighting, branches: number, layers: number, seed: number, eosScale: number, lengths: number[], modelMaxLen?: number];
const ROWS: Row[] = [
  ['weighted', 'projected', 3, 2, 11, 2.5, [3, 17, 9, 22]],
  ['weighted', 'projected', 4, 1, 112, 2.5, [21, 5, 12]],
  ['weighted', 'softmax', 3, 1, 13, 2.5, [18, 2, 14, 7]],
  ['weighted', 'softmax', 4, 2, 14, 2.5, [3, 17, 9, 22]],
  ['weighted', 'uniform', 3, 2, 15, 3, [21, 5, 12]],
  ['weighted', 'uniform', 4, 1, 16, 2.5, [25, 2, 14, 7], 20],
  ['baseline', 'projected', 3, 1, 17, 2.5, [3, 17, 9, 22]],
  ['baseline', 'projected', 4, 2, 18, 2, [21, 5, 12]],
];
const CASES: Case[] = ROWS.map(([variant, weighting, branches, layers, seed, eosScale, lengths, modelMaxLen], i): Case => {
  const config = modelConfig(variant, weighting, branches, layers, modelMaxLen ?? 32);
  return {
    name: `${variant}${variant === 'weighted' ? `/${weighting}` : ''} M=${branches} L=${layers}${modelMaxLen ? ` maxLen=${modelMaxLen}` : ''}`,
    config, seed, eosScale, sources: sentences(lengths, config.vocab, i),
    maxLen: modelMaxLen ?? 24 + (i % 2) * 2, lengthPenalty: i % 3 === 2 ? 0 : 0.6,
  };
});

describe('incremental decoding equals recomputation of the whole model at every step', () => {
  for (const c of CASES) {
    it(`${c.name}: greedy and beam 4, tokens and log-probabilities`, async () => {
      const gpu = await testGpu();
      const flat = caseParams(c);
      const params = uploadTensor(gpu, flat, [flat.length]);
      const want = new Map<number, Reference[]>();
      for (const beam of [1, 4]) want.set(beam, await recomputeDecode(gpu, c, params, beam));

      // The case means something: some outputs end with EOS, some hypotheses decode past the first bucket,
      // and a beam carries a finished hypothesis next to unfinished ones.
      const all = [...want.values()].flat();
      expect(all.some((w) => w.done), `${c.name}: no hypothesis ended`).toBe(true);
      expect(all.some((w) => w.longest > BUCKET), `${c.name}: no hypothesis crossed ${BUCKET} tokens`).toBe(true);
      expect(want.get(4)!.some((w) => w.carried), `${c.name}: no beam carried a finished hypothesis`).toBe(true);

      // Two translators: greedy then beam, and beam then greedy (compiled graphs and buffers reused across calls).
      for (const order of [[1, 4], [4, 1]]) {
        const [grads, seeds] = [createTensor(gpu, [flat.length]), uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32')];
        const translator = new Translator(gpu, c.config, params, grads, seeds);
        try {
          for (const beam of order) {
            const got = await translator.translateScored(c.sources, { beam, maxLen: c.maxLen, lengthPenalty: c.lengthPenalty });
            expect(got.length).toBe(c.sources.length);
            want.get(beam)!.forEach((w, i) => {
              const where = `${c.name}, beam ${beam} (order ${order.join(' then ')}), sentence ${i} (source length ${c.sources[i].length})`;
              expect.soft(got[i].tokens, `${where}: ${firstDivergence(got[i].tokens, w.tokens)}`).toEqual(w.tokens);
              expect.soft(Math.abs(got[i].logProb - w.logProb), `${where}: log-prob ${got[i].logProb} vs recomputation ${w.logProb}`).toBeLessThanOrEqual(LOGP_ATOL);
            });
          }
        } finally {
          translator.destroy();
          releaseTensor(gpu, grads);
          releaseTensor(gpu, seeds);
        }
      }
      releaseTensor(gpu, params);
    });
  }
});
