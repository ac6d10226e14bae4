// The built-in EN↔DE corpus generator: determinism, splits, the held-out test scheme, lexicon size, and the
// German grammar checked by rule on samples of every construction. The declension and conjugation tables
// below are written out independently of src/data/generator (from a grammar book), so a wrong table there
// shows up as a mismatch here.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONSTRUCTIONS, Rng, describeHeldOut, generateCorpus, generateCorpusDetailed, lexiconCounts, lexiconProblems,
  sampleConstruction, type DetailedCorpus, type GeneratedItem,
} from '../../src/data/generator/index.ts';
import { ADJECTIVES, NOUNS, VERBS, findNoun, findVerb } from '../../src/data/generator/lexicon.ts';
import { npGerman } from '../../src/data/generator/phrases.ts';
import { presentForm } from '../../src/data/generator/german.ts';
import type { GermanClause, Slot } from '../../src/data/generator/clause.ts';
import type { NpInfo } from '../../src/data/generator/phrases.ts';
import type { Case, Noun, Person, Verb } from '../../src/data/generator/lexicon-types.ts';

// ---------- independent German tables (columns: masculine, feminine, neuter, plural) ----------
const COL = { m: 0, f: 1, n: 2 } as const;
const ARTICLES: Record<string, Record<Case, (string | null)[]>> = {
  der: { nom: ['der', 'die', 'das', 'die'], acc: ['den', 'die', 'das', 'die'], dat: ['dem', 'der', 'dem', 'den'] },
  dieser: { nom: ['dieser', 'diese', 'dieses', 'diese'], acc: ['diesen', 'diese', 'dieses', 'diese'], dat: ['diesem', 'dieser', 'diesem', 'diesen'] },
  ein: { nom: ['ein', 'eine', 'ein', null], acc: ['einen', 'eine', 'ein', null], dat: ['einem', 'einer', 'einem', null] },
  kein: { nom: ['kein', 'keine', 'kein', 'keine'], acc: ['keinen', 'keine', 'kein', 'keine'], dat: ['keinem', 'keiner', 'keinem', 'keinen'] },
};
const ENDINGS: Record<'weak' | 'mixed' | 'strong', Record<Case, string[]>> = {
  weak: { nom: ['e', 'e', 'e', 'en'], acc: ['en', 'e', 'e', 'en'], dat: ['en', 'en', 'en', 'en'] },
  mixed: { nom: ['er', 'e', 'es', 'en'], acc: ['en', 'e', 'es', 'en'], dat: ['en', 'en', 'en', 'en'] },
  strong: { nom: ['er', 'e', 'es', 'e'], acc: ['en', 'e', 'es', 'e'], dat: ['em', 'er', 'em', 'en'] },
};
const PREP_CASE: Record<string, Case> = {
  mit: 'dat', für: 'acc', ohne: 'acc', auf: 'dat', unter: 'dat', neben: 'dat', hinter: 'dat', vor: 'dat', durch: 'acc',
};
/** Verbs of motion: "in" + accusative (direction); with any other verb "in" takes the dative (location). */
const MOTION = new Set(['gehen', 'laufen', 'kommen', 'fliegen', 'springen', 'fallen', 'fahren', 'wandern']);
const DATIVE_VERBS = new Set(['helfen', 'danken', 'antworten', 'folgen', 'gratulieren', 'winken', 'vertrauen', 'gehören', 'zuhören']);
const DITRANSITIVE = new Set(['geben', 'zeigen', 'schicken', 'bringen', 'erzählen', 'leihen', 'kaufen', 'verkaufen']);
const SEIN_PERFECT = new Set(['gehen', 'kommen', 'laufen', 'fahren', 'fliegen', 'springen', 'fallen', 'wandern', 'reisen',
  'schwimmen', 'folgen', 'einschlafen', 'ankommen', 'abfahren']);
