// The metrics JSONL parser (src/experiments/metrics-jsonl.ts): what cli train's metricsLine writes comes
// back as the run's series, and every malformed line is refused naming its line number and what is wrong.
import { describe, expect, it } from 'vitest';
import { MetricsFileError, parseMetricsJsonl } from '../../src/experiments/metrics-jsonl.ts';
import { metricsLine } from '../../src/cli/train.ts';

const branches = (k: number) => [
  { layer: 'enc.0', kappa: [k, 1 - k], alpha: [0.5, 0.5] },
  { layer: 'dec.0', kappa: [1 - k, k], alpha: [0.25, 0.75] },
];
const stepLine = (step: number, extra: object = {}) =>
  metricsLine({ step, loss: 5 - step / 10, tokens: 100 + step, gradNorm: 1.5, nonfinite: false, nonfiniteCause: null, lr: 1e-3 * step, gpuMs: null, hostMs: 3, branches: branches(step / 10), tokens_seen: 100 * step, ...extra });

function parseError(text: string): string {
  try {
    parseMetricsJsonl(text, 'run.jsonl');
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsFileError);
    return (err as Error).message;
  }
  throw new Error('expected the parse to fail');
}

describe('parseMetricsJsonl', () => {
  it('reads step and dev lines (as metricsLine writes them) into series, per layer κ/α by step', () => {
    const text = stepLine(1) + stepLine(2) + metricsLine({ step: 2, tokens_seen: 200, dev_loss: 4.5 }) + '\n' + stepLine(3);
    const s = parseMetricsJsonl(text);
    expect(s.step).toEqual([1, 2, 3]);
    expect(s.tokensSeen).toEqual([100, 200, 300]);
    expect(s.tokens).toEqual([101, 102, 103]);
    expect(s.loss).toEqual([4.9, 4.8, 4.7]);
    expect(s.lr).toEqual([1e-3, 2e-3, 3e-3]);
    expect(s.gradNorm).toEqual([1.5, 1.5, 1.5]);
    expect(s.nonfinite).toEqual([false, false, false]);
    expect(s.dev).toEqual({ step: [2], tokensSeen: [200], loss: [4.5] });
    expect(s.layers).toEqual(['enc.0', 'dec.0']);
    expect(s.branches).toBe(2);
    expect(s.kappa[0]).toEqual([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]]);
    expect(s.alpha[1][2]).toEqual([0.25, 0.75]);
    expect(s.warnings).toEqual([]);
  });

  it('non-finite numbers written as strings come back as numbers; missing optional fields are NaN', () => {
    const text = metricsLine({ step: 1, loss: Number.NaN, tokens: 7, gradNorm: Number.POSITIVE_INFINITY, nonfinite: true, nonfiniteCause: 'gradient', lr: 0.1, tokens_seen: 7 }) +
      JSON.stringify({ step: 2, loss: 3, x: 1 }) + '\n';
    const s = parseMetricsJsonl(text, 'f');
    expect(s.loss[0]).toBeNaN();
    expect(s.gradNorm[0]).toBe(Number.POSITIVE_INFINITY);
    expect(s.nonfinite).toEqual([true, false]);
    expect(s.lr[1]).toBeNaN();
    expect(s.tokensSeen[1]).toBeNaN();
    expect(s.layers).toEqual([]);
  });

  it('a cut-off last line (no newline) is dropped with a warning; a bad line elsewhere is an error naming it', () => {
    const cut = stepLine(1) + stepLine(2).slice(0, 30);
    const s = parseMetricsJsonl(cut, 'run.jsonl');
    expect(s.step).toEqual([1]);
    expect(s.warnings[0]).toContain('run.jsonl: line 2 is cut off');
    expect(parseError(stepLine(1) + '{"step": 2, "loss"\n' + stepLine(3))).toMatch(/^run\.jsonl: line 2: not valid JSON/);
  });

  it('refuses each kind of malformed line, naming the line and the field', () => {
    const cases: [string, RegExp][] = [
      ['', /no metrics lines/],
      ['[1, 2]\n', /line 1: expected a JSON object/],
      ['{"loss": 1}\n', /line 1: "step" is missing/],
      ['{"step": 0, "loss": 1}\n', /line 1: "step" must be a whole number >= 1, got 0/],
      ['{"step": 1.5, "loss": 1}\n', /"step" must be a whole number >= 1, got 1.5/],
      ['{"step": 1}\n', /line 1: neither "loss" \(a step line\) nor "dev_loss"/],
      ['{"step": 1, "loss": "high"}\n', /line 1: "loss" must be a number \(or "NaN", "Infinity", "-Infinity"\), got "high"/],
      ['{"step": 1, "loss": 1, "tokens_seen": -5}\n', /"tokens_seen" must be a whole number >= 0, got -5/],
      ['{"step": 1, "loss": 1, "lr": -1}\n', /"lr" must be >= 0, got -1/],
      ['{"step": 1, "loss": 1, "gradNorm": -1}\n', /"gradNorm" must be >= 0/],
      ['{"step": 1, "loss": 1, "nonfinite": "no"}\n', /"nonfinite" must be true or false, got "no"/],
      [stepLine(2) + stepLine(2), /line 2: step 2 after step 2: the steps must increase/],
      [stepLine(1) + '{"step": 2, "loss": 1}\n', /line 2: "branches" is missing \(the earlier step lines have it\)/],
      ['{"step": 1, "loss": 1}\n' + stepLine(2), /line 2: "branches" appears here but not on the earlier step lines/],
      ['{"step": 1, "loss": 1, "branches": {}}\n', /"branches" must be a list of \{layer, kappa, alpha\}/],
      ['{"step": 1, "loss": 1, "branches": [3]}\n', /branches\[0\] must be \{layer, kappa, alpha\}/],
      ['{"step": 1, "loss": 1, "branches": [{"layer": "", "kappa": [1], "alpha": [1]}]}\n', /branches\[0\].layer must be a layer name/],
      ['{"step": 1, "loss": 1, "branches": [{"layer": "enc.0", "kappa": [1], "alpha": [1]}, {"layer": "enc.0", "kappa": [1], "alpha": [1]}]}\n', /names layer "enc.0" twice/],
      ['{"step": 1, "loss": 1, "branches": [{"layer": "enc.0", "kappa": [], "alpha": [1]}]}\n', /\(enc.0\).kappa must be a non-empty list of finite numbers/],
      ['{"step": 1, "loss": 1, "branches": [{"layer": "enc.0", "kappa": [1, "x"], "alpha": [1]}]}\n', /\(enc.0\).kappa must be a non-empty list of finite numbers/],
      ['{"step": 1, "loss": 1, "branches": [{"layer": "enc.0", "kappa": [0.5, 0.5], "alpha": [1]}]}\n', /\(enc.0\).alpha has 1 weights, earlier ones 2/],
      [stepLine(1) + JSON.stringify({ step: 2, loss: 1, branches: branches(0.1).slice(0, 1) }) + '\n', /line 2: "branches" has 1 layers, the first step line 2/],
      [stepLine(1) + JSON.stringify({ step: 2, loss: 1, branches: [...branches(0.1)].reverse() }) + '\n', /line 2: branches\[0\] is layer "dec.0", the first step line has "enc.0" there/],
      ['{"step": 3, "dev_loss": "low"}\n', /line 1: "dev_loss" must be a number/],
    ];
    for (const [text, message] of cases) expect(parseError(text), text).toMatch(message);
  });
});
