// Run specs as stored (in a checkpoint's metadata or the page's autosave): an imported corpus is named,
// not copied, so a checkpoint stays small; whoever restores the run supplies the pairs again.
import type { RunSpec, TextPairs } from './protocol.ts';

export function specWithoutPairs(spec: RunSpec): RunSpec {
  const source = spec.data.source;
  return source.kind === 'pairs' ? { ...spec, data: { ...spec.data, source: { ...source, pairs: [] } } } : spec;
}

/** The spec with its imported corpus' pairs put back (unchanged when it uses another source). */
export function specWithPairs(spec: RunSpec, pairs: TextPairs): RunSpec {
  const source = spec.data.source;
  return source.kind === 'pairs' ? { ...spec, data: { ...spec.data, source: { ...source, pairs } } } : spec;
}
