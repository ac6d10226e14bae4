// Clause realisation: one clause specification → German word order (verb second in main clauses, verb
// first in yes/no questions and Sie-imperatives, verb last in subordinate clauses; participle, infinitive
// and separable prefix at the end) and the English clause (do-support for questions and negation).
//
// German middle field order: [freq/time adverb] [dative object] [accusative object] [nicht] [prepositional
// phrases] [manner adverb] [predicate adjective]; then the right bracket.

import type { Adjective, Adverb, Case, Modal, Person, Verb } from './lexicon-types.ts';
import { auxPresent, modalPresent, verbPresent } from './german.ts';
import { beForm, doForm, haveForm } from './english.ts';
import { INTENSIFIER } from './lexicon-words.ts';
import type { Np, NpInfo, Pp, Subject } from './phrases.ts';

export type Tense = 'present' | 'perfect' | 'modal';
export type ClauseType = 'main' | 'question' | 'sub' | 'imperative';
export type SlotRole =
  | 'front' | 'sub' | 'conj' | 'subj' | 'fin' | 'adv' | 'dat' | 'acc' | 'neg' | 'pp' | 'pred' | 'nonfin' | 'prefix';

/** One constituent of a German clause, annotated for the grammar tests. */
export interface Slot {
  role: SlotRole;
  words: string[];
  np?: NpInfo;
  /** Person of a subject. */
  person?: Person;
  /** For 'pp': the preposition, its case and its English translation. */
  prep?: { de: string; case: Case; en: string };
  /** For 'fin' / 'nonfin': the lemma this word is a form of (verb, modal, haben or sein). */
  lemma?: string;
}

export interface GermanClause {
  type: ClauseType;
  slots: Slot[];
  /** Lexical verb lemma, or 'sein' for a predicate adjective. */
  verb: string;
  tense: Tense;
  /** Part of another clause's 'sub' slot (a fronted subordinate clause). */
  embedded: boolean;
}

export interface ClauseSpec {
  subj: Subject;
  /** null = copula with a predicate adjective. */
  verb: Verb | null;
  tense: Tense;
  modal?: Modal;
  pred?: { adj: Adjective; very: boolean };
  dat?: Np;
  acc?: Np;
  pps?: Pp[];
  adv?: Adverb;
  /** Adverb opening a main clause (Heute kauft ...). */
  front?: Adverb;
  /** "nicht" (negation with kein lives in the object NP; set `negated` for its English "not"). */
  nicht?: boolean;
  negated?: boolean;
  /** Imperative with "bitte" / "please". */
  please?: boolean;
}

const MIDDLE_ADVERB = new Set(['freq', 'time']);

function subjectSlot(s: Subject): Slot {
  return s.kind === 'np'
    ? { role: 'subj', words: s.de, np: s.info, person: s.person }
    : { role: 'subj', words: s.de, person: s.person };
}

function middleField(spec: ClauseSpec): Slot[] {
  const out: Slot[] = [];
  const adv = spec.adv;
  if (spec.please) out.push({ role: 'adv', words: ['bitte'] });
  if (adv && MIDDLE_ADVERB.has(adv.group)) out.push({ role: 'adv', words: adv.de.split(' ') });
  if (spec.dat) out.push({ role: 'dat', words: spec.dat.de, np: spec.dat.info });
  if (spec.acc) out.push({ role: 'acc', words: spec.acc.de, np: spec.acc.info });
  if (spec.nicht) out.push({ role: 'neg', words: ['nicht'] });
  for (const pp of spec.pps ?? []) {
    out.push({ role: 'pp', words: pp.de, np: pp.np.info, prep: { de: pp.prep.de, case: pp.prep.case, en: pp.prep.en } });
  }
  if (adv && !MIDDLE_ADVERB.has(adv.group)) out.push({ role: 'adv', words: adv.de.split(' ') });
  if (spec.pred) {
    out.push({ role: 'pred', words: spec.pred.very ? [INTENSIFIER.de, spec.pred.adj.de] : [spec.pred.adj.de] });
  }
  return out;
}

