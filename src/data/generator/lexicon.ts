// The generator's lexicon in one place: word lists, counts, and cached look-ups by selector (which nouns
// fit a verb's object, which adjectives fit a noun, which adverbs belong to a group).

import { parseSelector, matchesSelector } from './lexicon-types.ts';
import type { Adjective, Adverb, Noun, Verb } from './lexicon-types.ts';
import { NOUNS } from './lexicon-nouns.ts';
import { VERBS, MODALS } from './lexicon-verbs.ts';
import {
  ADJECTIVES, ADVERBS, NUMBERS, PREPOSITIONS, PRONOUNS, POSSESSIVES, DETERMINERS, CONJUNCTIONS,
} from './lexicon-words.ts';

export { NOUNS, VERBS, MODALS, ADJECTIVES, ADVERBS, NUMBERS, PREPOSITIONS, PRONOUNS, POSSESSIVES, DETERMINERS, CONJUNCTIONS };

export interface LexiconCounts {
  nouns: number;
  verbs: number;
  modals: number;
  adjectives: number;
  adverbs: number;
  numbers: number;
  prepositions: number;
  pronouns: number;
  possessives: number;
  determiners: number;
  conjunctions: number;
  total: number;
}

export function lexiconCounts(): LexiconCounts {
  const c = {
    nouns: NOUNS.length, verbs: VERBS.length, modals: MODALS.length, adjectives: ADJECTIVES.length,
    adverbs: ADVERBS.length + 1, numbers: NUMBERS.length, prepositions: PREPOSITIONS.size,
    pronouns: PRONOUNS.length, possessives: POSSESSIVES.length, determiners: DETERMINERS.length,
    conjunctions: Object.keys(CONJUNCTIONS).length,
  };
  return { ...c, total: Object.values(c).reduce((a, b) => a + b, 0) };
}

const nounCache = new Map<string, readonly Noun[]>();

/** Nouns matching a selector ('person animal #drink'); cached. */
export function nounsMatching(sel: string): readonly Noun[] {
  let hit = nounCache.get(sel);
  if (!hit) {
    const s = parseSelector(sel);
    hit = NOUNS.filter((n) => matchesSelector(n, s));
    nounCache.set(sel, hit);
  }
  return hit;
}

const adjCache = new Map<Noun, readonly Adjective[]>();

/** Adjectives that may describe a noun; cached. */
export function adjectivesFor(noun: Noun): readonly Adjective[] {
  let hit = adjCache.get(noun);
  if (!hit) {
    hit = ADJECTIVES.filter((a) => matchesSelector(noun, parseSelector(a.sel)));
    adjCache.set(noun, hit);
  }
  return hit;
}

/** Adverbs of the given space-separated groups. */
const adverbCache = new Map<string, readonly Adverb[]>();

export function adverbsIn(groups: string): readonly Adverb[] {
  let hit = adverbCache.get(groups);
  if (!hit) {
    const set = new Set(groups.split(' '));
    hit = ADVERBS.filter((a) => set.has(a.group));
    adverbCache.set(groups, hit);
  }
  return hit;
}

const verbCache = new Map<string, readonly Verb[]>();

/** Verbs satisfying a predicate, cached under a name. */
export function verbsWhere(name: string, pred: (v: Verb) => boolean): readonly Verb[] {
  let hit = verbCache.get(name);
  if (!hit) {
    hit = VERBS.filter(pred);
    if (hit.length === 0) throw new Error(`lexicon: no verb satisfies '${name}'`);
    verbCache.set(name, hit);
  }
  return hit;
}

export function findVerb(de: string): Verb {
  const v = VERBS.find((x) => x.de === de);
  if (!v) throw new Error(`lexicon: unknown verb '${de}'`);
  return v;
}

export function findNoun(de: string): Noun {
  const n = NOUNS.find((x) => x.de === de);
  if (!n) throw new Error(`lexicon: unknown noun '${de}'`);
  return n;
}

/** Every selector used by a verb or adjective must match at least one noun; returns the problems. */
export function lexiconProblems(): string[] {
  const problems: string[] = [];
  const check = (where: string, sel: string | undefined) => {
    if (sel !== undefined && nounsMatching(sel).length === 0) problems.push(`${where}: '${sel}' matches no noun`);
  };
  for (const v of VERBS) {
    for (const key of ['subj', 'acc', 'dat', 'ditr', 'ditrTheme', 'with', 'inst'] as const) check(`${v.de}.${key}`, v[key]);
    for (const f of [...(v.loc ?? []), ...(v.dir ?? [])]) check(`${v.de}.${f.prep}`, f.sel);
  }
  for (const a of ADJECTIVES) check(`adjective ${a.de}`, a.sel);
  const seen = new Set<string>();
  for (const n of NOUNS) {
    if (seen.has(n.de)) problems.push(`duplicate noun ${n.de}`);
    seen.add(n.de);
  }
  return problems;
}