const PERSONS: Person[] = ['1sg', '2sg', '3sg', '1pl', '3pl'];
const FULL: Record<string, string[]> = {
  sein: ['bin', 'bist', 'ist', 'sind', 'sind'], haben: ['habe', 'hast', 'hat', 'haben', 'haben'],
  können: ['kann', 'kannst', 'kann', 'können', 'können'], wollen: ['will', 'willst', 'will', 'wollen', 'wollen'],
  müssen: ['muss', 'musst', 'muss', 'müssen', 'müssen'], dürfen: ['darf', 'darfst', 'darf', 'dürfen', 'dürfen'],
  sollen: ['soll', 'sollst', 'soll', 'sollen', 'sollen'], wissen: ['weiß', 'weißt', 'weiß', 'wissen', 'wissen'],
  mögen: ['mag', 'magst', 'mag', 'mögen', 'mögen'],
};
const PRONOUN_PERSON: Record<string, Person[]> = {
  ich: ['1sg'], du: ['2sg'], er: ['3sg'], sie: ['3sg', '3pl'], wir: ['1pl'], Sie: ['3pl'],
};

/** Present tense of a lexical verb's base, by rule (the lexicon supplies only irregular du/er forms). */
function conjugate(v: Verb, p: Person): string {
  const full = FULL[v.base];
  if (full) return full[PERSONS.indexOf(p)];
  if (p === '1pl' || p === '3pl') return v.base;
  const stem = v.base.endsWith('ern') ? v.base.slice(0, -1) : v.base.slice(0, -2);
  if (p === '1sg') return stem + 'e';
  if (v.irregular) return v.irregular[p === '2sg' ? 0 : 1];
  const linkingE = /[td]$/.test(stem) || ['öffn', 'zeichn'].includes(stem);
  if (linkingE) return stem + (p === '2sg' ? 'est' : 'et');
  if (p === '2sg' && /(s|ß|z)$/.test(stem)) return stem + 't';
  return stem + (p === '2sg' ? 'st' : 't');
}

function nounWord(n: Noun, num: 'sg' | 'pl', c: Case): string {
  if (num === 'sg') return n.weak && c !== 'nom' ? (n.plural as string) : n.de;
  const pl = n.plural as string;
  return c === 'dat' && !pl.endsWith('n') && !pl.endsWith('s') ? pl + 'n' : pl;
}

/** The NP words a grammar book gives for this choice of determiner, adjective, noun, number and case. */
function expectedNp(info: NpInfo, c: Case): string[] {
  const col = info.num === 'pl' ? 3 : COL[info.noun.gender];
  const out: string[] = [];
  let endings: 'weak' | 'mixed' | 'strong' = 'strong';
  if (info.det === 'def' || info.det === 'dem') {
    out.push(ARTICLES[info.det === 'def' ? 'der' : 'dieser'][c][col] as string);
    endings = 'weak';
  } else if (info.det === 'indef' || info.det === 'kein' || info.det === 'poss') {
    const kein = ARTICLES.kein[c][col] as string;
    const form = info.det === 'indef' ? ARTICLES.ein[c][col] : info.det === 'kein' ? kein : info.detStem + kein.slice(4);
    if (form === null) throw new Error('ein in the plural');
    out.push(form);
    endings = 'mixed';
  } else if (info.det === 'num') {
    out.push(info.detStem);
  }
  if (info.adj) out.push(info.adj.de.replace(/e$/, '') + ENDINGS[endings][c][col]);
  out.push(nounWord(info.noun, info.num, c));
  return out;
}

// ---------- rule checks on an analysed sentence ----------
function slotCase(slot: Slot, clause: GermanClause): Case {
  if (slot.role === 'subj') return 'nom';
  if (slot.role === 'acc' || slot.role === 'dat') return slot.role;
  const prep = slot.words[0] === 'im' || slot.words[0] === 'ins' ? 'in' : slot.words[0];
  if (prep === 'in') return MOTION.has(clause.verb) ? 'acc' : 'dat';
  return PREP_CASE[prep];
}

function checkNp(slot: Slot, clause: GermanClause): void {
  const info = slot.np as NpInfo;
  const c = slotCase(slot, clause);
  let expected = expectedNp(info, c);
  if (slot.role === 'pp') {
    const prep = slot.prep?.de as string;
    const contracted = prep === 'in' && info.det === 'def' && (expected[0] === 'dem' || expected[0] === 'das');
    expected = contracted ? [expected[0] === 'dem' ? 'im' : 'ins', ...expected.slice(1)] : [prep, ...expected];
  }
  expect(slot.words, `${slot.role} in "${slot.words.join(' ')}"`).toEqual(expected);
}

