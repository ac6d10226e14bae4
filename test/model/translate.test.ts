// GPU decoding: greedy output is, at every position, the argmax of the full forward pass's logits given
// the prefix (so incremental decoding with a once-computed encoder matches the model), and beam search
// with beam 1 is greedy. Cross-attention maps of a translation (Translator.crossAttention): rows sum to 1
// and equal softmax(Q K^T / sqrt(dk)) per head computed on the CPU from the read-back Q and K.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { buildModelGraph } from '../../src/model/transformer.ts';
import { compileGraph } from '../../src/graph/compile.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { Translator, tokenLabels } from '../../src/train/translate.ts';
import { assertClose } from '../../src/testing/compare.ts';
import type { Tokenizer } from '../../src/data/tokenizer.ts';
import { BOS, EOS } from '../../src/model/batch.ts';

describe('translation on the GPU', () => {
  it('greedy decoding agrees with the full forward pass, beam 1 equals greedy, beam 3 gives valid output', async () => {
    const gpu = await testGpu();
    const ckpt = decodeCheckpoint(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'parity', 'weighted', 'weights.safetensors')));
    const config = ckpt.config;
    const params = uploadTensor(gpu, ckpt.params, [ckpt.params.length]);
    const grads = createTensor(gpu, [ckpt.params.length]);
    const seeds = uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32');
    const translator = new Translator(gpu, config, params, grads, seeds);
    const sources = [[5, 9, 14, 22, 7], [12, 4, 27], [33]];
    const maxLen = 8;
    const greedy = await translator.translate(sources, { beam: 1, maxLen });
    expect(await translator.translate(sources, { beam: 1, maxLen, lengthPenalty: 0 })).toEqual(greedy);
    const beam = await translator.translate(sources, { beam: 3, maxLen });
    for (const id of [...greedy, ...beam].flat()) {
      expect(id).toBeGreaterThan(EOS);
      expect(id).toBeLessThan(config.vocab);
    }

    // Re-score each greedy output with the training graph's forward pass: argmax at every position.
    for (let i = 0; i < sources.length; i++) {
      const out = greedy[i];
      const s = sources[i].length + 1, t = Math.min(out.length + 1, maxLen);
      const model = buildModelGraph({ ...config, dropout: 0 }, { batch: 1, srcLen: s, tgtLen: t }, false);
      const compiled = compileGraph(gpu, model.graph, { params, grads, seeds });
      gpu.device.queue.writeBuffer(compiled.inputs.get('src')!.buffer, 0, Int32Array.from([...sources[i], EOS]));
      gpu.device.queue.writeBuffer(compiled.inputs.get('tgt_in')!.buffer, 0, Int32Array.from([BOS, ...out].slice(0, t)));
      gpu.device.queue.writeBuffer(compiled.inputs.get('tgt_out')!.buffer, 0, Int32Array.from([...out, EOS].slice(0, t)));
      await runDispatches(gpu, compiled.forward);
      const loc = compiled.locate(model.logits);
      const logits = await readTensor(gpu, loc.tensor);
      const expected = [...out, EOS].slice(0, t);
      for (let p = 0; p < t; p++) {
        const row = logits.subarray(p * config.vocab, (p + 1) * config.vocab);
        let arg = EOS; // PAD and BOS are never generated
        for (let id = EOS + 1; id < config.vocab; id++) if (row[id] > row[arg]) arg = id;
        expect(arg, `sentence ${i} position ${p}`).toBe(expected[p]);
      }
      compiled.destroy();
    }
    translator.destroy();
  });
});

/** softmax(q_h k_h^T / sqrt(dk)) of head h, (rows, cols) row-major, in f64. */
function cpuMap(q: Float32Array, k: Float32Array, rows: number, cols: number, d: number, heads: number, h: number): Float64Array {
  const dk = d / heads;
  const out = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    const s = Array.from({ length: cols }, (_, j) => {
      let dot = 0;
      for (let c = h * dk; c < (h + 1) * dk; c++) dot += q[t * d + c] * k[j * d + c];
      return dot / Math.sqrt(dk);
    });
    const max = Math.max(...s);
    const e = s.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, x) => a + x, 0);
    e.forEach((x, j) => (out[t * cols + j] = x / sum));
  }
  return out;
}

describe('cross-attention maps of a translation', () => {
  for (const variant of ['weighted', 'baseline']) {
    it(`${variant}: one map per ${variant === 'weighted' ? 'branch' : 'head'}, rows sum to 1, equal softmax(QK^T/sqrt(dk)) of the read-back Q, K`, async () => {
      const gpu = await testGpu();
      const ckpt = decodeCheckpoint(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'parity', variant, 'weights.safetensors')));
      const config = ckpt.config;
      const params = uploadTensor(gpu, ckpt.params, [ckpt.params.length]);
      const translator = new Translator(gpu, config, params, createTensor(gpu, [ckpt.params.length]), uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32'));
      const sources = [[5, 9, 14, 22, 7, 30, 11], [12, 4, 27]];
      for (const src of sources) {
        const [out] = await translator.translate([src], { maxLen: 10 });
        for (let layer = 0; layer < config.decLayers; layer++) {
          const maps = await translator.crossAttention(src, out, layer, { inputs: true });
          expect(maps.heads).toBe(config.branches);
          expect(maps.srcIds).toEqual([...src, EOS]);
          expect(maps.outIds).toEqual([...out, EOS]);
          expect([maps.rows, maps.cols]).toEqual([out.length + 1, src.length + 1]);
          expect(maps.probs.length).toBe(config.branches);
          for (let h = 0; h < maps.heads; h++) {
            const p = maps.probs[h];
            expect(p.length).toBe(maps.rows * maps.cols);
            for (let t = 0; t < maps.rows; t++) {
              let sum = 0;
              for (let j = 0; j < maps.cols; j++) sum += p[t * maps.cols + j]; // no PAD among the source positions
              expect(Math.abs(sum - 1), `layer ${layer} head ${h} row ${t}`).toBeLessThan(1e-4);
            }
            assertClose(`layer ${layer} head ${h}`, p, cpuMap(maps.q!, maps.k!, maps.rows, maps.cols, config.dModel, maps.heads, h), { atol: 1e-5, rtol: 1e-4 });
          }
        }
        // Layers differ, and decoding still works after the extra graphs (shared arena and readback).
        const [a, b] = await Promise.all([0, 1].map(async (l) => (await translator.crossAttention(src, out, l)).probs[0]));
        expect(Array.from(a)).not.toEqual(Array.from(b));
        expect((await translator.translate([src], { maxLen: 10 }))[0]).toEqual(out);
      }
      await expect(translator.crossAttention([5], [6], config.decLayers)).rejects.toThrow(/layer 2 is not in 0..1/);
      await expect(translator.crossAttention([5], [config.vocab], 0)).rejects.toThrow(/outside the vocabulary/);
      translator.destroy();
    });
  }

  it('tokenLabels shows pieces with visible spaces and named specials', () => {
    const pieces: Record<number, string> = { 2: '<eos>', 300: ' cat', 301: '\n', 302: 'ing' };
    const tokenizer: Pick<Tokenizer, 'piece'> = { piece: (id) => pieces[id] };
    expect(tokenLabels(tokenizer, [300, 302, 301, 2])).toEqual(['\u2581cat', 'ing', '\\n', '<eos>']);
  });
});
