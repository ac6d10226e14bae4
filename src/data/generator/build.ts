// Shared pieces of the constructions: the result type, verb pools, and helpers that turn clause
// specifications into whole sentences (German tokens, English tokens, annotated German clauses).

import type { Adverb, Verb } from './lexicon-types.ts';
import { adverbsIn, verbsWhere } from './lexicon.ts';
import { clauseWords, englishClause, germanClause, type ClauseSpec, type GermanClause } from './clause.ts';
import type { Rng } from './rng.ts';

export interface Built {
  /** German tokens with punctuation tokens (',', '.', '?', '!'). */
  de: string[];
  en: string[];
  clauses: GermanClause[];
  /** The lexical head (verb lemma, or the adjective of a predicate) for (construction, head) hold-outs. */
  head: string;
}

export interface Construction {
  id: string;
  description: string;
  build(rng: Rng): Built;
}

const simple = (v: Verb) => v.prefix === '';

/** Verb pools by frame (cached). Separable verbs have their own construction. */
export const POOLS = {
  trans: () => verbsWhere('trans', (v) => simple(v) && v.acc !== undefined),
  dat: () => verbsWhere('dat', (v) => simple(v) && v.dat !== undefined),
  ditr: () => verbsWhere('ditr', (v) => v.ditr !== undefined),
  loc: () => verbsWhere('loc', (v) => simple(v) && v.loc !== undefined),
  dir: () => verbsWhere('dir', (v) => v.dir !== undefined),
  manner: () => verbsWhere('manner', (v) => simple(v) && mannerGroups(v) !== ''),
  with: () => verbsWhere('with', (v) => v.with !== undefined),
  fuer: () => verbsWhere('fuer', (v) => v.fuer === true && v.acc !== undefined),
  inst: () => verbsWhere('inst', (v) => v.inst !== undefined && v.acc !== undefined),
  sepTrans: () => verbsWhere('sepTrans', (v) => v.prefix !== '' && (v.acc !== undefined || v.dat !== undefined)),
  sepIntr: () => verbsWhere('sepIntr', (v) => v.prefix !== '' && v.intr !== undefined),
  matrix: () => verbsWhere('matrix', (v) => v.matrix === true),
};

/** The non-time adverb groups of an intransitive verb ('' when none). */
const mannerCache = new Map<Verb, string>();

export function mannerGroups(v: Verb): string {
  let hit = mannerCache.get(v);
  if (hit === undefined) {
    hit = (v.intr ?? '').split(' ').filter((g) => g !== '' && g !== 'time').join(' ');
    mannerCache.set(v, hit);
  }
  return hit;
}

export function pickAdverb(rng: Rng, groups: string): Adverb {
  return rng.pick(adverbsIn(groups));
}

/** A one-clause sentence. */
export function single(spec: ClauseSpec, kind: 'main' | 'question' | 'imperative', head: string): Built {
  const g = germanClause(spec, kind);
  const punct = kind === 'main' ? '.' : kind === 'question' ? '?' : '!';
  const en = englishClause(spec, kind === 'main' ? 'stmt' : kind);
  return { de: [...clauseWords(g), punct], en: [...en, punct], clauses: [g], head };
}

export function headOf(spec: ClauseSpec): string {
  return spec.verb ? spec.verb.de : (spec.pred?.adj.de ?? 'sein');
}
