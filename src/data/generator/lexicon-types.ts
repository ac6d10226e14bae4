// Types of the generator's lexicon entries, and the selectors that say which nouns fit a slot.
//
// A selector is a space-separated list of noun kinds and #tags: 'person animal #drink' matches a noun whose
// kind is person or animal, or that carries the tag drink. Verbs and adjectives use selectors so that the
// generated sentences are grammatical and also make sense (nobody reads a sausage).

export type Gender = 'm' | 'f' | 'n';
export type Case = 'nom' | 'acc' | 'dat';
export type Num = 'sg' | 'pl';
/** The five persons the corpus uses (no ihr, so English "you" is always du). */
export type Person = '1sg' | '2sg' | '3sg' | '1pl' | '3pl';

export type NounKind =
  | 'person' | 'animal' | 'thing' | 'fixture' | 'info' | 'food' | 'mass' | 'place' | 'vehicle';

export interface Noun {
  de: string;
  gender: Gender;
  /** German plural (nominative); null for mass nouns. */
  plural: string | null;
  /** Weak masculine (n-declension): accusative/dative singular take the plural form (den Jungen). */
  weak: boolean;
  en: string;
  enPlural: string | null;
  kind: NounKind;
  tags: readonly string[];
}

export interface Adjective {
  de: string;
  en: string;
  /** Which nouns it may describe. */
  sel: string;
}

/** Adverb groups: freq/time go after the finite verb (English: freq before the verb, time at the end);
 *  the manner groups go at the end of the middle field (English: at the end). */
export type AdverbGroup = 'freq' | 'time' | 'speed' | 'volume' | 'quality' | 'place' | 'alone' | 'much';

export interface Adverb {
  de: string;
  en: string;
  group: AdverbGroup;
  /** May open a main clause (Heute spielt das Kind ...). */
  front: boolean;
}

export type Aux = 'haben' | 'sein';

/** A prepositional frame: preposition id and the selector of its noun. */
export interface PrepFrame {
  prep: string;
  sel: string;
}

export interface Verb {
  /** Infinitive including a separable prefix: 'anrufen'. */
  de: string;
  /** Separable prefix ('an') or ''. */
  prefix: string;
  /** The verb without its separable prefix: 'rufen'. */
  base: string;
  /** Irregular present forms of the base: [du, er]; or [ich, du, er, wir] for fully irregular verbs. */
  irregular: readonly string[] | null;
  participle: string;
  /** Perfect auxiliary, or null when the corpus does not use this verb in the perfect. */
  aux: Aux | null;
  /** English base form, 3rd-person singular, past participle ('look for', 'looks for', 'looked for'). */
  en: readonly [string, string, string];
  subj: string;
  /** Accusative object selector (transitive). */
  acc?: string;
  /** Dative object selector (dative verbs such as helfen). */
  dat?: string;
  /** Dative recipient selector for ditransitive use ... */
  ditr?: string;
  /** ... and the selector of its accusative theme (geben: dem Kind einen Apfel). */
  ditrTheme?: string;
  /** Intransitive use, with the adverb groups that fit ('' = intransitive, no adverbs). */
  intr?: string;
  /** Location frames (preposition + dative). */
  loc?: readonly PrepFrame[];
  /** Direction frames (preposition + accusative). */
  dir?: readonly PrepFrame[];
  /** Companion (mit/ohne + person/animal) for intransitive use. */
  with?: string;
  /** Instrument (mit + dative) selector for transitive use. */
  inst?: string;
  /** Beneficiary (für + accusative person) allowed with the accusative object. */
  fuer?: boolean;
  /** May follow a modal verb / be an imperative (default true). */
  modal: boolean;
  imperative: boolean;
  /** Matrix verb for dass-clauses (glauben, wissen, ...). */
  matrix?: boolean;
}

export interface Modal {
  de: string;
  /** ich, du, er, wir forms. */
  forms: readonly [string, string, string, string];
  /** English: 'can' | 'must' | ... ; 'want' means "want(s) to" with do-support. */
  en: string;
}

export interface Pronoun {
  de: string;
  en: string;
  person: Person;
}

export interface Preposition {
  id: string;
  de: string;
  en: string;
  case: Case;
}

/** Parsed selector: kinds and tags. */
export interface Selector {
  kinds: ReadonlySet<string>;
  tags: ReadonlySet<string>;
}

export function parseSelector(sel: string): Selector {
  const kinds = new Set<string>(), tags = new Set<string>();
  for (const part of sel.split(' ')) {
    if (!part) continue;
    if (part.startsWith('#')) tags.add(part.slice(1));
    else kinds.add(part);
  }
  return { kinds, tags };
}

export function matchesSelector(noun: Noun, sel: Selector): boolean {
  if (sel.kinds.has(noun.kind)) return true;
  for (const t of noun.tags) if (sel.tags.has(t)) return true;
  return false;
}
