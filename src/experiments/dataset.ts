// Where a checkpoint's data came from, recorded in its metadata (extras key "data") so that a later tool
// (`cli ablate`) can rebuild the same dev split with prepareData: the source, the seed and the batching
// settings. An imported TSV is recorded by its path and corpusHash of its pairs; rebuilding it refuses a
// file whose pairs changed. Plain JSON, no Node APIs (the caller reads files).
import type { DataSource, TextPair } from '../train/data.ts';
import { corpusHash } from '../data/import.ts';

/** prepareData's dev split size when none is given (what `cli train` uses). */
export const DEFAULT_DEV_PAIRS = 500;

export interface DataRecord {
  source: 'builtin' | 'copy' | 'reverse' | 'pairs';
  /** builtin only. */
  direction?: 'en-de' | 'de-en';
  /** pairs only: the file and corpusHash of its pairs. */
  path?: string;
  hash?: string;
  seed: number;
  vocab: number;
  maxLen: number;
  batchTokens: number;
  /** The dev split size asked of prepareData, and the one it made (a check when rebuilding). */
  devPairs: number;
  /** Absent in a record made from the page's run spec (then the rebuilt count is not checked). */
  devCount?: number;
}

export function dataRecord(source: DataSource, settings: Omit<DataRecord, 'source' | 'direction' | 'path' | 'hash'>): DataRecord {
  switch (source.kind) {
    case 'builtin':
      return { source: 'builtin', direction: source.direction, ...settings };
    case 'copy':
    case 'reverse':
      return { source: source.kind, ...settings };
    case 'pairs':
      return { source: 'pairs', path: source.name, hash: source.hash ?? corpusHash(source.pairs), ...settings };
  }
}

/** The record in a checkpoint's extras, or null when it has none (or only a description string). */
export function readDataRecord(extra: unknown): DataRecord | null {
  if (typeof extra !== 'object' || extra === null) return null;
  const r = extra as Partial<DataRecord>;
  const ints = ['seed', 'vocab', 'maxLen', 'batchTokens', 'devPairs'] as const;
  if (!['builtin', 'copy', 'reverse', 'pairs'].includes(r.source as string) || !ints.every((k) => Number.isInteger(r[k]))) return null;
  if (r.devCount !== undefined && !Number.isInteger(r.devCount)) return null;
  return r as DataRecord;
}

/**
 * The record of a page checkpoint, from the run spec it stores (extras "playground_run": model, train.seed,
 * data.{source, vocab, batchTokens, devPairs, seed: a seed experiment's data seed, else train.seed}). An imported corpus is not in the checkpoint (its pairs are
 * stripped): null then, as for anything that is not such a spec.
 */
export function recordFromRunSpec(spec: unknown): DataRecord | null {
  const s = spec as { model?: { maxLen?: unknown }; train?: { seed?: unknown }; data?: { source?: { kind?: unknown; direction?: unknown }; vocab?: unknown; batchTokens?: unknown; devPairs?: unknown; seed?: unknown } } | null;
  const kind = s?.data?.source?.kind;
  if (kind !== 'builtin' && kind !== 'copy' && kind !== 'reverse') return null;
  const direction = s!.data!.source!.direction === 'de-en' ? 'de-en' : 'en-de';
  return readDataRecord({
    source: kind, ...(kind === 'builtin' ? { direction } : {}),
    seed: s!.data!.seed ?? s!.train?.seed, vocab: s!.data!.vocab, maxLen: s!.model?.maxLen, batchTokens: s!.data!.batchTokens, devPairs: s!.data!.devPairs,
  });
}

/** The DataSource of a record; `loadPairs` reads an imported file (its hash is checked here). */
export function sourceOfRecord(r: DataRecord, loadPairs: (path: string) => TextPair[]): DataSource {
  if (r.source === 'builtin') return { kind: 'builtin', direction: r.direction ?? 'en-de' };
  if (r.source === 'copy' || r.source === 'reverse') return { kind: r.source };
  const pairs = loadPairs(r.path ?? '');
  const hash = corpusHash(pairs);
  if (r.hash && hash !== r.hash) throw new Error(`${r.path}: the corpus changed since training (hash ${hash}, the checkpoint recorded ${r.hash}), so its dev split cannot be rebuilt; give --src and --ref`);
  return { kind: 'pairs', name: r.path ?? '', pairs, hash };
}
