// Noun phrases, subjects and prepositional phrases, built in German and English side by side.
// A noun phrase is determiner + at most one adjective + noun; German forms come from german.ts, the
// English article/number from english.ts. `NpInfo` records what was chosen so tests can re-derive the forms.

import type { Adjective, Case, Noun, Num, Person, Preposition, Pronoun } from './lexicon-types.ts';
import { parseSelector } from './lexicon-types.ts';
import { adjectivesFor, nounsMatching, NUMBERS, POSSESSIVES, PREPOSITIONS, PRONOUNS } from './lexicon.ts';
import {
  adjectiveForm, contraction, determinerForm, genderNum, nounForm, type DetKind,
} from './german.ts';
import { indefiniteArticle } from './english.ts';
import type { Rng } from './rng.ts';

export interface NpInfo {
  det: DetKind;
  /** Possessive stem (mein) or number word (drei) for det 'poss' / 'num'; '' otherwise. */
  detStem: string;
  noun: Noun;
  num: Num;
  case: Case;
  adj: Adjective | null;
}

export interface Np {
  kind: 'np';
  info: NpInfo;
  de: string[];
  en: string[];
  person: Person;
}

export interface Pro {
  kind: 'pron';
  pron: Pronoun;
  de: string[];
  en: string[];
  person: Person;
}

export type Subject = Np | Pro;

export interface Pp {
  prep: Preposition;
  np: Np;
  de: string[];
  en: string[];
}

export type DetWeights = readonly (readonly [DetKind, number])[];

/** Usual mix of determiners (numbers and kein only where a construction asks for them). */
export const USUAL_DETS: DetWeights = [['def', 5], ['indef', 3], ['zero', 1.2], ['dem', 0.6], ['poss', 0.6]];
export const DEFINITE_DETS: DetWeights = [['def', 6], ['dem', 1], ['poss', 1]];
export const KEIN_DETS: DetWeights = [['kein', 1]];
export const NUMBER_DETS: DetWeights = [['num', 1]];
export const POSSESSIVE_DETS: DetWeights = [['poss', 1]];
export const INSTRUMENT_DETS: DetWeights = [['indef', 3], ['def', 2], ['poss', 1]];

export interface NpOptions {
  sel: string;
  case: Case;
  dets?: DetWeights;
  /** Probability of the plural for count nouns (default 0.3). */
  plural?: number;
  /** Probability of an adjective (default 0.3). */
  adj?: number;
  /** Leave out 'dein' (imperatives use formal Sie). */
  noDein?: boolean;
  /** Only count nouns (for numbers). */
  countOnly?: boolean;
}

function allowedDet(det: DetKind, noun: Noun, num: Num): boolean {
  const mass = noun.plural === null;
  switch (det) {
    case 'indef': return !mass && num === 'sg';
    case 'zero': return mass || num === 'pl';
    case 'num': return !mass && num === 'pl';
    case 'poss': return !noun.tags.includes('noposs');
    default: return true;
  }
}

/** Noun pools by determiner list (by identity: keep determiner lists as constants) and selector. */
const poolCache = new WeakMap<DetWeights, Map<string, readonly Noun[]>>();

/** Whether some noun of the selector can take one of the determiners. */
export function canTake(sel: string, dets: DetWeights): boolean {
  return nounPool(sel, dets, false).length > 0;
}

/** Nouns of a selector that can take at least one of the determiners (cached). */
function nounPool(sel: string, dets: DetWeights, countOnly: boolean): readonly Noun[] {
  let bySel = poolCache.get(dets);
  if (!bySel) poolCache.set(dets, (bySel = new Map()));
  const key = countOnly ? sel + '|count' : sel;
  let hit = bySel.get(key);
  if (!hit) {
    hit = nounsMatching(sel).filter((n) => (!countOnly || n.plural !== null) &&
      dets.some(([d]) => allowedDet(d, n, 'sg') || (n.plural !== null && allowedDet(d, n, 'pl'))));
    bySel.set(key, hit);
  }
  return hit;
}

function chooseNum(rng: Rng, noun: Noun, opts: NpOptions): Num {
  if (noun.plural === null) return 'sg';
  const dets = opts.dets ?? USUAL_DETS;
  const canSg = dets.some(([d]) => allowedDet(d, noun, 'sg'));
  const canPl = dets.some(([d]) => allowedDet(d, noun, 'pl'));
  if (!canSg) return 'pl';
  if (!canPl) return 'sg';
  return rng.chance(opts.plural ?? 0.3) ? 'pl' : 'sg';
}

function chooseDetStem(rng: Rng, det: DetKind, noDein: boolean): string {
  if (det === 'num') return rng.pick(NUMBERS).de;
  if (det !== 'poss') return '';
  const choices = noDein ? POSSESSIVES.filter((p) => p.de !== 'dein') : POSSESSIVES;
  return rng.pick(choices).de;
}