function subjectPerson(clause: GermanClause): Person {
  const subj = clause.slots.find((s) => s.role === 'subj') as Slot;
  if (subj.np) return subj.np.num === 'pl' ? '3pl' : '3sg';
  const allowed = PRONOUN_PERSON[subj.words[0]];
  expect(allowed, `pronoun ${subj.words[0]}`).toContain(subj.person);
  return subj.person as Person;
}

function checkVerbs(clause: GermanClause): void {
  const p = subjectPerson(clause);
  const fin = clause.slots.find((s) => s.role === 'fin') as Slot;
  const nonfin = clause.slots.find((s) => s.role === 'nonfin');
  const lemma = fin.lemma as string;
  if (clause.verb === 'sein') {
    expect(fin.words).toEqual([FULL.sein[PERSONS.indexOf(p)]]);
    return;
  }
  const v = findVerb(clause.verb);
  if (clause.tense === 'perfect') {
    expect(lemma).toBe(SEIN_PERFECT.has(v.de) ? 'sein' : 'haben');
    expect(nonfin?.words).toEqual([v.participle]);
    expect(v.participle).toMatch(/^(\p{L}*ge\p{L}+(t|en)|(be|ver|er|um)\p{L}+(t|en)|\p{L}+iert)$/u);
  } else if (clause.tense === 'modal') {
    expect(nonfin?.words).toEqual([v.de]);
  }
  const expected = lemma === clause.verb
    ? (clause.type === 'imperative' ? v.base : conjugate(v, p))
    : FULL[lemma][PERSONS.indexOf(p)];
  const joined = clause.type === 'sub' && lemma === clause.verb ? v.prefix + expected : expected;
  expect(fin.words, `finite verb of ${clause.verb}`).toEqual([joined]);
}

function checkOrder(clause: GermanClause): void {
  const roles = clause.slots.map((s) => s.role);
  const last = roles[roles.length - 1];
  const hasRight = roles.includes('nonfin') || roles.includes('prefix');
  if (clause.type === 'sub') {
    expect(['weil', 'dass', 'wenn']).toContain(clause.slots[0].words[0]);
    expect(last, 'verb last in a subordinate clause').toBe('fin');
    expect(roles).not.toContain('prefix');
    if (roles.includes('nonfin')) expect(roles[roles.length - 2]).toBe('nonfin');
    return;
  }
  const r = roles[0] === 'conj' ? roles.slice(1) : roles;
  if (clause.type === 'main') {
    expect(r[1], 'verb second in a main clause').toBe('fin');
    expect(['subj', 'front', 'sub']).toContain(r[0]);
    if (r[0] !== 'subj') expect(r[2], 'inversion after a fronted constituent').toBe('subj');
  } else {
    expect(r[0], 'verb first').toBe('fin');
    expect(r[1]).toBe('subj');
    if (clause.type === 'imperative') expect(clause.slots[1].words).toEqual(['Sie']);
  }
  if (hasRight) expect(['nonfin', 'prefix'], 'participle / infinitive / prefix last').toContain(last);
  expect(roles.filter((x) => x === 'nonfin' || x === 'prefix').length).toBeLessThanOrEqual(1);
}

function checkObjects(clause: GermanClause): void {
  if (clause.verb === 'sein') return;
  const roles = clause.slots.map((s) => s.role);
  if (DATIVE_VERBS.has(clause.verb)) expect(roles).not.toContain('acc');
  else if (!DITRANSITIVE.has(clause.verb)) expect(roles).not.toContain('dat');
  if (roles.includes('dat') && roles.includes('acc')) expect(roles.indexOf('dat')).toBeLessThan(roles.indexOf('acc'));
}

/** nicht only with definite objects / PPs (kein replaces "nicht ein"); nicht after objects, before PP and predicate. */
function checkNegation(clause: GermanClause): void {
  const roles = clause.slots.map((s) => s.role);
  const neg = roles.indexOf('neg');
  const nps = clause.slots.filter((s) => s.np && s.role !== 'subj').map((s) => s.np as NpInfo);
  if (neg >= 0) {
    for (const np of nps) expect(['def', 'dem', 'poss'], 'nicht with a definite phrase').toContain(np.det);
    for (const [i, role] of roles.entries()) {
      if (role === 'acc' || role === 'dat') expect(i).toBeLessThan(neg);
      if (role === 'pp' || role === 'pred' || role === 'nonfin' || role === 'prefix') expect(i).toBeGreaterThan(neg);
    }
  }
  if (nps.some((np) => np.det === 'kein')) expect(neg).toBe(-1);
}

