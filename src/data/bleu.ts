// BLEU as sacreBLEU 2.x computes it (our own code, following sacrebleu/metrics/bleu.py and
// sacrebleu/tokenizers/tokenizer_13a.py + tokenizer_re.py): mteval-v13a tokenization, n-grams up to 4,
// clipped counts against the max over references, closest reference length (ties → the shorter), brevity
// penalty exp(1 - ref/hyp), geometric mean of precisions with log(0) floored to -9999999999.
// Smoothing as sacreBLEU: 'exp' (default; an order with 0 matches gets 1 / (2^k * total) for its k-th
// such order), 'floor', 'add-k', 'none'; corpus BLEU uses all 4 orders, sentence BLEU the effective order.
// Whitespace means Python's str.split()/rstrip() whitespace so that tokens match sacreBLEU's exactly.

export type SmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';
export type BleuTokenizer = '13a' | 'none';

export interface BleuOptions {
  tokenize?: BleuTokenizer; // default '13a'
  lowercase?: boolean; // default false
  smoothMethod?: SmoothMethod; // default 'exp'
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Stop at the highest n-gram order the hypothesis has (sentence BLEU). Default false. */
  effectiveOrder?: boolean;
  maxNgramOrder?: number; // default 4
}

export interface BleuScore {
  score: number; // 0..100
  counts: number[]; // matched n-grams per order
  totals: number[]; // hypothesis n-grams per order
  precisions: number[]; // percent per order
  bp: number;
  sysLen: number;
  refLen: number;
  ratio: number;
}

const SMOOTH_DEFAULTS: Record<SmoothMethod, number> = { none: 0, floor: 0.1, 'add-k': 1, exp: 0 };

// Python's str.isspace() set (str.split() / str.rstrip() with no argument).
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPLIT = new RegExp(`[${PY_WS}]+`, 'u');
const PY_RSTRIP = new RegExp(`[${PY_WS}]+$`, 'u');

/** Python `s.split()`: split on whitespace runs, no empty strings. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPLIT).filter((t) => t !== '');
}

// tokenizer_re.py, applied in order (Python re.sub ≡ JS replace with /g for these patterns).
const RE_13A: [RegExp, string][] = [
  // language-dependent part (assuming Western languages): ASCII punctuation and symbols
  [/([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu, ' $1 '],
  // tokenize period and comma unless preceded by a digit
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // tokenize period and comma unless followed by a digit
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // tokenize dash when preceded by a digit
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** sacreBLEU's '13a' tokenizer (mteval-v13a). */
export function tokenize13a(line: string): string {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, repl] of RE_13A) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}

function preprocess(sent: string, opts: Required<BleuOptions>): string {
  let s = opts.lowercase ? sent.toLowerCase() : sent;
  s = s.replace(PY_RSTRIP, '');
  return opts.tokenize === '13a' ? tokenize13a(s) : s;
}

function ngrams(line: string, maxOrder: number): { counts: Map<string, number>; len: number } {
  const tokens = pySplit(line);
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // Tokens hold no whitespace, so a space-joined key is unambiguous; the order is its word count.
      const key = tokens.slice(i, i + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { counts, len: tokens.length };
}

function closestRefLen(hypLen: number, refLens: number[]): number {
  let bestDiff = -1, best = -1;
  for (const r of refLens) {
    const diff = Math.abs(hypLen - r);
    if (bestDiff === -1 || diff < bestDiff) [bestDiff, best] = [diff, r];
    else if (diff === bestDiff && r < best) best = r;
  }
  return best;
}

/** Sufficient statistics of one segment: [hypLen, refLen, ...correct(order), ...total(order)]. */
function segmentStats(hyp: string, refs: string[], opts: Required<BleuOptions>): number[] {
  const N = opts.maxNgramOrder;
  const refMax = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of refs) {
    const { counts, len } = ngrams(preprocess(ref, opts), N);
    refLens.push(len);
    for (const [k, c] of counts) refMax.set(k, Math.max(refMax.get(k) ?? 0, c));
  }
  const { counts: hypCounts, len: hypLen } = ngrams(preprocess(hyp, opts), N);
  const correct = new Array<number>(N).fill(0), total = new Array<number>(N).fill(0);
  for (const [k, c] of hypCounts) {
    const n = k.split(' ').length - 1;
    total[n] += c;
    const r = refMax.get(k);
    if (r !== undefined) correct[n] += Math.min(c, r);
  }
  return [hypLen, closestRefLen(hypLen, refLens), ...correct, ...total];
}