function chooseDet(rng: Rng, dets: DetWeights, noun: Noun, num: Num): DetKind {
  let total = 0;
  for (const [d, w] of dets) if (allowedDet(d, noun, num)) total += w;
  if (total === 0) return 'def';
  let r = rng.next() * total;
  for (const [d, w] of dets) {
    if (!allowedDet(d, noun, num)) continue;
    r -= w;
    if (r < 0) return d;
  }
  return 'def';
}

/** Choose a noun phrase (falls back to the definite article if no determiner in `dets` fits the noun). */
export function makeNp(rng: Rng, opts: NpOptions): Np {
  const pool = nounPool(opts.sel, opts.dets ?? USUAL_DETS, opts.countOnly ?? false);
  if (pool.length === 0) throw new Error(`makeNp: no noun of '${opts.sel}' takes these determiners`);
  const noun = rng.pick(pool);
  const num = chooseNum(rng, noun, opts);
  const det = chooseDet(rng, opts.dets ?? USUAL_DETS, noun, num);
  const detStem = chooseDetStem(rng, det, opts.noDein ?? false);
  const adjs = adjectivesFor(noun);
  const adj = adjs.length > 0 && rng.chance(opts.adj ?? 0.3) ? rng.pick(adjs) : null;
  return npFromInfo({ det, detStem, noun, num, case: opts.case, adj });
}

export function npFromInfo(info: NpInfo): Np {
  return { kind: 'np', info, de: npGerman(info), en: npEnglish(info), person: info.num === 'pl' ? '3pl' : '3sg' };
}

export function npGerman(info: NpInfo): string[] {
  const g = genderNum(info.noun, info.num);
  const out: string[] = [];
  const d = determinerForm(info.det, info.detStem, g, info.case);
  if (d !== null) out.push(d);
  if (info.adj) out.push(adjectiveForm(info.adj.de, info.det, g, info.case));
  out.push(nounForm(info.noun, info.num, info.case));
  return out;
}

/** English NP; a kein-NP is rendered as the indefinite (the clause carries "not"). */
export function npEnglish(info: NpInfo): string[] {
  const noun = info.num === 'pl' ? (info.noun.enPlural as string) : info.noun.en;
  const rest = info.adj ? [info.adj.en, noun] : [noun];
  const mass = info.noun.plural === null;
  switch (info.det) {
    case 'def': return ['the', ...rest];
    case 'indef': return [indefiniteArticle(rest[0]), ...rest];
    case 'kein': return info.num === 'sg' && !mass ? [indefiniteArticle(rest[0]), ...rest] : rest;
    case 'poss': return [(POSSESSIVES.find((p) => p.de === info.detStem) as { en: string }).en, ...rest];
    case 'dem': return [info.num === 'pl' ? 'these' : 'this', ...rest];
    case 'num': return [(NUMBERS.find((n) => n.de === info.detStem) as { en: string }).en, ...rest];
    case 'zero': return rest;
  }
}

export interface SubjectOptions extends Partial<NpOptions> {
  /** Probability of a pronoun when the selector allows persons (default 0.2). */
  pronoun?: number;
  /** Persons allowed for a pronoun (default all). */
  persons?: readonly Person[];
}

const personCache = new Map<string, boolean>();

function allowsPerson(sel: string): boolean {
  let hit = personCache.get(sel);
  if (hit === undefined) {
    hit = parseSelector(sel).kinds.has('person');
    personCache.set(sel, hit);
  }
  return hit;
}

export function makeSubject(rng: Rng, sel: string, opts: SubjectOptions = {}): Subject {
  const personOk = allowsPerson(sel);
  if (personOk && rng.chance(opts.pronoun ?? 0.2)) {
    const prons = opts.persons ? PRONOUNS.filter((p) => opts.persons?.includes(p.person)) : PRONOUNS;
    const pron = rng.pick(prons);
    return { kind: 'pron', pron, de: [pron.de], en: [pron.en], person: pron.person };
  }
  return makeNp(rng, {
    sel, case: 'nom', dets: opts.dets, plural: opts.plural, adj: opts.adj, noDein: opts.noDein, countOnly: opts.countOnly,
  });
}

/** Prepositional phrase; `key` is 'in:dat', 'mit:dat', 'durch:acc', ... German contracts in+dem/das. */
export function makePp(rng: Rng, key: string, opts: Omit<NpOptions, 'case'>): Pp {
  const prep = PREPOSITIONS.get(key);
  if (!prep) throw new Error(`makePp: unknown preposition ${key}`);
  const np = makeNp(rng, {
    sel: opts.sel, case: prep.case, dets: opts.dets, plural: opts.plural ?? 0.15, adj: opts.adj, noDein: opts.noDein, countOnly: opts.countOnly,
  });
  return ppFrom(prep, np);
}

export function ppFrom(prep: Preposition, np: Np): Pp {
  const short = np.info.det === 'def' ? contraction(prep.de, np.de[0]) : null;
  const de = short ? [short, ...np.de.slice(1)] : [prep.de, ...np.de];
  return { prep, np, de, en: [prep.en, ...np.en] };
}
