// Constructions that move the verb or add a clause: negation (nicht / kein), yes/no questions (verb
// first), perfect and modal verbs (participle / infinitive last), subordinate clauses with weil/dass/wenn
// (verb last; also fronted, which puts the main clause's verb first), Sie-imperatives, coordination.

import { CONJUNCTIONS, type Conjunction } from './lexicon-words.ts';
import { MODALS } from './lexicon-verbs.ts';
import { content, type ContentKind } from './content.ts';
import { DEFINITE_DETS, KEIN_DETS, makeSubject, type Subject } from './phrases.ts';
import { POOLS, headOf, single, type Built, type Construction } from './build.ts';
import { clauseWords, englishClause, germanClause, type ClauseSpec, type Tense } from './clause.ts';
import type { Rng } from './rng.ts';

type Weights<T> = readonly (readonly [T, number])[];

function negationNicht(rng: Rng): Built {
  const d = DEFINITE_DETS;
  const variant = rng.weighted([['trans', 3], ['dat', 1], ['loc', 1.5], ['copula', 1.5], ['perfect', 1.5], ['sep', 1]] as const);
  const base = { subjectDets: d, objectDets: d, ppDets: d, pronoun: 0.25 };
  const spec = variant === 'perfect' ? content(rng, 'trans', { ...base, tense: 'perfect' })
    : variant === 'sep' ? content(rng, 'sepTrans', base)
      : content(rng, variant, base);
  spec.nicht = true;
  return single(spec, 'main', headOf(spec));
}

function negationKein(rng: Rng): Built {
  const tense: Tense = rng.chance(0.3) ? 'perfect' : 'present';
  const spec = content(rng, 'trans', { tense, objectDets: KEIN_DETS, subjectDets: DEFINITE_DETS, pronoun: 0.25, plural: 0.4 });
  spec.negated = true;
  return single(spec, 'main', headOf(spec));
}

const QUESTION_MODALS = MODALS.filter((m) => ['können', 'wollen', 'sollen'].includes(m.de));

function question(rng: Rng): Built {
  const variant = rng.weighted([
    ['trans', 3], ['dat', 1], ['loc', 1], ['copula', 1.5], ['perfect', 1.5], ['perfect-dir', 1], ['modal', 1.5],
  ] as const);
  const o = { persons: ['2sg', '3sg', '3pl'] as const, pronoun: 0.3, adj: 0.2 };
  let spec: ClauseSpec;
  if (variant === 'perfect') spec = content(rng, 'trans', { ...o, tense: 'perfect' });
  else if (variant === 'perfect-dir') spec = content(rng, 'dir', { ...o, tense: 'perfect' });
  else if (variant === 'modal') spec = content(rng, 'trans', { ...o, tense: 'modal', modal: rng.pick(QUESTION_MODALS) });
  else spec = content(rng, variant, o);
  return single(spec, 'question', headOf(spec));
}

function perfect(rng: Rng): Built {
  const kind = rng.weighted<ContentKind>([
    ['trans', 3], ['dat', 1], ['ditr', 1], ['dir', 1.5], ['loc', 1.5], ['sepTrans', 1], ['sepIntr', 1],
  ]);
  const spec = content(rng, kind, { tense: 'perfect', adj: kind === 'ditr' ? 0.15 : 0.3 });
  return single(spec, 'main', headOf(spec));
}

function modal(rng: Rng): Built {
  const kind = rng.weighted<ContentKind>([['trans', 3], ['dat', 1], ['loc', 1], ['dir', 1], ['manner', 1], ['sepTrans', 1]]);
  const spec = content(rng, kind, { tense: 'modal', modal: rng.pick(MODALS) });
  return single(spec, 'main', headOf(spec));
}

/** Content of a subordinate clause: present, perfect or modal. */
function subordinateContent(rng: Rng): ClauseSpec {
  const kind = rng.weighted<ContentKind>([['trans', 3], ['loc', 1.5], ['copula', 1.5], ['dat', 1], ['manner', 1], ['sepTrans', 1]]);
  const tense = kind === 'copula' ? 'present' : rng.weighted<Tense>([['present', 7], ['perfect', 1.5], ['modal', 1.5]]);
  return content(rng, kind, { tense, modal: rng.pick(MODALS), adj: 0.15 });
}

