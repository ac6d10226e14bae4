// The generator's verbs with their frames (which objects, prepositions and adverbs they take) and the
// modal verbs. Present-tense forms are computed by rule in german.ts; irregular du/er forms (or the
// whole ich/du/er/wir set) are listed here, as are all participles and the perfect auxiliary.
// Verbs whose perfect auxiliary varies by region (sitzen, liegen, stehen) are never put in the perfect.

import type { Modal, PrepFrame, Verb } from './lexicon-types.ts';

/** Default selectors of the location / direction prepositions. */
const PREP_DEFAULT: Record<string, string> = {
  in: '#inside', auf: '#surface', unter: '#cover', neben: '#landmark', hinter: '#landmark', vor: '#landmark',
  durch: '#area',
};
const LOC_ALL = 'in auf unter neben hinter vor';

interface Frames {
  irr?: string;
  subj?: string;
  acc?: string;
  dat?: string;
  /** 'recipient selector|theme selector' */
  ditr?: string;
  intr?: string;
  loc?: string;
  dir?: string;
  with?: string;
  inst?: string;
  fuer?: boolean;
  modal?: boolean;
  imp?: boolean;
  matrix?: boolean;
}

function prepFrames(spec: string | undefined, dirDefaults: boolean): PrepFrame[] | undefined {
  if (spec === undefined) return undefined;
  return spec.split(' ').map((part) => {
    const [prep, sel] = part.split(':');
    const fallback = dirDefaults && prep === 'in' ? '#enter' : PREP_DEFAULT[prep];
    return { prep, sel: sel ?? fallback };
  });
}

/** verb('an|rufen', 'angerufen', 'h' | 's' | '-', 'phone/phones/phoned', frames) */
function verb(de: string, participle: string, aux: 'h' | 's' | '-', en: string, f: Frames): Verb {
  const [prefix, base] = de.includes('|') ? de.split('|') : ['', de];
  const [enBase, en3, enPart] = en.split('/');
  const ditr = f.ditr?.split('|');
  return {
    de: prefix + base, prefix, base,
    irregular: f.irr ? f.irr.split(' ') : null,
    participle,
    aux: aux === 'h' ? 'haben' : aux === 's' ? 'sein' : null,
    en: [enBase, en3, enPart],
    subj: f.subj ?? 'person',
    acc: f.acc,
    dat: f.dat,
    ditr: ditr?.[0],
    ditrTheme: ditr?.[1],
    intr: f.intr,
    loc: prepFrames(f.loc, false),
    dir: prepFrames(f.dir, true),
    with: f.with,
    inst: f.inst,
    fuer: f.fuer,
    modal: f.modal ?? true,
    imperative: f.imp ?? true,
    matrix: f.matrix,
  };
}

const WITH = 'person animal';

