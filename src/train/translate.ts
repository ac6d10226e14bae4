// Translation on the GPU: greedy and beam search. The encoder runs once per sentence batch; each decoding
// step runs the decoder (forward only) on the hypotheses so far, at the smallest compiled target length
// that holds them, and projects only the current position of each hypothesis to logits (a row gather
// before the tied output matmul), which is all it reads back.
// Beam scores use GNMT's length penalty ((5 + len) / 6)^lengthPenalty.
// crossAttention: a decoder layer's cross-attention probabilities for a finished translation (the decoder
// teacher-forced on it once, then the attention_probs kernel on that layer's saved Q, K and lse).
import { ownedBy, type Gpu } from '../gpu/device.ts';
import type { BufferOwner } from '../gpu/memory.ts';
import { FaultWatch, openErrorScopes } from '../gpu/errors.ts';
import { encodeDispatches } from '../gpu/kernel.ts';
import { Usage } from '../gpu/buffers.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { attentionProbs } from '../gpu/kernels/attention.ts';
import { Arena, compileGraph, type CompiledGraph } from '../graph/compile.ts';
import type { Tensor } from '../graph/graph.ts';
import { buildDecoderGraph, buildEncoderGraph, type BatchShape, type DecoderGraph, type EncoderGraph } from '../model/transformer.ts';
import { headDim, type ModelConfig } from '../model/config.ts';
import { BOS, EOS, PAD } from '../model/batch.ts';
import type { Tokenizer } from '../data/tokenizer.ts';

export interface TranslateOptions {
  /** 1 = greedy. */
  beam: number;
  /** GNMT length-penalty exponent (0 = none). */
  lengthPenalty: number;
  /** Longest output in tokens, EOS included (capped by the model's maxLen). */
  maxLen: number;
}

export const TRANSLATE_DEFAULTS: TranslateOptions = { beam: 1, lengthPenalty: 0.6, maxLen: 48 };

interface Compiled<G> {
  model: G;
  compiled: CompiledGraph;
}

interface Hypothesis {
  tokens: number[];
  logProb: number;
  done: boolean;
}

/** Target lengths the decoder is compiled at (the smallest one that fits the step is used). */
const LENGTH_STEP = 16;

/** One decoder layer's cross-attention maps for one sentence (CrossAttentionMaps.probs[h][t * cols + s]). */
export interface CrossAttentionMaps {
  /** Maps: one per head of the baseline = one per branch of the weighted model (config.branches). */
  heads: number;
  /** Output positions: row t is the decoder position that predicts outIds[t]. */
  rows: number;
  /** Source positions (the encoder's keys): srcIds. */
  cols: number;
  /** (rows, cols) row-major per head: softmax over the source of row t; every row sums to 1. */
  probs: Float32Array[];
  /** The output tokens then EOS, and the source tokens then EOS, as the model saw them (capped at maxLen). */
  outIds: number[];
  srcIds: number[];
  /** With `inputs`: that layer's cross-attention Q (rows, D) and K (cols, D), head h in columns h*dk.. . */
  q?: Float32Array;
  k?: Float32Array;
}

/** The decoder graph plus a last node writing the probabilities of one layer's cross-attention. */
interface CrossAttentionGraph extends DecoderGraph {
  q: Tensor; // (B*T, D)
  kv: Tensor; // (B*S, 2D): K in columns 0..D
  probs: Tensor; // (B, M, T, S)
}

interface Copy {
  buffer: GPUBuffer;
  /** Bytes. */
  offset: number;
  size: number;
}

/** A translation with its summed log-probability (the beam score before the length penalty). */
export interface ScoredTranslation {
  tokens: number[];
  logProb: number;
}

/** Compiled graphs kept per kind (encoders, decoders, probes); the least recently used beyond go. */
export const CACHE_LIMIT = 12;

export class Translator {
  private readonly encoders = new Map<string, Compiled<EncoderGraph>>();
  private readonly decoders = new Map<string, Compiled<DecoderGraph>>();
  private readonly probes = new Map<string, Compiled<CrossAttentionGraph>>();
  /** Owns everything the translator creates: compiled graphs, their arena, the readback buffer. */
  private readonly owner: BufferOwner;
  private readonly arena: Arena;
  /** The device, with buffers created through it owned by this translator. */
  readonly gpu: Gpu;
  private readback: GPUBuffer | null = null;

