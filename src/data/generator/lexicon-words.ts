// The generator's closed and small word classes: adjectives (with the nouns they may describe), adverbs,
// numbers, prepositions (with their case), pronouns, possessives, determiners and conjunctions.
// Adjectives whose stem changes when inflected (hoch → hohe, dunkel → dunkle, teuer → teure) and
// indeclinable ones (lila, rosa) are left out; müde drops its final e before an ending (müder, müdes).

import type { Adjective, Adverb, AdverbGroup, Case, Person, Preposition, Pronoun } from './lexicon-types.ts';

const ADJECTIVE_ROWS = [
  'groß|big|animal thing vehicle place food fixture', 'klein|small|animal thing vehicle place food fixture',
  'alt|old|person animal thing vehicle place fixture', 'neu|new|thing vehicle place', 'jung|young|person animal',
  'rot|red|thing vehicle', 'blau|blue|thing vehicle', 'grün|green|thing vehicle', 'gelb|yellow|thing vehicle',
  'schwarz|black|thing vehicle animal', 'weiß|white|thing vehicle animal', 'braun|brown|thing animal',
  'grau|gray|thing vehicle animal', 'bunt|colorful|thing', 'schön|beautiful|person animal thing place',
  'hässlich|ugly|animal thing place vehicle', 'gut|good|person food thing #building #food #drink',
  'schlecht|bad|person food thing #building #food #drink', 'billig|cheap|thing vehicle', 'warm|warm|#hot #wear',
  'kalt|cold|#drink #hot', 'heiß|hot|#hot', 'schnell|fast|animal vehicle', 'langsam|slow|animal vehicle',
  'stark|strong|person animal', 'laut|loud|person animal', 'ruhig|quiet|person animal place',
  'leer|empty|#container', 'voll|full|#container', 'müde|tired|person animal', 'glücklich|happy|person animal',
  'traurig|sad|person animal', 'krank|sick|person animal', 'hungrig|hungry|person animal',
  'freundlich|friendly|person animal', 'klug|clever|person animal', 'nett|nice|person', 'reich|rich|person',
  'arm|poor|person', 'süß|sweet|#fruit #sweet', 'frisch|fresh|food #fresh', 'sauber|clean|thing place vehicle',
  'schmutzig|dirty|thing place vehicle animal', 'schwer|heavy|#carry #furniture', 'leicht|light|#carry',
  'lang|long|#long', 'kurz|short|#long', 'wild|wild|animal', 'gefährlich|dangerous|#wild',
  'lustig|funny|person #tell', 'interessant|interesting|person #read #tell #building',
  'langweilig|boring|person #read #tell', 'wichtig|important|#info #read', 'einfach|simple|#info #game',
  'schwierig|difficult|#info #game', 'modern|modern|#building vehicle #tool', 'hell|bright|#room',
  'weich|soft|#soft', 'berühmt|famous|person #building', 'höflich|polite|person',
  'neugierig|curious|person animal', 'faul|lazy|person animal', 'mutig|brave|person',
  'gesund|healthy|person animal',
];

export const ADJECTIVES: readonly Adjective[] = ADJECTIVE_ROWS.map((row) => {
  const [de, en, sel] = row.split('|');
  return { de, en, sel };
});

const ADVERB_ROWS: readonly [string, string, AdverbGroup, boolean][] = [
  ['oft', 'often', 'freq', true], ['manchmal', 'sometimes', 'freq', true], ['immer', 'always', 'freq', false],
  ['selten', 'rarely', 'freq', false], ['meistens', 'usually', 'freq', true],
  // Habitual time adverbs only: with "heute"/"jetzt" English would want the progressive (is reading).
  ['morgens', 'in the morning', 'time', true], ['abends', 'in the evening', 'time', true],
  ['sonntags', 'on Sundays', 'time', true], ['jeden Tag', 'every day', 'time', true],
  ['schnell', 'quickly', 'speed', false], ['langsam', 'slowly', 'speed', false],
  ['laut', 'loudly', 'volume', false], ['leise', 'quietly', 'volume', false], ['gut', 'well', 'quality', false],
  ['hier', 'here', 'place', false], ['dort', 'there', 'place', false], ['draußen', 'outside', 'place', false],
  ['allein', 'alone', 'alone', false], ['viel', 'a lot', 'much', false],
];

export const ADVERBS: readonly Adverb[] = ADVERB_ROWS.map(([de, en, group, front]) => ({ de, en, group, front }));

/** "sehr" before a predicate adjective. */
export const INTENSIFIER = { de: 'sehr', en: 'very' } as const;

export const NUMBERS: readonly { de: string; en: string }[] = [
  ['zwei', 'two'], ['drei', 'three'], ['vier', 'four'], ['fünf', 'five'], ['sechs', 'six'], ['sieben', 'seven'],
  ['acht', 'eight'], ['neun', 'nine'], ['zehn', 'ten'], ['elf', 'eleven'], ['zwölf', 'twelve'],
].map(([de, en]) => ({ de, en }));

const PREPOSITION_ROWS: readonly [string, Case, string][] = [
  ['mit', 'dat', 'with'], ['für', 'acc', 'for'], ['ohne', 'acc', 'without'], ['in', 'dat', 'in'],
  ['in', 'acc', 'into'], ['auf', 'dat', 'on'], ['unter', 'dat', 'under'], ['neben', 'dat', 'next to'],
  ['hinter', 'dat', 'behind'], ['vor', 'dat', 'in front of'], ['durch', 'acc', 'through'],
];

/** Keyed 'de:case' ('in:dat' = location "in", 'in:acc' = direction "into"). */
export const PREPOSITIONS: ReadonlyMap<string, Preposition> = new Map(
  PREPOSITION_ROWS.map(([de, c, en]) => [`${de}:${c}`, { id: `${de}:${c}`, de, en, case: c }]),
);

const PRONOUN_ROWS: readonly [string, string, Person][] = [
  ['ich', 'I', '1sg'], ['du', 'you', '2sg'], ['er', 'he', '3sg'], ['sie', 'she', '3sg'], ['wir', 'we', '1pl'],
  ['sie', 'they', '3pl'],
];

export const PRONOUNS: readonly Pronoun[] = PRONOUN_ROWS.map(([de, en, person]) => ({ de, en, person }));

/** Possessive determiners (declined like kein). No "ihr = their", so that "ihr" always means "her". */
export const POSSESSIVES: readonly { de: string; en: string }[] = [
  ['mein', 'my'], ['dein', 'your'], ['sein', 'his'], ['ihr', 'her'], ['unser', 'our'],
].map(([de, en]) => ({ de, en }));

export const DETERMINERS: readonly { de: string; en: string }[] = [
  { de: 'der', en: 'the' }, { de: 'ein', en: 'a' }, { de: 'kein', en: 'no' }, { de: 'dieser', en: 'this' },
];

export const CONJUNCTIONS = {
  weil: 'because', dass: 'that', wenn: 'when', und: 'and', aber: 'but',
} as const;
export type Conjunction = keyof typeof CONJUNCTIONS;
