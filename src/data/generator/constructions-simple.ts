// Single main-clause constructions in the present tense: verb frames (accusative, dative, ditransitive,
// location, direction, mit/für/ohne), adverbs (also fronted, with inversion), predicate adjectives,
// separable verbs, numbers with plural nouns, possessives.

import { ADVERBS } from './lexicon.ts';
import { content } from './content.ts';
import { INSTRUMENT_DETS, NUMBER_DETS, POSSESSIVE_DETS, makeNp, makePp, makeSubject } from './phrases.ts';
import { POOLS, headOf, pickAdverb, single, type Built, type Construction } from './build.ts';
import type { ClauseSpec } from './clause.ts';
import type { Rng } from './rng.ts';

function statement(spec: ClauseSpec): Built {
  return single(spec, 'main', headOf(spec));
}

/** mit/für/ohne: a beneficiary (für + acc), a companion (mit + dat / ohne + acc) or an instrument (mit + dat). */
function prepositional(rng: Rng): Built {
  const kind = rng.weighted([['fuer', 1], ['with', 1], ['inst', 0.6]] as const);
  const v = rng.pick(POOLS[kind]());
  const spec: ClauseSpec = { subj: makeSubject(rng, v.subj, { adj: 0.2 }), verb: v, tense: 'present' };
  if (kind === 'with') {
    const key = rng.chance(0.75) ? 'mit:dat' : 'ohne:acc';
    spec.pps = [makePp(rng, key, { sel: v.with as string, adj: 0.2 })];
    return statement(spec);
  }
  spec.acc = makeNp(rng, { sel: v.acc as string, case: 'acc', adj: 0.2 });
  spec.pps = kind === 'fuer'
    ? [makePp(rng, 'für:acc', { sel: 'person', adj: 0.2 })]
    : [makePp(rng, 'mit:dat', { sel: v.inst as string, dets: INSTRUMENT_DETS, plural: 0 })];
  return statement(spec);
}

function adverb(rng: Rng): Built {
  if (rng.chance(0.5)) return statement(content(rng, 'manner'));
  const spec = content(rng, rng.chance(0.7) ? 'trans' : 'loc', { adj: 0.2 });
  spec.adv = pickAdverb(rng, 'freq time');
  return statement(spec);
}

const FRONT_ADVERBS = ADVERBS.filter((a) => a.front);

function frontedAdverb(rng: Rng): Built {
  const spec = content(rng, rng.weighted([['trans', 3], ['loc', 1], ['dir', 1]] as const), { adj: 0.2 });
  spec.front = rng.pick(FRONT_ADVERBS);
  return statement(spec);
}

function numbers(rng: Rng): Built {
  const nums = NUMBER_DETS;
  const variant = rng.weighted([['object', 2], ['subject', 1], ['with', 1]] as const);
  if (variant === 'object') return statement(content(rng, 'trans', { objectDets: nums, adj: 0.3 }));
  if (variant === 'subject') {
    const spec = content(rng, rng.chance(0.5) ? 'loc' : 'manner', { adj: 0.1 });
    const sel = spec.verb?.subj as string;
    spec.subj = makeNp(rng, { sel, case: 'nom', dets: nums, countOnly: true, adj: 0.3 });
    return statement(spec);
  }
  const v = rng.pick(POOLS.with());
  const spec: ClauseSpec = { subj: makeSubject(rng, v.subj, { adj: 0.1 }), verb: v, tense: 'present' };
  spec.pps = [makePp(rng, 'mit:dat', { sel: v.with as string, dets: nums, countOnly: true, adj: 0.3 })];
  return statement(spec);
}

function possessive(rng: Rng): Built {
  const poss = POSSESSIVE_DETS;
  const variant = rng.weighted([['subject', 1], ['object', 1], ['dative', 1]] as const);
  const spec = content(rng, variant === 'dative' ? 'dat' : 'trans', {
    objectDets: variant === 'subject' ? undefined : poss, adj: 0.2,
  });
  if (variant === 'subject') {
    spec.subj = makeNp(rng, { sel: spec.verb?.subj as string, case: 'nom', dets: poss, adj: 0.2 });
  }
  return statement(spec);
}

export const SIMPLE_CONSTRUCTIONS: readonly Construction[] = [
  { id: 'transitive', description: 'subject, verb, accusative object; article and adjective agree in gender, case and number', build: (r) => statement(content(r, 'trans')) },
  { id: 'dative-object', description: 'verbs with a dative object (helfen, danken, folgen ...)', build: (r) => statement(content(r, 'dat')) },
  { id: 'ditransitive', description: 'dative recipient before accusative theme (gibt dem Kind einen Apfel)', build: (r) => statement(content(r, 'ditr', { adj: 0.2 })) },
  { id: 'location', description: 'location: in/auf/unter/neben/hinter/vor + dative (im Garten)', build: (r) => statement(content(r, 'loc')) },
  { id: 'direction', description: 'direction: in/durch + accusative (in den Garten)', build: (r) => statement(content(r, 'dir')) },
  { id: 'prepositional', description: 'mit + dative, für/ohne + accusative', build: prepositional },
  { id: 'adverb', description: 'manner, frequency and time adverbs', build: adverb },
  { id: 'fronted-adverb', description: 'adverb first, verb second, subject after the verb (inversion)', build: frontedAdverb },
  { id: 'predicate-adjective', description: 'sein + uninflected adjective (optionally sehr)', build: (r) => statement(content(r, 'copula')) },
  { id: 'separable', description: 'separable verbs: prefix at the end of the main clause', build: (r) => statement(content(r, r.chance(0.65) ? 'sepTrans' : 'sepIntr')) },
  { id: 'numbers', description: 'numbers with plural nouns and strong adjective endings', build: numbers },
  { id: 'possessive', description: 'possessive determiners (mein, dein, sein, ihr, unser)', build: possessive },
];
