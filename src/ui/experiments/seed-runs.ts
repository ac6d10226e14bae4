// Seeds (issue 12, experiment 1): every compared run repeated over N seeds on the same data. The runs of
// one configuration share a group label; seed k of a group trains with train.seed = seed + k and the
// data of the configured seed (RunSpec.data.seed), so the seeds differ only in initialization and
// dropout and every run sees the same batches (as `cli experiment` with its --data-seed).
import type { RunSpec } from '../../train/protocol.ts';
import { DEFAULT_SEEDS } from '../schema.ts';

const SEED_SUFFIX = / · seed (\d+)$/;

/** The label of seed `seed` of a group (the group label alone when there is one seed). */
export function seedLabel(group: string, seed: number, seeds: number): string {
  return seeds > 1 ? `${group} · seed ${seed}` : group;
}

/** The group and seed a run label names (a label without a seed suffix is its own group, seed null). */
export function seedGroupOf(label: string): { group: string; seed: number | null } {
  const m = SEED_SUFFIX.exec(label);
  return m ? { group: label.slice(0, m.index), seed: Number(m[1]) } : { group: label, seed: null };
}

/**
 * `seeds` runs of every spec (ids 0, 1, ... in the order config by config, seed by seed). With one seed
 * the specs are returned as they are (no data seed, labels unchanged).
 */
export function expandSeeds(specs: readonly RunSpec[], seeds: number): RunSpec[] {
  if (seeds <= 1) return specs.map((s, id) => ({ ...s, id }));
  const out: RunSpec[] = [];
  for (const spec of specs) {
    for (let k = 0; k < seeds; k++) {
      const seed = spec.train.seed + k;
      out.push({ ...spec, id: out.length, label: seedLabel(spec.label, seed, seeds), train: { ...spec.train, seed }, data: { ...spec.data, seed: spec.data.seed ?? spec.train.seed } });
    }
  }
  return out;
}

/** Software adapters (CPU rasterizers): every extra seed there costs minutes. */
export function isSoftwareAdapter(adapter: string): boolean {
  return /swiftshader|lavapipe|llvmpipe|software|microsoft basic render/i.test(adapter);
}

/** The seeds default for an adapter: DEFAULT_SEEDS, or 1 on a software GPU. */
export function suggestedSeeds(adapter: string): number {
  return isSoftwareAdapter(adapter) ? 1 : DEFAULT_SEEDS;
}
