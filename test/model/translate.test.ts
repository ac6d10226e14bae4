// GPU decoding: greedy output is, at every position, the argmax of the full forward pass's logits given
// the prefix (so incremental decoding with a once-computed encoder matches the model), and beam search
// with beam 1 is greedy.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { buildModelGraph } from '../../src/model/transformer.ts';
import { compileGraph } from '../../src/graph/compile.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { Translator } from '../../src/train/translate.ts';
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