export const VERBS: readonly Verb[] = [
  // Transitive (accusative object); some also ditransitive or with für / mit.
  verb('kaufen', 'gekauft', 'h', 'buy/buys/bought', { acc: 'thing food vehicle animal #grocery', ditr: 'person|thing food #grocery', fuer: true }),
  verb('verkaufen', 'verkauft', 'h', 'sell/sells/sold', { acc: 'thing food vehicle animal #grocery', ditr: 'person|thing vehicle animal' }),
  verb('lesen', 'gelesen', 'h', 'read/reads/read', { irr: 'liest liest', acc: '#read', intr: 'quality much place alone', loc: 'in' }),
  verb('schreiben', 'geschrieben', 'h', 'write/writes/written', { acc: '#write', intr: 'quality much', inst: '#writetool', fuer: true }),
  verb('essen', 'gegessen', 'h', 'eat/eats/eaten', { irr: 'isst isst', acc: 'food #food', intr: 'speed much alone', loc: 'in', inst: '#cutlery', with: 'person' }),
  verb('trinken', 'getrunken', 'h', 'drink/drinks/drunk', { subj: 'person animal', acc: '#drink' }),
  verb('kochen', 'gekocht', 'h', 'cook/cooks/cooked', { acc: '#cook', intr: 'quality', loc: 'in:#room', fuer: true }),
  verb('sehen', 'gesehen', 'h', 'see/sees/seen', { irr: 'siehst sieht', subj: 'person animal', acc: 'person animal thing vehicle fixture place food', imp: false }),
  verb('finden', 'gefunden', 'h', 'find/finds/found', { acc: 'thing animal #money' }),
  verb('suchen', 'gesucht', 'h', 'look for/looks for/looked for', { subj: 'person animal', acc: 'thing animal person #money' }),
  verb('brauchen', 'gebraucht', 'h', 'need/needs/needed', { acc: 'thing vehicle #money #grocery', imp: false }),
  verb('haben', 'gehabt', '-', 'have/has/had', { irr: 'habe hast hat haben', acc: 'thing animal vehicle #info #money', modal: false, imp: false }),
  verb('nehmen', 'genommen', 'h', 'take/takes/taken', { irr: 'nimmst nimmt', acc: 'thing food' }),
  verb('holen', 'geholt', 'h', 'fetch/fetches/fetched', { acc: 'thing food #grocery', fuer: true }),
  verb('tragen', 'getragen', 'h', 'carry/carries/carried', { irr: 'trägst trägt', acc: '#carry' }),
  verb('waschen', 'gewaschen', 'h', 'wash/washes/washed', { irr: 'wäschst wäscht', acc: '#wear #dish vehicle animal' }),
  verb('öffnen', 'geöffnet', 'h', 'open/opens/opened', { acc: '#open' }),
  verb('schließen', 'geschlossen', 'h', 'close/closes/closed', { acc: '#close' }),
  verb('malen', 'gemalt', 'h', 'paint/paints/painted', { acc: 'person animal vehicle #picture #plant #landmark', intr: 'quality', fuer: true }),
  verb('zeichnen', 'gezeichnet', 'h', 'draw/draws/drawn', { acc: 'person animal vehicle #picture #plant #landmark', intr: 'quality', inst: '#writetool', fuer: true }),
  verb('bauen', 'gebaut', 'h', 'build/builds/built', { acc: '#build', fuer: true }),
  verb('besuchen', 'besucht', 'h', 'visit/visits/visited', { acc: 'person #visit' }),
  verb('treffen', 'getroffen', 'h', 'meet/meets/met', { irr: 'triffst trifft', acc: 'person' }),
  verb('lieben', 'geliebt', 'h', 'love/loves/loved', { subj: 'person animal', acc: 'person animal', imp: false }),
  verb('mögen', 'gemocht', '-', 'like/likes/liked', { irr: 'mag magst mag mögen', subj: 'person animal', acc: 'person animal food #food #drink', modal: false, imp: false }),
  verb('kennen', 'gekannt', '-', 'know/knows/known', { acc: 'person #visit', modal: false, imp: false }),
  verb('fragen', 'gefragt', 'h', 'ask/asks/asked', { acc: 'person' }),
  verb('rufen', 'gerufen', 'h', 'call/calls/called', { acc: 'person animal' }),
  verb('hören', 'gehört', 'h', 'hear/hears/heard', { subj: 'person animal', acc: 'person animal', imp: false }),
  verb('verstehen', 'verstanden', 'h', 'understand/understands/understood', { acc: 'person info', imp: false }),
  verb('vergessen', 'vergessen', 'h', 'forget/forgets/forgotten', { irr: 'vergisst vergisst', acc: '#tool #carry #wear', imp: false }),
  verb('verlieren', 'verloren', 'h', 'lose/loses/lost', { acc: '#tool #carry #wear #money', imp: false }),
  verb('bringen', 'gebracht', 'h', 'bring/brings/brought', { acc: 'thing food #grocery', ditr: 'person|thing food #grocery' }),
  verb('geben', 'gegeben', 'h', 'give/gives/given', { irr: 'gibst gibt', ditr: 'person animal|thing food #grocery' }),
  verb('zeigen', 'gezeigt', 'h', 'show/shows/shown', { ditr: 'person|thing animal vehicle #picture' }),
  verb('schicken', 'geschickt', 'h', 'send/sends/sent', { acc: '#send', ditr: 'person|#send' }),
  verb('erzählen', 'erzählt', 'h', 'tell/tells/told', { acc: '#tell', ditr: 'person|#tell' }),
  verb('leihen', 'geliehen', 'h', 'lend/lends/lent', { ditr: 'person|#tool #carry vehicle' }),
  verb('spielen', 'gespielt', 'h', 'play/plays/played', { subj: 'person #play', acc: '#game', intr: 'place alone much', loc: LOC_ALL, with: WITH }),
  verb('singen', 'gesungen', 'h', 'sing/sings/sung', { acc: '#song', intr: 'quality volume', loc: 'in', fuer: true }),
  verb('fangen', 'gefangen', 'h', 'catch/catches/caught', { irr: 'fängst fängt', subj: 'person animal', acc: '#catch' }),
  verb('füttern', 'gefüttert', 'h', 'feed/feeds/fed', { acc: 'animal' }),
  verb('putzen', 'geputzt', 'h', 'clean/cleans/cleaned', { acc: '#clean vehicle' }),
  verb('reparieren', 'repariert', 'h', 'repair/repairs/repaired', { acc: '#fix vehicle' }),
  verb('benutzen', 'benutzt', 'h', 'use/uses/used', { acc: '#tool' }),
  verb('verstecken', 'versteckt', 'h', 'hide/hides/hidden', { acc: 'thing food' }),
  verb('werfen', 'geworfen', 'h', 'throw/throws/thrown', { irr: 'wirfst wirft', acc: '#throw' }),
  verb('halten', 'gehalten', 'h', 'hold/holds/held', { irr: 'hältst hält', acc: '#carry #tool animal' }),
  verb('schneiden', 'geschnitten', 'h', 'cut/cuts/cut', { acc: '#cut', inst: '#knife' }),
  verb('riechen', 'gerochen', 'h', 'smell/smells/smelled', { subj: 'person animal', acc: 'food #food #plant' }),
  verb('bestellen', 'bestellt', 'h', 'order/orders/ordered', { acc: 'food #food #drink', fuer: true }),
  verb('probieren', 'probiert', 'h', 'try/tries/tried', { acc: 'food #food #drink' }),
  verb('beobachten', 'beobachtet', 'h', 'watch/watches/watched', { subj: 'person animal', acc: 'person animal' }),
  verb('fotografieren', 'fotografiert', 'h', 'photograph/photographs/photographed', { acc: 'person animal vehicle #landmark #plant #visit' }),
  verb('umarmen', 'umarmt', 'h', 'hug/hugs/hugged', { acc: 'person' }),
  verb('küssen', 'geküsst', 'h', 'kiss/kisses/kissed', { acc: 'person' }),
  verb('lernen', 'gelernt', 'h', 'learn/learns/learned', { acc: '#song', intr: 'quality much' }),
  verb('begrüßen', 'begrüßt', 'h', 'greet/greets/greeted', { acc: 'person' }),
  verb('wecken', 'geweckt', 'h', 'wake/wakes/woken', { subj: 'person animal', acc: 'person animal' }),
  verb('schieben', 'geschoben', 'h', 'push/pushes/pushed', { acc: '#push' }),
  verb('füllen', 'gefüllt', 'h', 'fill/fills/filled', { acc: '#container' }),
  // Separable verbs: the prefix goes to the end of a main clause and joins the verb in a subordinate clause.
  verb('an|rufen', 'angerufen', 'h', 'phone/phones/phoned', { acc: 'person' }),
  verb('ab|holen', 'abgeholt', 'h', 'pick up/picks up/picked up', { acc: 'person #carry' }),
  verb('ein|laden', 'eingeladen', 'h', 'invite/invites/invited', { irr: 'lädst lädt', acc: 'person' }),
  verb('an|schauen', 'angeschaut', 'h', 'look at/looks at/looked at', { acc: 'person animal vehicle #picture #read #landmark' }),
  verb('auf|räumen', 'aufgeräumt', 'h', 'tidy up/tidies up/tidied up', { acc: '#room' }),
  verb('an|ziehen', 'angezogen', 'h', 'put on/puts on/put on', { acc: '#wear' }),
  verb('aus|ziehen', 'ausgezogen', 'h', 'take off/takes off/taken off', { acc: '#wear' }),
  verb('weg|werfen', 'weggeworfen', 'h', 'throw away/throws away/thrown away', { irr: 'wirfst wirft', acc: '#carry #tool #wear #read food' }),
  verb('zu|hören', 'zugehört', 'h', 'listen to/listens to/listened to', { dat: 'person #music' }),
  verb('ein|schlafen', 'eingeschlafen', 's', 'fall asleep/falls asleep/fallen asleep', { irr: 'schläfst schläft', subj: 'person animal', intr: 'speed', loc: 'in auf' }),
  verb('an|kommen', 'angekommen', 's', 'arrive/arrives/arrived', { subj: 'person #transport', intr: 'time', loc: 'in:#arrive' }),
  verb('ab|fahren', 'abgefahren', 's', 'depart/departs/departed', { irr: 'fährst fährt', subj: 'person #transport', intr: 'time' }),
  // Dative verbs.
  verb('helfen', 'geholfen', 'h', 'help/helps/helped', { irr: 'hilfst hilft', dat: 'person' }),
  verb('danken', 'gedankt', 'h', 'thank/thanks/thanked', { dat: 'person' }),
  verb('antworten', 'geantwortet', 'h', 'answer/answers/answered', { dat: 'person' }),
  verb('folgen', 'gefolgt', 's', 'follow/follows/followed', { subj: 'person animal', dat: 'person animal' }),
  verb('gratulieren', 'gratuliert', 'h', 'congratulate/congratulates/congratulated', { dat: 'person' }),
  verb('winken', 'gewinkt', 'h', 'wave to/waves to/waved to', { dat: 'person' }),
  verb('vertrauen', 'vertraut', 'h', 'trust/trusts/trusted', { subj: 'person animal', dat: 'person' }),
  verb('gehören', 'gehört', '-', 'belong to/belongs to/belonged to', { subj: 'thing animal vehicle', dat: 'person', modal: false, imp: false }),
  // Intransitive verbs, with locations, directions and companions.
  verb('schlafen', 'geschlafen', 'h', 'sleep/sleeps/slept', { irr: 'schläfst schläft', subj: 'person animal', intr: 'quality place much', loc: LOC_ALL }),
  verb('lachen', 'gelacht', 'h', 'laugh/laughs/laughed', { intr: 'volume much' }),
  verb('weinen', 'geweint', 'h', 'cry/cries/cried', { intr: 'volume much alone' }),
  verb('arbeiten', 'gearbeitet', 'h', 'work/works/worked', { intr: 'quality much alone place', loc: 'in', with: 'person' }),
  verb('tanzen', 'getanzt', 'h', 'dance/dances/danced', { intr: 'quality', loc: 'in', with: 'person' }),
  verb('warten', 'gewartet', 'h', 'wait/waits/waited', { subj: 'person animal', intr: 'place alone', loc: 'in neben hinter vor' }),
  verb('bellen', 'gebellt', 'h', 'bark/barks/barked', { subj: '#bark', intr: 'volume much' }),
  verb('träumen', 'geträumt', 'h', 'dream/dreams/dreamed', { subj: 'person animal', intr: 'much' }),
  verb('schwimmen', 'geschwommen', 's', 'swim/swims/swum', { subj: 'person #swim', intr: 'speed quality', loc: 'in:#water' }),
  verb('laufen', 'gelaufen', 's', 'run/runs/run', { irr: 'läufst läuft', subj: 'person #legs', intr: 'speed', dir: 'in durch' }),
  verb('gehen', 'gegangen', 's', 'go/goes/gone', { subj: 'person #legs', dir: 'in', with: WITH }),
  verb('kommen', 'gekommen', 's', 'come/comes/come', { subj: 'person animal', intr: 'time', dir: 'in', with: WITH }),
  verb('fliegen', 'geflogen', 's', 'fly/flies/flown', { subj: '#fly', intr: 'speed', dir: 'in durch' }),
  verb('springen', 'gesprungen', 's', 'jump/jumps/jumped', { subj: 'person #legs', dir: 'in:#water' }),
  verb('fallen', 'gefallen', 's', 'fall/falls/fallen', { irr: 'fällst fällt', subj: 'person animal #carry #tool', dir: 'in:#water', modal: false, imp: false }),
  verb('wandern', 'gewandert', 's', 'hike/hikes/hiked', { intr: 'much alone', dir: 'durch' }),
  verb('reisen', 'gereist', 's', 'travel/travels/traveled', { intr: 'much alone', with: 'person' }),
  verb('fahren', 'gefahren', 's', 'drive/drives/driven', { irr: 'fährst fährt', intr: 'speed', dir: 'in:#drive durch' }),
  verb('wohnen', 'gewohnt', 'h', 'live/lives/lived', { intr: 'place alone', loc: 'in:#dwelling' }),
  verb('sitzen', 'gesessen', '-', 'sit/sits/sat', { subj: 'person animal', loc: LOC_ALL }),
  verb('liegen', 'gelegen', '-', 'lie/lies/lain', { subj: 'person animal', loc: LOC_ALL }),
  verb('stehen', 'gestanden', '-', 'stand/stands/stood', { subj: 'person animal', loc: 'in auf neben hinter vor' }),
  verb('sprechen', 'gesprochen', 'h', 'speak/speaks/spoken', { irr: 'sprichst spricht', intr: 'volume', with: 'person' }),
  // Verbs that take a dass-clause.
  verb('glauben', 'geglaubt', '-', 'believe/believes/believed', { matrix: true, modal: false, imp: false }),
  verb('wissen', 'gewusst', '-', 'know/knows/known', { irr: 'weiß weißt weiß wissen', matrix: true, modal: false, imp: false }),
  verb('hoffen', 'gehofft', '-', 'hope/hopes/hoped', { matrix: true, modal: false, imp: false }),
  verb('sagen', 'gesagt', '-', 'say/says/said', { matrix: true, modal: false, imp: false }),
  verb('denken', 'gedacht', '-', 'think/thinks/thought', { matrix: true, modal: false, imp: false }),
];

export const MODALS: readonly Modal[] = [
  { de: 'können', forms: ['kann', 'kannst', 'kann', 'können'], en: 'can' },
  { de: 'wollen', forms: ['will', 'willst', 'will', 'wollen'], en: 'want' },
  { de: 'müssen', forms: ['muss', 'musst', 'muss', 'müssen'], en: 'must' },
  { de: 'dürfen', forms: ['darf', 'darfst', 'darf', 'dürfen'], en: 'may' },
  { de: 'sollen', forms: ['soll', 'sollst', 'soll', 'sollen'], en: 'should' },
];
