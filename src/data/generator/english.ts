// English side of the generator: a/an, agreement of be/do/have and lexical verbs with the subject, and the
// rendering of a token list into a sentence (capitalised, punctuation attached).

import type { Person } from './lexicon-types.ts';

/** "an" before a vowel letter. The lexicon has no word where letter and sound disagree (hour, unit). */
export function indefiniteArticle(nextWord: string): 'a' | 'an' {
  return /^[aeiou]/i.test(nextWord) ? 'an' : 'a';
}

export function beForm(p: Person): string {
  return p === '1sg' ? 'am' : p === '3sg' ? 'is' : 'are';
}

export function doForm(p: Person): string {
  return p === '3sg' ? 'does' : 'do';
}

export function haveForm(p: Person): string {
  return p === '3sg' ? 'has' : 'have';
}

const PUNCT = new Set([',', '.', '?', '!']);

/** Join tokens with spaces, attach punctuation to the word before, capitalise the first letter. */
export function renderSentence(tokens: readonly string[]): string {
  let out = '';
  for (const t of tokens) {
    if (t === '') continue;
    out += out === '' || PUNCT.has(t) ? t : ' ' + t;
  }
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** Words of a rendered sentence (punctuation removed). */
export function wordsOf(sentence: string): string[] {
  return sentence.replace(/[,.?!]/g, ' ').split(' ').filter((w) => w !== '');
}

/** Number of words in a token list (tokens may hold several words: "look for"; punctuation is not a word). */
export function countWords(tokens: readonly string[]): number {
  let n = 0;
  for (const t of tokens) {
    if (t === '' || PUNCT.has(t)) continue;
    n++;
    for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 32) n++;
  }
  return n;
}