function words(sentence: string): string[] {
  return sentence.replace(/[,.?!]/g, ' ').split(' ').filter((w) => w !== '');
}

function checkSurface(item: GeneratedItem): void {
  const top = item.clauses.filter((c) => !c.embedded).flatMap((c) => c.slots.flatMap((s) => s.words));
  const w = words(item.de);
  expect(w[0]).toBe(top[0].charAt(0).toUpperCase() + top[0].slice(1));
  expect(w.slice(1)).toEqual(top.slice(1));
  for (const c of item.clauses) {
    const sub = c.slots.find((s) => s.role === 'sub');
    const emb = item.clauses.find((x) => x.embedded);
    if (sub) expect(sub.words).toEqual(emb?.slots.flatMap((s) => s.words));
  }
  const end = item.clauses.some((c) => c.type === 'question') ? '?' : item.clauses.some((c) => c.type === 'imperative') ? '!' : '.';
  expect(item.de.endsWith(end) && item.en.endsWith(end)).toBe(true);
  for (const conj of ['weil', 'dass', 'wenn']) {
    if (w.includes(conj) && w[0].toLowerCase() !== conj) expect(item.de).toContain(`, ${conj} `);
  }
  if (w.includes('aber')) expect(item.de).toContain(', aber ');
  expect(w.length).toBeGreaterThanOrEqual(4);
  expect(w.length).toBeLessThanOrEqual(16);
}

const POSS_EN: Record<string, string> = { mein: 'my', dein: 'your', sein: 'his', ihr: 'her', unser: 'our' };
const NUM_EN: Record<string, string> = {
  zwei: 'two', drei: 'three', vier: 'four', fünf: 'five', sechs: 'six', sieben: 'seven', acht: 'eight', neun: 'nine',
  zehn: 'ten', elf: 'eleven', zwölf: 'twelve',
};

/** The English NP that must appear in the translation. */
function englishNp(np: NpInfo): string {
  const noun = np.num === 'pl' ? np.noun.enPlural : np.noun.en;
  const core = np.adj ? `${np.adj.en} ${noun}` : `${noun}`;
  const a = /^[aeiou]/.test(core) ? 'an' : 'a';
  const mass = np.noun.plural === null;
  switch (np.det) {
    case 'def': return `the ${core}`;
    case 'indef': return `${a} ${core}`;
    case 'kein': return np.num === 'sg' && !mass ? `${a} ${core}` : core;
    case 'dem': return `${np.num === 'pl' ? 'these' : 'this'} ${core}`;
    case 'poss': return `${POSS_EN[np.detStem]} ${core}`;
    case 'num': return `${NUM_EN[np.detStem]} ${core}`;
    case 'zero': return core;
  }
}

function checkEnglish(item: GeneratedItem): void {
  const en = ` ${item.en.replace(/[,.?!]/g, ' ').toLowerCase()} `;
  expect(item.en.charAt(0)).toBe(item.en.charAt(0).toUpperCase());
  for (const c of item.clauses) {
    for (const s of c.slots) if (s.np) expect(en, `English for ${s.words.join(' ')}`).toContain(` ${englishNp(s.np).toLowerCase()} `);
  }
  const tokens = en.trim().split(/\s+/);
  for (const [i, t] of tokens.entries()) {
    if (t === 'a' || t === 'an') expect(t, `article before ${tokens[i + 1]}`).toBe(/^[aeiou]/.test(tokens[i + 1]) ? 'an' : 'a');
  }
  const germanNeg = /\b(nicht|kein\w*)\b/.test(item.de);
  expect(/ not |cannot/.test(en), 'negated in both languages').toBe(germanNeg);
  if (item.de.endsWith('?')) expect(tokens[0]).toMatch(/^(do|does|is|are|am|has|have|can|should)$/);
}