  constructor(
    device: Gpu,
    readonly config: ModelConfig,
    /** The live flat parameters (shared with the trainer, so translations use the current weights). */
    readonly params: GpuTensor,
    readonly scratchGrads: GpuTensor,
    readonly seeds: GpuTensor<'u32'>,
  ) {
    this.owner = device.owner.child('translator');
    this.gpu = ownedBy(device, this.owner);
    this.arena = new Arena(this.owner.child('arena'));
    this.watch = new FaultWatch(device, 'translate: ', 'the translation');
  }

  /** This translator's GPU faults (compilations and submits): checked after every readback. */
  private readonly watch: FaultWatch;

  /**
   * The compiled graph for `key` (compiled on first use). Graphs of one call stay cached while it runs:
   * eviction only removes graphs beyond CACHE_LIMIT that were used least recently, never the one returned.
   */
  private compile<G extends { graph: CompiledGraph['graph'] }>(cache: Map<string, Compiled<G>>, key: string, build: () => G): Compiled<G> {
    let c = cache.get(key);
    if (c) cache.delete(key); // re-inserted below: Map order is recency order
    else {
      const model = build();
      c = { model, compiled: compileGraph(this.gpu, model.graph, { params: this.params, grads: this.scratchGrads, seeds: this.seeds, arena: this.arena, label: `translate ${key}` }) };
      this.watch.track(c.compiled.errors);
    }
    cache.set(key, c);
    return c;
  }

  /** Compiled graphs kept now, per kind. */
  get cachedGraphs(): { encoders: number; decoders: number; probes: number } {
    return { encoders: this.encoders.size, decoders: this.decoders.size, probes: this.probes.size };
  }

  /** Drop compiled graphs beyond CACHE_LIMIT per kind (called between public calls, never inside one). */
  private trimCaches(): void {
    for (const cache of [this.encoders, this.decoders, this.probes] as Map<string, Compiled<unknown & { graph: CompiledGraph['graph'] }>>[]) {
      for (const [key, c] of cache) {
        if (cache.size <= CACHE_LIMIT) break;
        c.compiled.destroy();
        cache.delete(key);
      }
    }
  }