function resolve(options: BleuOptions, defaults: Partial<BleuOptions> = {}): Required<BleuOptions> {
  const o = { ...defaults, ...options };
  const smoothMethod = o.smoothMethod ?? 'exp';
  if (!(smoothMethod in SMOOTH_DEFAULTS)) throw new Error(`BLEU: unknown smooth method "${smoothMethod}"`);
  const tokenize = o.tokenize ?? '13a';
  if (tokenize !== '13a' && tokenize !== 'none') throw new Error(`BLEU: unknown tokenizer "${tokenize}"`);
  return {
    tokenize,
    lowercase: o.lowercase ?? false,
    smoothMethod,
    smoothValue: o.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod],
    effectiveOrder: o.effectiveOrder ?? false,
    maxNgramOrder: o.maxNgramOrder ?? 4,
  };
}

/**
 * Corpus BLEU. `refStreams` is a list of reference streams, each as long as `hyps` (sacreBLEU's layout);
 * an empty reference string means "no reference of this stream for this segment".
 */
export function corpusBleu(hyps: readonly string[], refStreams: readonly (readonly string[])[], options: BleuOptions = {}): BleuScore {
  const opts = resolve(options);
  if (refStreams.length === 0) throw new Error('BLEU: no reference streams');
  for (const [i, s] of refStreams.entries()) {
    if (s.length !== hyps.length) {
      throw new Error(`BLEU: reference stream ${i + 1} has ${s.length} lines but the hypotheses have ${hyps.length}`);
    }
  }
  const sums = new Array<number>(2 + 2 * opts.maxNgramOrder).fill(0);
  hyps.forEach((hyp, i) => {
    const refs = refStreams.map((s) => s[i]).filter((r) => r !== undefined && r !== '');
    if (refs.length === 0) throw new Error(`BLEU: empty reference sentence for segment ${i + 1}`);
    segmentStats(hyp, refs, opts).forEach((v, j) => (sums[j] += v));
  });
  return statsToScore(sums, opts);
}

/** Sentence BLEU as sacreBLEU's sentence_bleu: smoothing 'exp' and effective order by default. */
export function sentenceBleu(hyp: string, refs: readonly string[], options: BleuOptions = {}): BleuScore {
  return corpusBleu([hyp], refs.map((r) => [r]), resolve(options, { effectiveOrder: true }));
}

function statsToScore(stats: number[], opts: Required<BleuOptions>): BleuScore {
  const N = opts.maxNgramOrder;
  return computeBleu(stats.slice(2, 2 + N), stats.slice(2 + N), stats[0], stats[1], opts);
}

/** BLEU from sufficient statistics (sacreBLEU's BLEU.compute_bleu; default smoothing here is 'none'). */
export function computeBleu(
  correctIn: readonly number[],
  totalIn: readonly number[],
  sysLen: number,
  refLen: number,
  options: BleuOptions = {},
): BleuScore {
  const opts = resolve(options, { smoothMethod: 'none' });
  const N = opts.maxNgramOrder;
  const correct = [...correctIn], total = [...totalIn];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(N).fill(0);
  const result = (score: number): BleuScore => ({
    score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio: refLen ? sysLen / refLen : 0,
  });
  if (!correct.some((c) => c !== 0)) return result(0);

  let smoothMteval = 1, effOrder = N;
  for (let n = 1; n <= N; n++) {
    if (opts.smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += opts.smoothValue;
      total[n - 1] += opts.smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (opts.smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (opts.smoothMethod === 'floor') {
        precisions[n - 1] = (100 * opts.smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += precisions[i] === 0 ? -9999999999 : Math.log(precisions[i]);
  return result(bp * Math.exp(logSum / effOrder));
}

/** sacreBLEU's score string: `BLEU = 34.12 65.3/40.2/28.1/19.8 (BP = 1.000 ratio = 1.012 hyp_len = 123 ref_len = 121)`. */
export function formatBleu(s: BleuScore, width = 2): string {
  const prec = s.precisions.map((p) => pyFixed(p, 1)).join('/');
  return (
    `BLEU = ${pyFixed(s.score, width)} ${prec} (BP = ${pyFixed(s.bp, 3)} ratio = ${pyFixed(s.ratio, 3)} ` +
    `hyp_len = ${s.sysLen} ref_len = ${s.refLen})`
  );
}

/** Python's f'{x:.{d}f}': correctly rounded, exact ties to even (JS toFixed rounds ties away from zero). */
export function pyFixed(x: number, d: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const js = x.toFixed(d);
  if (Math.abs(x) >= 1e21) return js;
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + d);
  if (!/^50*$/.test(tail)) return js; // not an exact tie: toFixed is correctly rounded
  const truncated = exact.slice(0, d === 0 ? dot : dot + 1 + d);
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 1) return js; // odd → round away (toFixed already did)
  return (x < 0 || Object.is(x, -0) ? '-' : '') + truncated;
}