const MODAL_EN: Record<string, string> = { können: 'can', müssen: 'must', dürfen: 'may', sollen: 'should' };

/** The English verb group of a one-clause sentence: tense, do-support, negation and agreement. */
function checkEnglishVerb(item: GeneratedItem): void {
  const c = item.clauses[0];
  if (item.clauses.length !== 1) return;
  const p = subjectPerson(c);
  const s3 = p === '3sg';
  const neg = /\b(nicht|kein\w*)\b/.test(item.de) ? ' not' : '';
  const fin = c.slots.find((s) => s.role === 'fin')?.lemma as string;
  const en = item.en.replace(/[,.?!]/g, '');
  const q = c.type === 'question';
  const be = p === '1sg' ? 'am' : s3 ? 'is' : 'are';
  if (c.verb === 'sein') {
    expect(en).toMatch(q ? new RegExp(`^${be} `, 'i') : new RegExp(` ${be}${neg} `));
    return;
  }
  const v = findVerb(c.verb);
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  let group: string;
  if (c.type === 'imperative') group = `^(Please ${v.en[0]}|${cap(v.en[0])}) `;
  else if (c.tense === 'perfect') group = q ? `^${s3 ? 'Has' : 'Have'} .* ${v.en[2]} ` : ` ${s3 ? 'has' : 'have'}${neg} ${v.en[2]} `;
  else if (c.tense === 'modal' && fin === 'wollen') group = q ? `^${s3 ? 'Does' : 'Do'} .* want to ${v.en[0]} ` : ` ${s3 ? 'wants' : 'want'} to ${v.en[0]} `;
  else if (c.tense === 'modal') group = q ? `^${cap(MODAL_EN[fin])} .* ${v.en[0]} ` : ` ${MODAL_EN[fin]} ${v.en[0]} `;
  else if (q) group = `^${s3 ? 'Does' : 'Do'} .* ${v.en[0]} `;
  else if (neg) group = ` ${s3 ? 'does' : 'do'} not ${v.en[0]} `;
  else group = ` (often |sometimes |always |rarely |usually )?${s3 ? v.en[1] : v.en[0]} `;
  const hay = q || c.type === 'imperative' ? `${en} ` : ` ${en} `;
  expect(hay, 'English verb group').toMatch(new RegExp(group));
}

function combos(item: GeneratedItem): string[] {
  const out = [`cx:${item.construction}+${item.head}`];
  for (const c of item.clauses) {
    const subj = c.slots.find((s) => s.role === 'subj')?.np;
    for (const s of c.slots) {
      if (s.np?.adj) out.push(`an:${s.np.adj.de}+${s.np.noun.de}`);
      if ((s.role === 'acc' || s.role === 'dat') && s.np) out.push(`vo:${c.verb}+${s.np.noun.de}`);
      if (s.role === 'pred' && subj) out.push(`an:${s.words[s.words.length - 1]}+${subj.noun.de}`);
    }
  }
  return out;
}