  /** Public calls run one at a time: they share the readback buffer, the input buffers and the arena. */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.owner.isDestroyed) return Promise.reject(new Error('translate: the translator was destroyed (its model is gone)'));
    const task = async () => {
      try {
        return await run();
      } finally {
        this.trimCaches();
      }
    };
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private tail: Promise<unknown> = Promise.resolve();

  /** Translate tokenized sentences (ids without EOS); returns output ids without BOS/EOS. */
  async translate(sources: number[][], options: Partial<TranslateOptions> = {}): Promise<number[][]> {
    return (await this.translateScored(sources, options)).map((t) => t.tokens);
  }

  /** As translate, with each translation's summed log-probability (EOS included when it ended). */
  translateScored(sources: number[][], options: Partial<TranslateOptions> = {}): Promise<ScoredTranslation[]> {
    return this.exclusive(() => this.translateNow(sources, options));
  }

  private async translateNow(sources: number[][], options: Partial<TranslateOptions>): Promise<ScoredTranslation[]> {
    const opts = { ...TRANSLATE_DEFAULTS, ...options };
    const beam = Math.max(1, Math.floor(opts.beam));
    const maxOut = Math.min(opts.maxLen, this.config.maxLen);
    const b = sources.length;
    if (b === 0) return [];
    // Source length rounded up to the length step (PAD keys are masked), so few encoder shapes compile.
    const longest = Math.max(...sources.map((s) => s.length + 1));
    const srcLen = Math.min(this.config.maxLen, Math.ceil(longest / LENGTH_STEP) * LENGTH_STEP);
    const src = new Int32Array(b * srcLen);
    sources.forEach((s, i) => {
      const ids = s.slice(0, srcLen - 1);
      src.set(ids, i * srcLen);
      src[i * srcLen + ids.length] = EOS;
    });
    const rows = b * beam;
    const enc = this.compile(this.encoders, `${b}x${srcLen}`, () => buildEncoderGraph(this.config, b, srcLen));
    const q = this.gpu.device.queue;
    q.writeBuffer(enc.compiled.inputs.get('src')!.buffer, 0, src);
    // Every hypothesis row r = i * beam + k sees sentence i.
    const srcRows = new Int32Array(rows * srcLen);
    for (let r = 0; r < rows; r++) srcRows.set(src.subarray(Math.floor(r / beam) * srcLen, Math.floor(r / beam) * srcLen + srcLen), r * srcLen);

    let hyps: Hypothesis[][] = sources.map(() => [{ tokens: [], logProb: 0, done: false }]);
    let encoded = false;
    for (let t = 0; t < maxOut; t++) {
      const tgtLen = Math.min(this.config.maxLen, Math.ceil((t + 1) / LENGTH_STEP) * LENGTH_STEP);
      const dec = this.compile(this.decoders, `${rows}x${srcLen}x${tgtLen}`, () => buildDecoderGraph(this.config, { batch: rows, srcLen, tgtLen }, true));
      const tgtIn = new Int32Array(rows * tgtLen);
      hyps.forEach((list, i) => list.forEach((h, k) => {
        tgtIn[(i * beam + k) * tgtLen] = BOS;
        tgtIn.set(h.tokens, (i * beam + k) * tgtLen + 1);
      }));
      q.writeBuffer(dec.compiled.inputs.get('src')!.buffer, 0, srcRows);
      q.writeBuffer(dec.compiled.inputs.get('tgt_in')!.buffer, 0, tgtIn);
      q.writeBuffer(dec.compiled.inputs.get('pick')!.buffer, 0, Int32Array.from({ length: rows }, (_, r) => r * tgtLen + t));
      const logProbs = await this.step(enc, dec, encoded, rows, beam, srcLen);
      encoded = true;
      hyps = hyps.map((list, i) => extend(list, logProbs, i * beam, this.config.vocab, beam, opts.lengthPenalty));
      if (hyps.every((list) => list.every((h) => h.done))) break;
    }
    return hyps.map((list) => {
      const h = best(list, opts.lengthPenalty);
      return { tokens: h.tokens.filter((id) => id !== EOS && id !== PAD), logProb: h.logProb };
    });
  }

  /**
   * Cross-attention probabilities of decoder layer `layer` (0-based) for source `srcTokens` and its
   * translation `outTokens` (ids without BOS/EOS, as translate returns them): the decoder runs once on
   * BOS + outTokens (teacher-forced), so row t attends from the position that predicts outTokens[t]
   * (the last row predicts EOS). `inputs` also reads back that layer's Q and K (for tests).
   */
  crossAttention(srcTokens: number[], outTokens: number[], layer: number, options: { inputs?: boolean } = {}): Promise<CrossAttentionMaps> {
    return this.exclusive(() => this.crossAttentionNow(srcTokens, outTokens, layer, options.inputs ?? false));
  }

  private async crossAttentionNow(srcTokens: number[], outTokens: number[], layer: number, inputs: boolean): Promise<CrossAttentionMaps> {
    const c = this.config;
    if (!Number.isInteger(layer) || layer < 0 || layer >= c.decLayers) throw new Error(`crossAttention: layer ${layer} is not in 0..${c.decLayers - 1}`);
    const bad = [...srcTokens, ...outTokens].find((id) => !Number.isInteger(id) || id < 0 || id >= c.vocab);
    if (bad !== undefined) throw new Error(`crossAttention: token ${bad} is outside the vocabulary (size ${c.vocab})`);
    const srcIds = [...srcTokens.slice(0, c.maxLen - 1), EOS];
    const outIds = [...outTokens, EOS].slice(0, c.maxLen);
    const [rows, cols, d] = [outIds.length, srcIds.length, c.dModel];
    const tgtLen = Math.min(c.maxLen, Math.ceil(rows / LENGTH_STEP) * LENGTH_STEP);
    const enc = this.compile(this.encoders, `1x${cols}`, () => buildEncoderGraph(c, 1, cols));
    const dec = this.compile(this.probes, `${cols}x${tgtLen}x${layer}x${inputs}`, () => buildCrossAttentionGraph(c, { batch: 1, srcLen: cols, tgtLen }, layer, inputs));
    const tgtIn = new Int32Array(tgtLen);
    tgtIn.set([BOS, ...outIds.slice(0, rows - 1)]);
    const q = this.gpu.device.queue;
    q.writeBuffer(enc.compiled.inputs.get('src')!.buffer, 0, Int32Array.from(srcIds));
    q.writeBuffer(dec.compiled.inputs.get('src')!.buffer, 0, Int32Array.from(srcIds));
    q.writeBuffer(dec.compiled.inputs.get('tgt_in')!.buffer, 0, tgtIn);
    const encoder = this.encodeForward(enc, dec, false, 1, 1, cols);
    const whole = (t: Tensor, elements: number): Copy => {
      const l = dec.compiled.locate(t);
      return { buffer: l.tensor.buffer, offset: l.offset * 4, size: elements * 4 };
    };
    const m = c.branches;
    const copies = [whole(dec.model.probs, m * tgtLen * cols)];
    if (inputs) copies.push(whole(dec.model.q, rows * d), whole(dec.model.kv, cols * 2 * d));
    const data = await this.submitAndRead(encoder, copies);
    const probs = Array.from({ length: m }, (_, h) => data.slice(h * tgtLen * cols, (h * tgtLen + rows) * cols));
    const maps: CrossAttentionMaps = { heads: m, rows, cols, probs, outIds, srcIds };
    if (inputs) {
      const at = m * tgtLen * cols;
      maps.q = data.slice(at, at + rows * d);
      const kv = data.subarray(at + rows * d, at + rows * d + cols * 2 * d);
      maps.k = new Float32Array(cols * d);
      for (let s = 0; s < cols; s++) maps.k.set(kv.subarray(s * 2 * d, s * 2 * d + d), s * d);
    }
    return maps;
  }

  /** Run encoder (first step only) and decoder; return log-softmax rows (rows, V) at the picked position. */
  private async step(enc: Compiled<EncoderGraph>, dec: Compiled<DecoderGraph>, encoded: boolean, rows: number, beam: number, srcLen: number): Promise<Float32Array> {
    const v = this.config.vocab;
    const encoder = this.encodeForward(enc, dec, encoded, rows, beam, srcLen);
    const logits = dec.compiled.locate(dec.model.logits); // (rows, V): the pick input chose position t
    const out = await this.submitAndRead(encoder, [{ buffer: logits.tensor.buffer, offset: logits.offset * 4, size: rows * v * 4 }]);
    for (let r = 0; r < rows; r++) logSoftmaxInPlace(out.subarray(r * v, r * v + v));
    return out;
  }

  /** Encode the encoder (unless `encoded`), the copy of its rows to the decoder's beam rows, the decoder. */
  private encodeForward(enc: Compiled<EncoderGraph>, dec: Compiled<DecoderGraph>, encoded: boolean, rows: number, beam: number, srcLen: number): GPUCommandEncoder {
    const encoder = this.gpu.device.createCommandEncoder();
    if (!encoded) {
      const pass = encoder.beginComputePass();
      encodeDispatches(pass, enc.compiled.forward);
      pass.end();
    }
    // Copy each sentence's encoder rows to its beam rows of the decoder's enc input.
    const encOut = enc.compiled.locate(enc.model.enc);
    const encIn = dec.compiled.inputs.get('enc')!;
    const rowBytes = srcLen * this.config.dModel * 4;
    for (let r = 0; r < rows; r++) encoder.copyBufferToBuffer(encOut.tensor.buffer, encOut.offset * 4 + Math.floor(r / beam) * rowBytes, encIn.buffer, r * rowBytes, rowBytes);
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dec.compiled.forward);
    pass.end();
    return encoder;
  }

  /** Append copies of `copies` (one after another) to the readback buffer, submit, and read them. */
  private async submitAndRead(encoder: GPUCommandEncoder, copies: Copy[]): Promise<Float32Array> {
    const bytes = copies.reduce((n, c) => n + c.size, 0);
    if (!this.readback || this.readback.size < bytes) {
      if (this.readback) this.owner.release(this.readback);
      this.readback = this.owner.create({ size: Math.ceil(bytes / 16) * 16, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'translate readback' });
    }
    let at = 0;
    for (const c of copies) {
      encoder.copyBufferToBuffer(c.buffer, c.offset, this.readback, at, c.size);
      at += c.size;
    }
    const scopes = openErrorScopes(this.gpu, 'translate');
    this.gpu.device.queue.submit([encoder.finish()]);
    this.watch.track(scopes.close());
    await this.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    const out = new Float32Array(this.readback.getMappedRange(0, bytes).slice(0));
    this.readback.unmap();
    await this.watch.check();
    return out;
  }

  /** Free every GPU buffer the translator created. Calls after this are refused. */
  destroy(): void {
    this.owner.destroy();
    this.encoders.clear();
    this.decoders.clear();
    this.probes.clear();
    this.readback = null;
  }
}

