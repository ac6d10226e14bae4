// German morphology for the generator: articles and other determiners, adjective endings (weak after
// der/dieser, mixed after ein/kein/mein, strong with no article or a number), noun forms (dative plural -n,
// weak masculine nouns), the in+dem/das contractions, and present-tense verb forms.
// Tables follow Duden Grammatik; only nominative, accusative and dative are used (no genitive).

import type { Aux, Case, Gender, Modal, Noun, Num, Person, Verb } from './lexicon-types.ts';

export type DetKind = 'def' | 'indef' | 'kein' | 'poss' | 'dem' | 'zero' | 'num';
/** Gender in the singular, or 'pl' (the plural has one form for all genders). */
export type GenderNum = Gender | 'pl';
type Table = Record<Case, Record<GenderNum, string>>;

const DEFINITE: Table = {
  nom: { m: 'der', f: 'die', n: 'das', pl: 'die' },
  acc: { m: 'den', f: 'die', n: 'das', pl: 'die' },
  dat: { m: 'dem', f: 'der', n: 'dem', pl: 'den' },
};
/** Endings of ein / kein / mein (the plural only for kein and the possessives). */
const EIN_ENDINGS: Table = {
  nom: { m: '', f: 'e', n: '', pl: 'e' },
  acc: { m: 'en', f: 'e', n: '', pl: 'e' },
  dat: { m: 'em', f: 'er', n: 'em', pl: 'en' },
};
/** Strong endings: adjectives with no article or after a number, and dieser itself. */
const STRONG: Table = {
  nom: { m: 'er', f: 'e', n: 'es', pl: 'e' },
  acc: { m: 'en', f: 'e', n: 'es', pl: 'e' },
  dat: { m: 'em', f: 'er', n: 'em', pl: 'en' },
};
/** Weak endings: adjectives after der / dieser. */
const WEAK: Table = {
  nom: { m: 'e', f: 'e', n: 'e', pl: 'en' },
  acc: { m: 'en', f: 'e', n: 'e', pl: 'en' },
  dat: { m: 'en', f: 'en', n: 'en', pl: 'en' },
};
/** Mixed endings: adjectives after ein / kein / possessives. */
const MIXED: Table = {
  nom: { m: 'er', f: 'e', n: 'es', pl: 'en' },
  acc: { m: 'en', f: 'e', n: 'es', pl: 'en' },
  dat: { m: 'en', f: 'en', n: 'en', pl: 'en' },
};

export function genderNum(noun: Noun, num: Num): GenderNum {
  return num === 'pl' ? 'pl' : noun.gender;
}

/** The determiner word, or null for no article. `stem` is the possessive (mein) or number (drei). */
export function determinerForm(kind: DetKind, stem: string, g: GenderNum, c: Case): string | null {
  switch (kind) {
    case 'def': return DEFINITE[c][g];
    case 'indef':
      if (g === 'pl') throw new Error('determinerForm: ein has no plural');
      return 'ein' + EIN_ENDINGS[c][g];
    case 'kein': return 'kein' + EIN_ENDINGS[c][g];
    case 'poss': return stem + EIN_ENDINGS[c][g];
    case 'dem': return 'dies' + STRONG[c][g];
    case 'num': return stem;
    case 'zero': return null;
  }
}

export function adjectiveForm(adj: string, kind: DetKind, g: GenderNum, c: Case): string {
  const stem = adj.endsWith('e') ? adj.slice(0, -1) : adj;
  const table = kind === 'def' || kind === 'dem' ? WEAK : kind === 'zero' || kind === 'num' ? STRONG : MIXED;
  return stem + table[c][g];
}

export function nounForm(noun: Noun, num: Num, c: Case): string {
  if (num === 'sg') return noun.weak && c !== 'nom' ? (noun.plural as string) : noun.de;
  const pl = noun.plural;
  if (pl === null) throw new Error(`nounForm: ${noun.de} has no plural`);
  return c === 'dat' && !/[ns]$/.test(pl) ? pl + 'n' : pl;
}

/** in + dem → im, in + das → ins (obligatory in neutral style); null when no contraction applies. */
export function contraction(prep: string, article: string): string | null {
  if (prep !== 'in') return null;
  return article === 'dem' ? 'im' : article === 'das' ? 'ins' : null;
}

function personIndex(p: Person): number {
  return p === '1sg' ? 0 : p === '2sg' ? 1 : p === '3sg' ? 2 : 3;
}

/** Stem ends in t/d, or in m/n after a consonant other than l, r, h, m, n (öffn-, zeichn-): add -e-. */
function needsLinkingE(stem: string): boolean {
  return /[td]$/.test(stem) || /(?:ch|[^aeiouäöülrhmn])[mn]$/.test(stem);
}

/** Present-tense form of a verb without its separable prefix. */
export function presentForm(base: string, irregular: readonly string[] | null, p: Person): string {
  const i = personIndex(p);
  if (irregular && irregular.length === 4) return irregular[i];
  if (i === 3) return base;
  const stem = /e[rl]n$/.test(base) ? base.slice(0, -1) : base.slice(0, -2);
  if (i === 0) return stem + 'e';
  if (irregular) return irregular[i - 1];
  if (needsLinkingE(stem)) return stem + (i === 1 ? 'est' : 'et');
  if (i === 1 && /(?:[sßzx])$/.test(stem) && !stem.endsWith('sch')) return stem + 't';
  return stem + (i === 1 ? 'st' : 't');
}

export function verbPresent(v: Verb, p: Person): string {
  return presentForm(v.base, v.irregular, p);
}

const SEIN = ['bin', 'bist', 'ist', 'sind'];
const HABEN = ['habe', 'hast', 'hat', 'haben'];

export function auxPresent(aux: Aux | 'sein', p: Person): string {
  return (aux === 'haben' ? HABEN : SEIN)[personIndex(p)];
}

export function modalPresent(m: Modal, p: Person): string {
  return m.forms[personIndex(p)];
}