// ---------- tests ----------
describe('generator lexicon and morphology', () => {
  it('has >= 300 entries, consistent selectors and unambiguous English glosses', () => {
    const counts = lexiconCounts();
    expect(counts.total).toBeGreaterThanOrEqual(300);
    expect(counts.nouns).toBeGreaterThanOrEqual(150);
    expect(counts.verbs).toBeGreaterThanOrEqual(60);
    expect(counts.adjectives).toBeGreaterThanOrEqual(40);
    expect(lexiconProblems()).toEqual([]);
    const dup = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
    expect(dup(NOUNS.map((n) => n.en))).toEqual([]);
    expect(dup(ADJECTIVES.map((a) => a.en))).toEqual([]);
    expect(dup(VERBS.map((v) => v.en[0]))).toEqual(['know']); // kennen + NP, wissen + dass: told apart by the object
  });

  it('conjugates by the textbook', () => {
    const forms = (de: string) => PERSONS.map((p) => findVerb(de).prefix + presentForm(findVerb(de).base, findVerb(de).irregular, p));
    expect(forms('arbeiten')).toEqual(['arbeite', 'arbeitest', 'arbeitet', 'arbeiten', 'arbeiten']);
    expect(forms('öffnen')).toEqual(['öffne', 'öffnest', 'öffnet', 'öffnen', 'öffnen']);
    expect(forms('tanzen')).toEqual(['tanze', 'tanzt', 'tanzt', 'tanzen', 'tanzen']);
    expect(forms('füttern')).toEqual(['füttere', 'fütterst', 'füttert', 'füttern', 'füttern']);
    expect(forms('lesen')).toEqual(['lese', 'liest', 'liest', 'lesen', 'lesen']);
    expect(forms('halten')).toEqual(['halte', 'hältst', 'hält', 'halten', 'halten']);
    expect(forms('einladen')).toEqual(['einlade', 'einlädst', 'einlädt', 'einladen', 'einladen']);
    expect(forms('wissen')).toEqual(['weiß', 'weißt', 'weiß', 'wissen', 'wissen']);
    expect(forms('wohnen')).toEqual(['wohne', 'wohnst', 'wohnt', 'wohnen', 'wohnen']);
    expect(forms('umarmen')).toEqual(['umarme', 'umarmst', 'umarmt', 'umarmen', 'umarmen']);
    for (const v of VERBS) for (const p of PERSONS) expect(presentForm(v.base, v.irregular, p)).toBe(conjugate(v, p));
  });

  it('declines noun phrases by the textbook', () => {
    const np = (det: NpInfo['det'], noun: string, num: 'sg' | 'pl', c: Case, adj?: string, detStem = '') =>
      npGerman({ det, detStem, noun: findNoun(noun), num, case: c, adj: adj ? ADJECTIVES.find((a) => a.de === adj) ?? null : null }).join(' ');
    expect(np('def', 'Junge', 'sg', 'acc', 'alt')).toBe('den alten Jungen');
    expect(np('indef', 'Buch', 'sg', 'nom', 'neu')).toBe('ein neues Buch');
    expect(np('kein', 'Apfel', 'pl', 'acc', 'rot')).toBe('keine roten Äpfel');
    expect(np('zero', 'Wasser', 'sg', 'acc', 'kalt')).toBe('kaltes Wasser');
    expect(np('num', 'Hund', 'pl', 'dat', 'klein', 'drei')).toBe('drei kleinen Hunden');
    expect(np('poss', 'Mutter', 'sg', 'dat', 'müde', 'unser')).toBe('unserer müden Mutter');
    expect(np('dem', 'Kind', 'pl', 'dat')).toBe('diesen Kindern');
    expect(np('indef', 'Mann', 'sg', 'nom', 'müde')).toBe('ein müder Mann');
    expect(np('zero', 'Auto', 'pl', 'dat')).toBe('Autos');
    expect(np('def', 'Bär', 'sg', 'dat', 'braun')).toBe('dem braunen Bären');
    for (const noun of NOUNS) {
      for (const c of ['nom', 'acc', 'dat'] as const) {
        const dets = noun.plural === null ? (['def', 'zero'] as const) : (['def', 'indef', 'kein'] as const);
        for (const det of dets) {
          const info: NpInfo = { det, detStem: '', noun, num: 'sg', case: c, adj: ADJECTIVES[0] };
          expect(npGerman(info)).toEqual(expectedNp(info, c));
        }
        if (noun.plural !== null) {
          const info: NpInfo = { det: 'zero', detStem: '', noun, num: 'pl', case: c, adj: ADJECTIVES[1] };
          expect(npGerman(info)).toEqual(expectedNp(info, c));
        }
      }
    }
  });
});