const SIMPLE_MAIN: Weights<ContentKind> = [['manner', 2], ['trans', 2], ['loc', 1]];

function subordinate(rng: Rng): Built {
  const conj = rng.pick<Conjunction>(['dass', 'weil', 'wenn']);
  const sub = subordinateContent(rng);
  const mainSpec: ClauseSpec = conj === 'dass'
    ? { subj: makeSubject(rng, 'person', { pronoun: 0.6, adj: 0.1 }), verb: rng.pick(POOLS.matrix()), tense: 'present' }
    : content(rng, rng.weighted(SIMPLE_MAIN), { adj: 0.1 });
  const main = germanClause(mainSpec, 'main');
  const subG = germanClause(sub, 'sub', conj);
  return {
    de: [...clauseWords(main), ',', ...clauseWords(subG), '.'],
    en: [...englishClause(mainSpec, 'stmt'), CONJUNCTIONS[conj], ...englishClause(sub, 'stmt'), '.'],
    clauses: [main, subG],
    head: headOf(sub),
  };
}

function frontedSubordinate(rng: Rng): Built {
  const conj = rng.pick<Conjunction>(['wenn', 'weil']);
  const sub = subordinateContent(rng);
  const mainSpec = content(rng, rng.weighted(SIMPLE_MAIN), { adj: 0.1 });
  const subG = { ...germanClause(sub, 'sub', conj), embedded: true };
  const main = germanClause(mainSpec, 'main', undefined, clauseWords(subG));
  return {
    de: [...clauseWords(subG), ',', ...main.slots.slice(1).flatMap((s) => s.words), '.'],
    en: [CONJUNCTIONS[conj], ...englishClause(sub, 'stmt'), ',', ...englishClause(mainSpec, 'stmt'), '.'],
    clauses: [subG, main],
    head: headOf(sub),
  };
}

/** Formal Sie: the verb takes the infinitive form and comes first. */
const SIE: Subject = { kind: 'pron', pron: { de: 'Sie', en: 'you', person: '3pl' }, de: ['Sie'], en: [], person: '3pl' };

function imperative(rng: Rng): Built {
  const kind = rng.weighted<ContentKind>([['trans', 3], ['dat', 1], ['ditr', 1], ['sepTrans', 1.5], ['dir', 1]]);
  const spec = content(rng, kind, { subject: SIE, noDein: true, adj: 0.3 });
  spec.please = rng.chance(0.5);
  return single(spec, 'imperative', headOf(spec));
}

function coordination(rng: Rng): Built {
  const conj = rng.chance(0.6) ? 'und' : 'aber';
  const kinds: Weights<ContentKind> = [['manner', 2], ['trans', 2], ['loc', 1], ['copula', 1]];
  const a = content(rng, rng.weighted(kinds), { adj: 0.1 });
  const b = content(rng, rng.weighted(kinds), { adj: 0.1 });
  const ga = germanClause(a, 'main');
  const gb = germanClause(b, 'main');
  gb.slots.unshift({ role: 'conj', words: [conj] });
  const comma = conj === 'aber' ? [','] : [];
  return {
    de: [...clauseWords(ga), ...comma, ...clauseWords(gb), '.'],
    en: [...englishClause(a, 'stmt'), ...comma, CONJUNCTIONS[conj], ...englishClause(b, 'stmt'), '.'],
    clauses: [ga, gb],
    head: headOf(a),
  };
}

export const COMPLEX_CONSTRUCTIONS: readonly Construction[] = [
  { id: 'negation-nicht', description: 'nicht after definite objects, before PPs, predicates and the right bracket', build: negationNicht },
  { id: 'negation-kein', description: 'kein for indefinite and zero-article objects', build: negationKein },
  { id: 'question', description: 'yes/no question: finite verb first', build: question },
  { id: 'perfect', description: 'perfect with haben/sein, participle at the end', build: perfect },
  { id: 'modal', description: 'modal verb second, infinitive at the end', build: modal },
  { id: 'subordinate', description: 'dass/weil/wenn clause after the main clause, verb at the end', build: subordinate },
  { id: 'fronted-subordinate', description: 'wenn/weil clause first, then the main clause verb first', build: frontedSubordinate },
  { id: 'imperative', description: 'Sie-imperative: infinitive form first, prefix at the end', build: imperative },
  { id: 'coordination', description: 'two main clauses joined by und / aber', build: coordination },
];