/**
 * The decoder graph at `shape` with one more node: the probabilities of layer `layer`'s cross-attention,
 * recomputed from the Q, K and lse its fused attention saved (tensors dec.<l>.cross.q, dec.<l>.cross.kv
 * with K in columns 0..D, dec.<l>.cross.attention.lse; see ModelBuilder.crossAttention). That node reads
 * them, so the planner keeps them alive up to it; the probabilities (and Q, KV when read back) are graph
 * outputs, in slots of their own that no other graph sharing the arena writes.
 */
function buildCrossAttentionGraph(config: ModelConfig, shape: BatchShape, layer: number, inputs: boolean): CrossAttentionGraph {
  const dec = buildDecoderGraph(config, shape);
  const g = dec.graph;
  const prefix = `dec.${layer}.cross`;
  const find = (name: string): Tensor => {
    const t = g.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`crossAttention: the decoder graph has no tensor ${name}`);
    return t;
  };
  const [q, kv, lse] = [find(`${prefix}.q`), find(`${prefix}.kv`), find(`${prefix}.attention.lse`)];
  const m = config.branches, d = config.dModel;
  const probs = g.tensor(`${prefix}.probs`, [shape.batch, m, shape.tgtLen, shape.srcLen]);
  const spec = { batch: shape.batch, heads: m, dHead: headDim(config), tq: shape.tgtLen, tk: shape.srcLen };
  g.add({
    label: `${prefix}.probs`,
    reads: [q, kv, lse, dec.src],
    writes: [probs],
    lower: (c) => {
      const [ql, kl] = [c.loc(q), c.loc(kv)];
      return attentionProbs(c.gpu, { ...spec, keyTokens: c.view(dec.src) }, { tensor: ql.tensor, offset: ql.offset, rowStride: d },
        { tensor: kl.tensor, offset: kl.offset, rowStride: 2 * d }, c.view(lse), c.view(probs));
    },
  });
  g.output(probs);
  if (inputs) [q, kv].forEach((t) => g.output(t)); // read back for tests
  return { ...dec, q, kv, probs };
}