describe('generator constructions, checked by rule', () => {
  it('offers at least 12 constructions', () => {
    expect(CONSTRUCTIONS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(CONSTRUCTIONS).size).toBe(CONSTRUCTIONS.length);
  });

  for (const id of CONSTRUCTIONS) {
    it(`${id}: word order, agreement, case, negation and English`, () => {
      const rng = new Rng(1000 + CONSTRUCTIONS.indexOf(id));
      for (let i = 0; i < 150; i++) {
        const item = sampleConstruction(rng, id);
        try {
          checkSurface(item);
          for (const clause of item.clauses) {
            checkOrder(clause);
            checkVerbs(clause);
            checkObjects(clause);
            checkNegation(clause);
            for (const slot of clause.slots) if (slot.np) checkNp(slot, clause);
          }
          checkEnglish(item);
          checkEnglishVerb(item);
        } catch (err) {
          throw new Error(`${id}: "${item.de}" / "${item.en}": ${(err as Error).message}`, { cause: err });
        }
      }
    });
  }

  it('uses kein exactly where the object is indefinite or has no article', () => {
    const rng = new Rng(77);
    for (let i = 0; i < 200; i++) {
      const item = sampleConstruction(rng, 'negation-kein');
      const objects = item.clauses[0].slots.filter((s) => s.role === 'acc');
      expect(objects.map((s) => s.np?.det)).toEqual(['kein']);
      expect(item.en).not.toMatch(/not \w+ (the|this|these|my|your|his|her|our) /);
    }
  });
});

describe('golden sentences (seed 2024, read and checked by hand)', () => {
  const GOLDEN: [string, string, string][] = [
    ['transitive', 'Der Käfer weckt den Polizisten.', 'The beetle wakes the police officer.'],
    ['dative-object', 'Die müden Tanten gratulieren einem Lehrer.', 'The tired aunts congratulate a teacher.'],
    ['ditransitive', 'Die Mutter leiht der Tochter ein Buch.', 'The mother lends the daughter a book.'],
    ['location', 'Er spielt im Laden.', 'He plays in the shop.'],
    ['direction', 'Eine Großmutter wandert durch Wälder.', 'A grandmother hikes through forests.'],
    ['prepositional', 'Berühmte Kinder essen ohne einen Gast.', 'Famous children eat without a guest.'],
    ['adverb', 'Die Söhne halten jeden Tag den Stift.', 'The sons hold the pen every day.'],
    ['fronted-adverb', 'Manchmal wohnt die junge Frau in diesen alten Städten.', 'Sometimes the young woman lives in these old cities.'],
    ['predicate-adjective', 'Ein kranker Pilot ist neugierig.', 'A sick pilot is curious.'],
    ['separable', 'Ein kranker Großvater zieht die Kleider aus.', 'A sick grandfather takes off the dresses.'],
    ['numbers', 'Zwölf Brüder sprechen laut.', 'Twelve brothers speak loudly.'],
    ['possessive', 'Der Delfin folgt ihren Studenten.', 'The dolphin follows her students.'],
    ['negation-nicht', 'Die müden Studenten waschen den kleinen Schuh nicht.', 'The tired students do not wash the small shoe.'],
    ['negation-kein', 'Sie besuchen keinen guten Studenten.', 'They do not visit a good student.'],
    ['question', 'Wecken gute Kellner ein Kind?', 'Do good waiters wake a child?'],
    ['perfect', 'Die Maler haben die Touristen abgeholt.', 'The painters have picked up the tourists.'],
    ['modal', 'Wir wollen einer Tochter helfen.', 'We want to help a daughter.'],
    ['subordinate', 'Wir hoffen, dass die Schwester laut weint.', 'We hope that the sister cries loudly.'],
    ['fronted-subordinate', 'Wenn sie die Suppe kochen wollen, träumen diese Schweine viel.', 'When they want to cook the soup, these pigs dream a lot.'],
    ['imperative', 'Erzählen Sie bitte die kurzen Geschichten!', 'Please tell the short stories!'],
    ['coordination', 'Ein starker Prinz ist lustig und der Arzt hält diesen Hasen.', 'A strong prince is funny and the doctor holds this hare.'],
  ];

  it('one sentence per construction', () => {
    const rng = new Rng(2024);
    const got = CONSTRUCTIONS.map((id) => {
      const it = sampleConstruction(rng, id);
      return [id, it.de, it.en];
    });
    expect(got).toEqual(GOLDEN);
  });

  it('the start of a small corpus', () => {
    const c = generateCorpus({ seed: 1, train: 4, dev: 2, test: 2 });
    expect(c.train.map((p) => [p.src, p.tgt])).toEqual([
      ['Follow the polite guest!', 'Folgen Sie dem höflichen Gast!'],
      ['We do not have ugly shoes.', 'Wir haben keine hässlichen Schuhe.'],
      ['She is very famous.', 'Sie ist sehr berühmt.'],
      ['Our driver does not greet bakers.', 'Unser Fahrer begrüßt keine Bäcker.'],
    ]);
    expect(c.dev.map((p) => p.tgt)).toEqual(['Die berühmte Großmutter tanzt in einem Kino.', 'Sie hört jeden Tag Schüler.']);
    expect(c.test.map((p) => [p.src, p.tgt])).toEqual([
      ['He does not forget her dirty computer.', 'Er vergisst ihren schmutzigen Computer nicht.'],
      ['Every day a waiter repairs the roof.', 'Jeden Tag repariert ein Kellner das Dach.'],
    ]);
  });
});

