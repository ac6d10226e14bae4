// Clause contents shared by the constructions: pick a verb of the right frame (and tense), then its
// subject, objects, prepositional phrase or adverb. The construction decides the clause type around it.

import type { Modal, Person, Verb } from './lexicon-types.ts';
import { parseSelector } from './lexicon-types.ts';
import { ADJECTIVES } from './lexicon.ts';
import type { ClauseSpec, Tense } from './clause.ts';
import { canTake, makeNp, makePp, makeSubject, type DetWeights, type Subject } from './phrases.ts';
import { POOLS, mannerGroups, pickAdverb } from './build.ts';
import type { Rng } from './rng.ts';

export type ContentKind = 'trans' | 'dat' | 'ditr' | 'loc' | 'dir' | 'manner' | 'copula' | 'sepTrans' | 'sepIntr';

export interface ContentOptions {
  tense?: Tense;
  modal?: Modal;
  /** Persons allowed for a pronoun subject. */
  persons?: readonly Person[];
  /** Probability of a pronoun subject (default 0.2). */
  pronoun?: number;
  /** Subject given by the caller (imperative Sie): verbs must accept a person subject. */
  subject?: Subject;
  /** Determiners of a noun subject (default usual mix). */
  subjectDets?: DetWeights;
  /** Determiners of the object NPs (default usual mix). */
  objectDets?: DetWeights;
  /** Determiners of a prepositional NP. */
  ppDets?: DetWeights;
  /** Probability of a plural object (default 0.3). */
  plural?: number;
  /** Probability of an adjective in each NP (default 0.3). */
  adj?: number;
  noDein?: boolean;
}

/** The object selector of a verb in a frame (accusative, or dative for dative verbs). */
function objectSel(v: Verb): string | undefined {
  return v.acc ?? v.dat ?? v.ditrTheme;
}

function usable(v: Verb, o: ContentOptions): boolean {
  const obj = objectSel(v);
  if (o.objectDets && obj !== undefined && !canTake(obj, o.objectDets)) return false;
  if (o.tense === 'perfect' && v.aux === null) return false;
  if (o.tense === 'modal' && !v.modal) return false;
  if (o.subject && (!v.imperative || !parseSelector(v.subj).kinds.has('person'))) return false;
  return true;
}

const usableCache = new Map<readonly Verb[], Map<string, readonly Verb[]>>();

function pickVerb(rng: Rng, pool: readonly Verb[], o: ContentOptions): Verb {
  const dets = o.objectDets?.map(([d]) => d).join(',') ?? '';
  const key = `${o.tense ?? 'present'}/${o.subject ? 'imperative' : ''}/${dets}`;
  let byKey = usableCache.get(pool);
  if (!byKey) usableCache.set(pool, (byKey = new Map()));
  let ok = byKey.get(key);
  if (!ok) {
    ok = pool.filter((v) => usable(v, o));
    if (ok.length === 0) throw new Error('content: no verb fits the requested tense / subject');
    byKey.set(key, ok);
  }
  return rng.pick(ok);
}

function subjectFor(rng: Rng, sel: string, o: ContentOptions): Subject {
  return o.subject ?? makeSubject(rng, sel, {
    persons: o.persons, pronoun: o.pronoun, adj: o.adj, noDein: o.noDein, dets: o.subjectDets,
  });
}

function base(subj: Subject, verb: Verb | null, o: ContentOptions): ClauseSpec {
  return { subj, verb, tense: o.tense ?? 'present', modal: o.modal };
}

export function content(rng: Rng, kind: ContentKind, o: ContentOptions = {}): ClauseSpec {
  const np = (sel: string, c: 'acc' | 'dat', dets = o.objectDets) =>
    makeNp(rng, { sel, case: c, dets, adj: o.adj, noDein: o.noDein, plural: o.plural });
  switch (kind) {
    case 'copula': {
      const adj = rng.pick(ADJECTIVES);
      const subj = subjectFor(rng, adj.sel, { ...o, adj: 0.15 });
      // Not the same adjective twice (die schmutzigen Hühner sind schmutzig).
      if (subj.kind === 'np' && subj.info.adj === adj) return content(rng, kind, o);
      return { ...base(subj, null, o), tense: 'present', pred: { adj, very: rng.chance(0.3) } };
    }
    case 'trans': case 'dat': case 'ditr': {
      const v = pickVerb(rng, POOLS[kind](), o);
      const spec = base(subjectFor(rng, v.subj, o), v, o);
      if (kind === 'trans') spec.acc = np(v.acc as string, 'acc');
      if (kind === 'dat') spec.dat = np(v.dat as string, 'dat');
      if (kind === 'ditr') {
        spec.dat = np(v.ditr as string, 'dat');
        spec.acc = np(v.ditrTheme as string, 'acc');
      }
      return spec;
    }
    case 'loc': case 'dir': {
      const v = pickVerb(rng, POOLS[kind](), o);
      const frame = rng.pick((kind === 'loc' ? v.loc : v.dir) ?? []);
      const pp = makePp(rng, `${frame.prep}:${kind === 'loc' ? 'dat' : 'acc'}`, { sel: frame.sel, dets: o.ppDets, adj: o.adj, noDein: o.noDein });
      return { ...base(subjectFor(rng, v.subj, o), v, o), pps: [pp] };
    }
    case 'manner': {
      const v = pickVerb(rng, POOLS.manner(), o);
      return { ...base(subjectFor(rng, v.subj, o), v, o), adv: pickAdverb(rng, mannerGroups(v)) };
    }
    case 'sepTrans': {
      const v = pickVerb(rng, POOLS.sepTrans(), o);
      const spec = base(subjectFor(rng, v.subj, o), v, o);
      if (v.acc !== undefined) spec.acc = np(v.acc, 'acc');
      else spec.dat = np(v.dat as string, 'dat');
      return spec;
    }
    case 'sepIntr': {
      const v = pickVerb(rng, POOLS.sepIntr(), o);
      const spec = base(subjectFor(rng, v.subj, o), v, o);
      if (v.loc && rng.chance(0.5)) {
        const frame = rng.pick(v.loc);
        spec.pps = [makePp(rng, `${frame.prep}:dat`, { sel: frame.sel, dets: o.ppDets, adj: o.adj })];
      } else {
        // No "now"/"today" with the perfect ("has arrived now" is poor English).
        const groups = o.tense === 'perfect' ? mannerGroups(v) : (v.intr ?? '');
        if (groups !== '') spec.adv = pickAdverb(rng, groups);
      }
      return spec;
    }
  }
}
