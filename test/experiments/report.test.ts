// Report files: non-finite numbers survive the JSON round trip as strings; kind and version are checked.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
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

describe('report files a user opens in the page', () => {
  const fixture = (name: string) => readFileSync(`test/fixtures/experiments/${name}`, 'utf8');

  it('accept what cli experiment and cli ablate write', () => {
    expect(decodeReport(fixture('micro-report.json')).kind).toBe('experiment');
    expect(decodeReport(fixture('micro-ablation.json')).kind).toBe('ablation');
  });

  it('refuse a damaged experiment report, naming the field', () => {
    const good = JSON.parse(fixture('micro-report.json'));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test damages arbitrary fields of parsed JSON
    const broken = (edit: (r: any) => void): string => {
      const r = structuredClone(good);
      edit(r);
      return JSON.stringify(r);
    };
    expect(() => decodeReport(broken((r) => delete r.runs), 'r.json')).toThrow('r.json: runs is not a list (it is missing)');
    expect(() => decodeReport(broken((r) => (r.runs[1].seeds[0].evals[0].loss = 'low')), 'r.json')).toThrow('runs[1].seeds[0].evals[0].loss is not a number');
    expect(() => decodeReport(broken((r) => (r.runs[0].seeds[1].curve = {})))).toThrow('runs[0].seeds[1].curve is not a list');
    expect(() => decodeReport(broken((r) => (r.runs[0].seeds[0].entropy.kappa[0] = [1, null])))).toThrow('runs[0].seeds[0].entropy.kappa[0][1] is not a number');
    expect(() => decodeReport(broken((r) => (r.train.steps = -1)))).toThrow('train.steps is not a whole number >= 0');
    expect(() => decodeReport(broken((r) => (r.sweep = { param: 'dropout', points: [] })))).toThrow('sweep.param is not one of');
  });

  it('refuse a damaged ablation report, naming the field', () => {
    const good = JSON.parse(fixture('micro-ablation.json'));
    expect(() => decodeReport(JSON.stringify({ ...good, learned: { bleu: 3 } }))).toThrow('learned.loss is not a number (it is missing)');
    expect(() => decodeReport(JSON.stringify({ ...good, muted: [{ ...good.muted[0], which: 'beta' }] }))).toThrow('muted[0].which is not "kappa" or "alpha"');
    expect(() => decodeReport(JSON.stringify({ ...good, random: null }))).toThrow('random is not an object');
  });
});
