// Report files: non-finite numbers survive the JSON round trip as strings; kind and version are checked.
import { describe, expect, it } from 'vitest';
import { decodeReport, encodeReport, REPORT_VERSION, type AblationReportFile } from '../../src/experiments/report.ts';

const ablation = {
  kind: 'ablation', version: REPORT_VERSION, checkpoint: 'w.safetensors', step: 3, config: {} as AblationReportFile['config'], adapter: 'x', pairs: 2, data: 'd', seed: 1,
  learned: { loss: 1.5, bleu: 20 }, uniform: { loss: Number.POSITIVE_INFINITY, bleu: null },
  random: { loss_mean: Number.NaN, loss_sd: Number.NaN, bleu_mean: null, bleu_sd: null, draws: 0, samples: [] },
  muted: [], weights: [],
} satisfies AblationReportFile;

describe('report files', () => {
  it('write NaN and Infinity as strings and read them back as numbers', () => {
    const text = encodeReport(ablation);
    expect(text).toContain('"loss_mean": "NaN"');
    expect(text).toContain('"loss": "Infinity"');
    const back = decodeReport(text) as AblationReportFile;
    expect(back.random.loss_mean).toBeNaN();
    expect(back.uniform.loss).toBe(Number.POSITIVE_INFINITY);
    expect(back.learned).toEqual({ loss: 1.5, bleu: 20 });
  });

  it('refuses other JSON and other versions, naming the problem', () => {
    expect(() => decodeReport('{"kind": "run"}', 'r.json')).toThrow('r.json: not an experiment or ablation report');
    expect(() => decodeReport(JSON.stringify({ ...ablation, version: 99 }))).toThrow('report version 99');
    expect(() => decodeReport('{')).toThrow('not valid JSON');
  });
});
