// The built-in EN↔DE corpus: sample sentences from the constructions, deduplicate, and split into
// train / dev / test so that every test pair contains a combination never seen in train or dev.
//
// Held-out scheme (fixed by the seed): a share of the (adjective, noun) pairs, of the (verb, object noun)
// pairs, and one (construction, head word) pair per construction are reserved for the test split. Train and
// dev contain none of them; each test pair contains at least one. The words themselves stay in training.

import { NOUNS, VERBS, adjectivesFor, nounsMatching } from './lexicon.ts';
import { CONSTRUCTION_LIST } from './constructions.ts';
import type { Construction } from './build.ts';
import type { GermanClause } from './clause.ts';
import { countWords, renderSentence } from './english.ts';
import { Rng } from './rng.ts';

export interface CorpusPair {
  src: string;
  tgt: string;
  construction: string;
}

export interface BuiltInCorpusOptions {
  seed: number;
  train?: number;
  dev?: number;
  test?: number;
  direction?: 'en-de' | 'de-en';
}

/** One generated sentence pair with its German analysis (for tests and inspection). */
export interface GeneratedItem {
  de: string;
  en: string;
  construction: string;
  clauses: GermanClause[];
  head: string;
  /** 'an:adj+noun', 'vo:verb+noun', 'cx:construction+head'. */
  combos: string[];
}

export const MIN_WORDS = 4;
export const MAX_WORDS = 16;
const AN_SHARE = 0.05;
const VO_SHARE = 0.05;
const PILOT_SIZE = 60;

/** The combinations a sentence contains (adjective+noun, verb+object noun, construction+head). */
export function combosOf(construction: string, clauses: readonly GermanClause[], head: string): string[] {
  const out = new Set<string>([`cx:${construction}+${head}`]);
  for (const c of clauses) {
    const subj = c.slots.find((s) => s.role === 'subj');
    for (const s of c.slots) {
      if (s.np?.adj) out.add(`an:${s.np.adj.de}+${s.np.noun.de}`);
      if ((s.role === 'acc' || s.role === 'dat') && s.np) out.add(`vo:${c.verb}+${s.np.noun.de}`);
      if (s.role === 'pred' && subj?.np) out.add(`an:${s.words[s.words.length - 1]}+${subj.np.noun.de}`);
    }
  }
  return [...out];
}

function itemFrom(c: Construction, rng: Rng): GeneratedItem | null {
  const b = c.build(rng);
  const nd = countWords(b.de), ne = countWords(b.en);
  if (nd < MIN_WORDS || nd > MAX_WORDS || ne < MIN_WORDS || ne > MAX_WORDS) return null;
  return {
    de: renderSentence(b.de), en: renderSentence(b.en), construction: c.id, clauses: b.clauses, head: b.head,
    combos: combosOf(c.id, b.clauses, b.head),
  };
}

/** One sentence of the given construction (retried until it fits the length limits). */
export function sampleConstruction(rng: Rng, id: string): GeneratedItem {
  const c = CONSTRUCTION_LIST.find((x) => x.id === id);
  if (!c) throw new Error(`sampleConstruction: unknown construction '${id}'`);
  for (let i = 0; i < 100; i++) {
    const item = itemFrom(c, rng);
    if (item) return item;
  }
  throw new Error(`sampleConstruction: '${id}' keeps producing sentences outside ${MIN_WORDS}-${MAX_WORDS} words`);
}

export function sampleItem(rng: Rng): GeneratedItem {
  return sampleConstruction(rng, rng.pick(CONSTRUCTION_LIST).id);
}

interface Pair {
  key: string;
  /** The two words, namespaced ('a:rot', 'n:Apfel', 'v:kaufen'). */
  words: [string, string];
}

/** Hold out a share of the pairs, but never the last pair a word occurs in (so every word stays in training). */
function holdOut(rng: Rng, pairs: Pair[], share: number): string[] {
  const partners = new Map<string, number>();
  for (const p of pairs) for (const w of p.words) partners.set(w, (partners.get(w) ?? 0) + 1);
  const target = Math.round(pairs.length * share);
  const out: string[] = [];
  for (const p of rng.shuffled(pairs)) {
    if (out.length >= target) break;
    if (p.words.some((w) => (partners.get(w) ?? 0) < 2)) continue;
    for (const w of p.words) partners.set(w, (partners.get(w) ?? 0) - 1);
    out.push(p.key);
  }
  return out;
}

let pilotHeads: { heads: string[][]; spread: Map<string, number> } | null = null;

/** Heads each construction produced in a small fixed pilot sample (seed-independent, computed once). */
function pilot(): { heads: string[][]; spread: Map<string, number> } {
  if (pilotHeads) return pilotHeads;
  const rng = new Rng(0x5eed);
  const heads = CONSTRUCTION_LIST.map((c) =>
    [...new Set(Array.from({ length: PILOT_SIZE }, () => sampleConstruction(rng, c.id).head))].sort());
  const spread = new Map<string, number>();
  for (const hs of heads) for (const h of hs) spread.set(h, (spread.get(h) ?? 0) + 1);
  pilotHeads = { heads, spread };
  return pilotHeads;
}

