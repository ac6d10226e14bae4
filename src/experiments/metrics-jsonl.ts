// A run's metrics file (JSON lines, as `cli train --metrics` and reference/train_dist.py --metrics write
// them; see metricsLine in src/cli/train.ts) parsed and validated into the run's series, for showing a run
// that happened elsewhere (a cluster) as curves and κ/α charts. Pure: text in, series out, no I/O.
//
// Lines, one JSON object each (blank lines skipped, keys not named here ignored):
//   step line  {step, loss, tokens?, tokens_seen?, lr?, gradNorm?, nonfinite?, branches?: [{layer, kappa[], alpha[]}]}
//   dev line   {step, dev_loss, tokens_seen?}
// Numbers may be the strings "NaN", "Infinity", "-Infinity" (metricsLine writes non-finite numbers so).
// Step lines must have increasing steps; every step line with branches names the same layers in the same
// order with M weights each. A last line without its newline that is not valid JSON (a run killed while
// writing) is dropped with a warning; any other bad line is an error naming its line number.

export class MetricsFileError extends Error {
  override name = 'MetricsFileError';
}

export interface MetricsSeries {
  /** One entry per step line, in file order (steps increasing). A field a line lacks is NaN. */
  step: number[];
  tokensSeen: number[];
  /** Non-PAD target tokens of the step's batch. */
  tokens: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  nonfinite: boolean[];
  /** Dev evaluations in file order. */
  dev: { step: number[]; tokensSeen: number[]; loss: number[] };
  /** Branched layers ("enc.0", ..., "dec.0", ...); empty for a baseline run. */
  layers: string[];
  /** Weights per branched layer (M, the branches); 0 for a baseline run. */
  branches: number;
  /** Effective κ and α: [layer][step-line index][branch] (empty when the lines carry no branches). */
  kappa: number[][][];
  alpha: number[][][];
  /** Things dropped on the way (a partial last line). */
  warnings: string[];
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** Parse a metrics JSONL text; `where` names the file in every message. Throws MetricsFileError. */
export function parseMetricsJsonl(text: string, where = 'metrics file'): MetricsSeries {
  const out: MetricsSeries = {
    step: [], tokensSeen: [], tokens: [], loss: [], lr: [], gradNorm: [], nonfinite: [],
    dev: { step: [], tokensSeen: [], loss: [] }, layers: [], branches: 0, kappa: [], alpha: [], warnings: [],
  };
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  let withBranches: boolean | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const n = i + 1;
    const fail = (msg: string): never => {
      throw new MetricsFileError(`${where}: line ${n}: ${msg}`);
    };
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      if (i === lines.length - 1 && !endsWithNewline) {
        out.warnings.push(`${where}: line ${n} is cut off (no newline, not valid JSON): dropped, as a run killed while writing leaves it`);
        break;
      }
      fail(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) fail('expected a JSON object');
    const r = record as Record<string, unknown>;
    const num = (key: string, required: boolean, check?: (x: number) => string | null): number => {
      const v = r[key];
      if (v === undefined) return required ? fail(`"${key}" is missing`) : Number.NaN;
      const x = typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v;
      if (typeof x !== 'number') return fail(`"${key}" must be a number (or "NaN", "Infinity", "-Infinity"), got ${JSON.stringify(v)}`);
      const problem = check?.(x);
      if (problem) fail(`"${key}" ${problem}, got ${JSON.stringify(v)}`);
      return x;
    };
    const count = (x: number) => (Number.isInteger(x) && x >= 0 ? null : 'must be a whole number >= 0');
    const step = num('step', true, (x) => (Number.isInteger(x) && x >= 1 ? null : 'must be a whole number >= 1'));
    const tokensSeen = num('tokens_seen', false, count);
    if ('dev_loss' in r && !('loss' in r)) {
      out.dev.step.push(step);
      out.dev.tokensSeen.push(tokensSeen);
      out.dev.loss.push(num('dev_loss', true));
      continue;
    }
    if (!('loss' in r)) fail('neither "loss" (a step line) nor "dev_loss" (a dev line)');
    const last = out.step[out.step.length - 1];
    if (last !== undefined && step <= last) fail(`step ${step} after step ${last}: the steps must increase`);
    out.step.push(step);
    out.tokensSeen.push(tokensSeen);
    out.tokens.push(num('tokens', false, count));
    out.loss.push(num('loss', true));
    out.lr.push(num('lr', false, (x) => (x >= 0 || Number.isNaN(x) ? null : 'must be >= 0')));
    out.gradNorm.push(num('gradNorm', false, (x) => (x >= 0 || Number.isNaN(x) ? null : 'must be >= 0')));
    const nf = r.nonfinite;
    if (nf !== undefined && typeof nf !== 'boolean') fail(`"nonfinite" must be true or false, got ${JSON.stringify(nf)}`);
    out.nonfinite.push(nf === true);
    const has = r.branches !== undefined;
    if (withBranches !== null && has !== withBranches) fail(has ? '"branches" appears here but not on the earlier step lines' : '"branches" is missing (the earlier step lines have it)');
    withBranches = has;
    if (has) readBranches(r.branches, out, fail);
  }
  if (out.step.length === 0 && out.dev.step.length === 0) throw new MetricsFileError(`${where}: no metrics lines (expected JSON lines with "step" and "loss" or "dev_loss")`);
  return out;
}

function readBranches(value: unknown, out: MetricsSeries, fail: (msg: string) => never): void {
  if (!Array.isArray(value)) fail(`"branches" must be a list of {layer, kappa, alpha}, got ${JSON.stringify(value)}`);
  const list = value as unknown[];
  const first = out.step.length === 1;
  if (first) {
    out.layers = [];
    out.kappa = [];
    out.alpha = [];
  } else if (list.length !== out.layers.length) fail(`"branches" has ${list.length} layers, the first step line ${out.layers.length}`);
  list.forEach((entry, j) => {
    const e = entry as { layer?: unknown; kappa?: unknown; alpha?: unknown } | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) fail(`branches[${j}] must be {layer, kappa, alpha}`);
    if (typeof e!.layer !== 'string' || e!.layer === '') fail(`branches[${j}].layer must be a layer name such as "enc.0"`);
    const layer = e!.layer as string;
    if (first) {
      if (out.layers.includes(layer)) fail(`branches names layer "${layer}" twice`);
      out.layers.push(layer);
      out.kappa.push([]);
      out.alpha.push([]);
    } else if (layer !== out.layers[j]) fail(`branches[${j}] is layer "${layer}", the first step line has "${out.layers[j]}" there`);
    for (const name of ['kappa', 'alpha'] as const) {
      const w = e![name];
      if (!Array.isArray(w) || w.length === 0 || !w.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        fail(`branches[${j}] (${layer}).${name} must be a non-empty list of finite numbers, got ${JSON.stringify(w)}`);
      }
      const weights = w as number[];
      if (out.branches === 0) out.branches = weights.length;
      else if (weights.length !== out.branches) fail(`branches[${j}] (${layer}).${name} has ${weights.length} weights, earlier ones ${out.branches}`);
      (name === 'kappa' ? out.kappa : out.alpha)[j].push([...weights]);
    }
  });
}