describe('built-in corpus', () => {
  let corpus: DetailedCorpus;
  beforeAll(() => {
    corpus = generateCorpusDetailed({ seed: 1 });
  });

  it('has the default split sizes and every construction in training', () => {
    expect([corpus.train.length, corpus.dev.length, corpus.test.length]).toEqual([20_000, 1_000, 1_000]);
    const seen = new Set(corpus.train.map((x) => x.construction));
    for (const id of CONSTRUCTIONS) expect(seen.has(id), id).toBe(true);
  });

  it('has no pair twice, within or across splits', () => {
    const all = [...corpus.train, ...corpus.dev, ...corpus.test];
    expect(new Set(all.map((x) => x.de)).size).toBe(all.length);
    expect(new Set(all.map((x) => x.en)).size).toBe(all.length);
  });

  it('puts a held-out combination in every test pair and none in train or dev', () => {
    const held = new Set(corpus.heldOutCombos);
    for (const x of corpus.test) expect(combos(x).some((c) => held.has(c)), x.de).toBe(true);
    for (const x of [...corpus.train, ...corpus.dev]) expect(combos(x).filter((c) => held.has(c)), x.de).toEqual([]);
    expect(corpus.heldOut).toBe(describeHeldOut(1));
    expect(corpus.heldOut).toMatch(/adjective\+noun.*verb\+object.*construction/);
  });

  it('keeps each word of the held-out combinations in training', () => {
    const lemmas = new Set<string>();
    for (const x of corpus.train) {
      lemmas.add(x.head);
      for (const c of x.clauses) {
        lemmas.add(c.verb);
        for (const s of c.slots) {
          if (s.np) lemmas.add(s.np.noun.de);
          if (s.np?.adj) lemmas.add(s.np.adj.de);
          if (s.role === 'pred') lemmas.add(s.words[s.words.length - 1]);
        }
      }
    }
    const held = new Set(corpus.heldOutCombos);
    for (const x of corpus.test) {
      for (const c of combos(x).filter((k) => held.has(k))) {
        const parts = c.slice(3).split('+');
        const words = c.startsWith('cx:') ? parts.slice(1) : parts;
        for (const w of words) expect(lemmas.has(w), `${w} of ${c}`).toBe(true);
      }
    }
    const trainWords = new Set(corpus.train.flatMap((x) => words(x.de.toLowerCase())));
    const testWords = [...new Set(corpus.test.flatMap((x) => words(x.de.toLowerCase())))];
    const missing = testWords.filter((w) => !trainWords.has(w));
    expect(missing.length / testWords.length).toBeLessThan(0.02);
  });

  it('is deterministic for a seed, configurable, and swaps direction', () => {
    const opts = { seed: 5, train: 300, dev: 40, test: 30 };
    const a = generateCorpus(opts), b = generateCorpus(opts);
    expect(a).toEqual(b);
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([300, 40, 30]);
    expect(generateCorpus({ ...opts, seed: 6 }).train).not.toEqual(a.train);
    const r = generateCorpus({ ...opts, direction: 'de-en' });
    expect(r.train.map((p) => [p.tgt, p.src, p.construction])).toEqual(a.train.map((p) => [p.src, p.tgt, p.construction]));
    expect(a.train[0].src).toMatch(/^[A-Z]/);
    expect(() => generateCorpus({ seed: 1, train: -1 })).toThrow(/split sizes/);
  });

  it('generates the default 20,000 / 1,000 / 1,000 splits', () => {
    const c = generateCorpus({ seed: 9 });
    expect([c.train.length, c.dev.length, c.test.length]).toEqual([20000, 1000, 1000]);
  });
});