/** One head per construction, among heads that the pilot shows in at least two constructions. */
function heldOutHeads(rng: Rng): string[] {
  const { heads, spread } = pilot();
  return CONSTRUCTION_LIST.map((c, i) => `cx:${c.id}+${rng.pick(heads[i].filter((h) => (spread.get(h) ?? 0) >= 2))}`);
}

export interface HeldOutScheme {
  combos: string[];
  description: string;
}

/** The held-out combinations for a seed, and a short description of the scheme. */
export function heldOutScheme(seed: number): HeldOutScheme {
  const rng = new Rng(seed ^ 0x7e57);
  const anPairs = NOUNS.flatMap((n) => adjectivesFor(n).map((a): Pair => ({
    key: `an:${a.de}+${n.de}`, words: [`a:${a.de}`, `n:${n.de}`],
  })));
  const voPairs = VERBS.flatMap((v) => {
    const nouns = new Set([v.acc, v.dat, v.ditr, v.ditrTheme].flatMap((sel) => (sel ? nounsMatching(sel) : [])));
    return [...nouns].map((n): Pair => ({ key: `vo:${v.de}+${n.de}`, words: [`v:${v.de}`, `n:${n.de}`] }));
  });
  const adjNoun = holdOut(rng, anPairs, AN_SHARE);
  const vo = holdOut(rng, voPairs, VO_SHARE);
  const cx = heldOutHeads(rng);
  const combos = [...adjNoun, ...vo, ...cx];
  const ex = (xs: string[]) => xs[0].slice(3).replace('+', ' + ');
  const description =
    `Test pairs each contain at least one combination that never occurs in train or dev: ` +
    `${adjNoun.length} of ${anPairs.length} adjective+noun pairs (e.g. ${ex(adjNoun)}; attributive or predicative), ` +
    `${vo.length} of ${voPairs.length} verb+object pairs (e.g. ${ex(vo)}), and one head word per construction ` +
    `(${cx.length}, e.g. ${ex(cx)}). Each word of a held-out combination still occurs in training.`;
  return { combos, description };
}

export function describeHeldOut(seed: number): string {
  return heldOutScheme(seed).description;
}

export interface DetailedCorpus {
  train: GeneratedItem[];
  dev: GeneratedItem[];
  test: GeneratedItem[];
  heldOut: string;
  heldOutCombos: string[];
}

/** Generate the three splits with their analyses. Deterministic for a seed; no sentence repeats anywhere. */
export function generateCorpusDetailed(opts: BuiltInCorpusOptions): DetailedCorpus {
  return generate(opts, (item) => item);
}

function generate<T>(opts: BuiltInCorpusOptions, keep: (item: GeneratedItem) => T): Splits<T> & { heldOut: string; heldOutCombos: string[] } {
  const nTrain = opts.train ?? 20_000, nDev = opts.dev ?? 1_000, nTest = opts.test ?? 1_000;
  for (const n of [nTrain, nDev, nTest]) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`generateCorpus: split sizes must be integers >= 0, got ${n}`);
  }
  const scheme = heldOutScheme(opts.seed);
  const held = new Set(scheme.combos);
  const rng = new Rng(opts.seed);
  const seenDe = new Set<string>(), seenEn = new Set<string>();
  const out: Splits<T> = { train: [], dev: [], test: [] };
  const maxAttempts = 40 * (nTrain + nDev + nTest) + 10_000;
  for (let attempt = 0; out.train.length < nTrain || out.dev.length < nDev || out.test.length < nTest; attempt++) {
    if (attempt >= maxAttempts) throw new Error('generateCorpus: could not fill the splits with distinct sentences');
    const item = sampleItem(rng);
    if (seenDe.has(item.de) || seenEn.has(item.en)) continue;
    const split = item.combos.some((c) => held.has(c))
      ? (out.test.length < nTest ? out.test : null)
      : out.train.length < nTrain ? out.train : out.dev.length < nDev ? out.dev : null;
    if (!split) continue;
    split.push(keep(item));
    seenDe.add(item.de);
    seenEn.add(item.en);
  }
  return { ...out, heldOut: scheme.description, heldOutCombos: scheme.combos };
}

interface Splits<T> {
  train: T[];
  dev: T[];
  test: T[];
}

export interface BuiltInCorpus {
  train: CorpusPair[];
  dev: CorpusPair[];
  test: CorpusPair[];
  heldOut: string;
}

/** The built-in corpus as source/target pairs (English → German unless direction is 'de-en'). */
export function generateCorpus(opts: BuiltInCorpusOptions): BuiltInCorpus {
  const deToEn = opts.direction === 'de-en';
  const { train, dev, test, heldOut } = generate(opts, (it): CorpusPair =>
    deToEn ? { src: it.de, tgt: it.en, construction: it.construction } : { src: it.en, tgt: it.de, construction: it.construction });
  return { train, dev, test, heldOut };
}