/**
 * Axis labels for token ids (e.g. CrossAttentionMaps.srcIds / outIds): the tokenizer's readable pieces,
 * specials by name (<eos>), spaces shown as ▁ (SentencePiece style; a BPE piece keeps its word's leading
 * space), newlines and tabs escaped.
 */
export function tokenLabels(tokenizer: Pick<Tokenizer, 'piece'>, ids: readonly number[]): string[] {
  return ids.map((id) => tokenizer.piece(id).replace(/ /g, '\u2581').replace(/\n/g, '\\n').replace(/\t/g, '\\t'));
}

function logSoftmaxInPlace(row: Float32Array): void {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < row.length; i++) row[i] -= lse;
}

const penalty = (len: number, alpha: number): number => ((5 + len) / 6) ** alpha;
const score = (h: Hypothesis, alpha: number): number => h.logProb / penalty(Math.max(1, h.tokens.length), alpha);

function best(list: Hypothesis[], alpha: number): Hypothesis {
  return list.reduce((a, b) => (score(b, alpha) > score(a, alpha) ? b : a));
}

/** One beam-search step for one sentence: hypotheses list (rows firstRow..) → the best `beam` extensions. */
function extend(list: Hypothesis[], logProbs: Float32Array, firstRow: number, vocab: number, beam: number, alpha: number): Hypothesis[] {
  const candidates: Hypothesis[] = [];
  list.forEach((h, k) => {
    if (h.done) {
      candidates.push(h);
      return;
    }
    const row = logProbs.subarray((firstRow + k) * vocab, (firstRow + k + 1) * vocab);
    // Top `beam` tokens of this row (PAD and BOS are never generated).
    const top: number[] = [];
    for (let id = 0; id < vocab; id++) {
      if (id === PAD || id === BOS) continue;
      if (top.length < beam) top.push(id);
      else {
        let worst = 0;
        for (let j = 1; j < top.length; j++) if (row[top[j]] < row[top[worst]]) worst = j;
        if (row[id] > row[top[worst]]) top[worst] = id;
      }
    }
    for (const id of top) candidates.push({ tokens: [...h.tokens, id], logProb: h.logProb + row[id], done: id === EOS });
  });
  candidates.sort((a, b) => score(b, alpha) - score(a, alpha));
  return candidates.slice(0, beam);
}
