// Public entry of the built-in corpus generator (English ↔ German sentence pairs from a small grammar).

export {
  generateCorpus, generateCorpusDetailed, describeHeldOut, heldOutScheme, sampleConstruction, sampleItem, combosOf,
  MIN_WORDS, MAX_WORDS,
  type CorpusPair, type BuiltInCorpusOptions, type BuiltInCorpus, type DetailedCorpus, type GeneratedItem, type HeldOutScheme,
} from './corpus.ts';
export { CONSTRUCTIONS, CONSTRUCTION_LIST } from './constructions.ts';
export { lexiconCounts, lexiconProblems, type LexiconCounts } from './lexicon.ts';
export { Rng } from './rng.ts';
