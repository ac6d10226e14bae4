// Translation on the GPU: greedy and beam search. The encoder runs once per sentence batch; each decoding
// step runs the decoder (forward only) on the hypotheses so far, at the smallest compiled target length
// that holds them, and reads back only the logits of the current position (one copy per hypothesis).
// Beam scores use GNMT's length penalty ((5 + len) / 6)^lengthPenalty.
import type { Gpu } from '../gpu/device.ts';
import { encodeDispatches } from '../gpu/kernel.ts';
import { Usage } from '../gpu/buffers.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { compileGraph, type CompiledGraph } from '../graph/compile.ts';
import { buildDecoderGraph, buildEncoderGraph, type DecoderGraph, type EncoderGraph } from '../model/transformer.ts';
import type { ModelConfig } from '../model/config.ts';
import { BOS, EOS, PAD } from '../model/batch.ts';

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

export class Translator {
  private readonly encoders = new Map<string, Compiled<EncoderGraph>>();
  private readonly decoders = new Map<string, Compiled<DecoderGraph>>();
  private readonly arena: GPUBuffer[] = [];
  private readback: GPUBuffer | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly config: ModelConfig,
    /** The live flat parameters (shared with the trainer, so translations use the current weights). */
    readonly params: GpuTensor,
    readonly scratchGrads: GpuTensor,
    readonly seeds: GpuTensor<'u32'>,
  ) {}

  private compile<G extends { graph: CompiledGraph['graph'] }>(cache: Map<string, Compiled<G>>, key: string, build: () => G): Compiled<G> {
    let c = cache.get(key);
    if (!c) {
      const model = build();
      c = { model, compiled: compileGraph(this.gpu, model.graph, { params: this.params, grads: this.scratchGrads, seeds: this.seeds, arena: this.arena }) };
      cache.set(key, c);
    }
    return c;
  }

  /** Translate tokenized sentences (ids without EOS); returns output ids without BOS/EOS. */
  async translate(sources: number[][], options: Partial<TranslateOptions> = {}): Promise<number[][]> {
    const opts = { ...TRANSLATE_DEFAULTS, ...options };
    const beam = Math.max(1, Math.floor(opts.beam));
    const maxOut = Math.min(opts.maxLen, this.config.maxLen);
    const b = sources.length;
    if (b === 0) return [];
    const srcLen = Math.min(this.config.maxLen, Math.max(...sources.map((s) => s.length + 1)));
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
      const dec = this.compile(this.decoders, `${rows}x${srcLen}x${tgtLen}`, () => buildDecoderGraph(this.config, { batch: rows, srcLen, tgtLen }));
      const tgtIn = new Int32Array(rows * tgtLen);
      hyps.forEach((list, i) => list.forEach((h, k) => {
        tgtIn[(i * beam + k) * tgtLen] = BOS;
        tgtIn.set(h.tokens, (i * beam + k) * tgtLen + 1);
      }));
      q.writeBuffer(dec.compiled.inputs.get('src')!.buffer, 0, srcRows);
      q.writeBuffer(dec.compiled.inputs.get('tgt_in')!.buffer, 0, tgtIn);
      const logProbs = await this.step(enc, dec, encoded, rows, beam, srcLen, tgtLen, t);
      encoded = true;
      hyps = hyps.map((list, i) => extend(list, logProbs, i * beam, this.config.vocab, beam, opts.lengthPenalty));
      if (hyps.every((list) => list.every((h) => h.done))) break;
    }
    return hyps.map((list) => best(list, opts.lengthPenalty).tokens.filter((id) => id !== EOS && id !== PAD));
  }

  /** Run encoder (first step only) and decoder; return log-softmax rows (rows, V) at position t. */
  private async step(enc: Compiled<EncoderGraph>, dec: Compiled<DecoderGraph>, encoded: boolean, rows: number, beam: number, srcLen: number, tgtLen: number, t: number): Promise<Float32Array> {
    const v = this.config.vocab, d = this.config.dModel;
    const encoder = this.gpu.device.createCommandEncoder();
    if (!encoded) {
      const pass = encoder.beginComputePass();
      encodeDispatches(pass, enc.compiled.forward);
      pass.end();
    }
    // Copy each sentence's encoder rows to its beam rows of the decoder's enc input.
    const encOut = enc.compiled.locate(enc.model.enc);
    const encIn = dec.compiled.inputs.get('enc')!;
    const rowBytes = srcLen * d * 4;
    for (let r = 0; r < rows; r++) encoder.copyBufferToBuffer(encOut.tensor.buffer, encOut.offset * 4 + Math.floor(r / beam) * rowBytes, encIn.buffer, r * rowBytes, rowBytes);
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dec.compiled.forward);
    pass.end();
    const bytes = rows * v * 4;
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.gpu.counters.buffers++;
      this.readback = this.gpu.device.createBuffer({ size: bytes, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'translate logits' });
    }
    const logits = dec.compiled.locate(dec.model.logits);
    for (let r = 0; r < rows; r++) encoder.copyBufferToBuffer(logits.tensor.buffer, (logits.offset + (r * tgtLen + t) * v) * 4, this.readback, r * v * 4, v * 4);
    this.gpu.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    const out = new Float32Array(this.readback.getMappedRange(0, bytes).slice(0));
    this.readback.unmap();
    for (let r = 0; r < rows; r++) logSoftmaxInPlace(out.subarray(r * v, r * v + v));
    return out;
  }

  destroy(): void {
    for (const c of [...this.encoders.values(), ...this.decoders.values()]) c.compiled.destroy();
    for (const b of this.arena) b.destroy();
    this.readback?.destroy();
  }
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