/** The finite verb slot and the right bracket (participle / infinitive / separable prefix). */
function verbSlots(spec: ClauseSpec, type: ClauseType): { fin: Slot; right: Slot[] } {
  const p = spec.subj.person;
  const v = spec.verb;
  if (v === null) return { fin: { role: 'fin', words: [auxPresent('sein', p)], lemma: 'sein' }, right: [] };
  if (spec.tense === 'perfect') {
    if (v.aux === null) throw new Error(`clause: ${v.de} is not used in the perfect`);
    return {
      fin: { role: 'fin', words: [auxPresent(v.aux, p)], lemma: v.aux },
      right: [{ role: 'nonfin', words: [v.participle], lemma: v.de }],
    };
  }
  if (spec.tense === 'modal') {
    const m = spec.modal;
    if (!m) throw new Error('clause: modal tense without a modal');
    return {
      fin: { role: 'fin', words: [modalPresent(m, p)], lemma: m.de },
      right: [{ role: 'nonfin', words: [v.de], lemma: v.de }],
    };
  }
  const form = type === 'imperative' ? v.base : verbPresent(v, p);
  if (type === 'sub') return { fin: { role: 'fin', words: [v.prefix + form], lemma: v.de }, right: [] };
  const right: Slot[] = v.prefix ? [{ role: 'prefix', words: [v.prefix], lemma: v.de }] : [];
  return { fin: { role: 'fin', words: [form], lemma: v.de }, right };
}

/** German clause. `conj` opens a subordinate clause; `prefield` (a fronted clause) opens a main clause. */
export function germanClause(spec: ClauseSpec, type: ClauseType, conj?: string, prefield?: string[]): GermanClause {
  const { fin, right } = verbSlots(spec, type);
  const subj = subjectSlot(spec.subj);
  const mid = middleField(spec);
  let slots: Slot[];
  if (type === 'main' && prefield) slots = [{ role: 'sub', words: prefield }, fin, subj, ...mid, ...right];
  else if (type === 'main' && spec.front) slots = [{ role: 'front', words: spec.front.de.split(' ') }, fin, subj, ...mid, ...right];
  else if (type === 'main') slots = [subj, fin, ...mid, ...right];
  else if (type === 'sub') slots = [{ role: 'conj', words: [conj ?? 'dass'] }, subj, ...mid, ...right, fin];
  else slots = [fin, subj, ...mid, ...right];
  const verb = spec.verb ? spec.verb.de : 'sein';
  return { type, slots, verb, tense: spec.tense, embedded: false };
}

export function clauseWords(c: GermanClause): string[] {
  const out: string[] = [];
  for (const s of c.slots) for (const w of s.words) out.push(w);
  return out;
}

/** English clause: statement (also used for subordinate clauses), question or imperative. */
export function englishClause(spec: ClauseSpec, type: 'stmt' | 'question' | 'imperative'): string[] {
  const p = spec.subj.person;
  const subj = spec.subj.en;
  const neg = spec.nicht || spec.negated ? ['not'] : [];
  if (spec.verb === null) {
    const pred = spec.pred ? (spec.pred.very ? [INTENSIFIER.en, spec.pred.adj.en] : [spec.pred.adj.en]) : [];
    return type === 'question' ? [beForm(p), ...subj, ...pred] : [...subj, beForm(p), ...neg, ...pred];
  }
  const v = spec.verb;
  const freq = spec.adv?.group === 'freq' ? [spec.adv.en] : [];
  const tail = [
    ...(spec.dat?.en ?? []), ...(spec.acc?.en ?? []), ...(spec.pps ?? []).flatMap((pp) => pp.en),
    ...(spec.adv && spec.adv.group !== 'freq' ? [spec.adv.en] : []),
  ];
  if (type === 'imperative') return [...(spec.please ? ['please'] : []), v.en[0], ...tail];
  const front = spec.front ? [spec.front.en] : [];
  if ((freq.length > 0 || front.length > 0) && (type === 'question' || neg.length > 0 || spec.tense !== 'present')) {
    throw new Error('englishClause: adverb placement only for present statements');
  }
  if (spec.tense === 'perfect') {
    return type === 'question' ? [haveForm(p), ...subj, v.en[2], ...tail] : [...subj, haveForm(p), ...neg, v.en[2], ...tail];
  }
  if (spec.tense === 'modal') return englishModal(spec, type, subj, tail);
  if (type === 'question') return [doForm(p), ...subj, v.en[0], ...tail];
  if (neg.length > 0) return [...subj, doForm(p), 'not', v.en[0], ...tail];
  return [...front, ...subj, ...freq, p === '3sg' ? v.en[1] : v.en[0], ...tail];
}

function englishModal(spec: ClauseSpec, type: 'stmt' | 'question', subj: string[], tail: string[]): string[] {
  const m = spec.modal as Modal;
  const v = spec.verb as Verb;
  const p = spec.subj.person;
  if (spec.nicht || spec.negated) throw new Error('englishModal: negated modals are not generated');
  if (m.en === 'want') {
    return type === 'question'
      ? [doForm(p), ...subj, 'want to', v.en[0], ...tail]
      : [...subj, p === '3sg' ? 'wants to' : 'want to', v.en[0], ...tail];
  }
  return type === 'question' ? [m.en, ...subj, v.en[0], ...tail] : [...subj, m.en, v.en[0], ...tail];
}
