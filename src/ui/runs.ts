// Comparison mode: the runs a configuration asks for, and the label of each run (how its config differs
// from the others'). The comparison runs share everything with the configured run except the attention:
// the multi-head baseline (same width, heads = branches), and for "ablations" the weighted model with
// softmax and with uniform κ/α as well. Same data, same seed, same schedule.
import type { RunSpec } from '../train/protocol.ts';
import type { ModelConfig } from '../model/config.ts';
import type { DeviceLimits } from '../model/limits.ts';
import { validate, type ConfigValues, type ImportedCorpus } from './schema.ts';

export type RunsValidation = { ok: true; specs: RunSpec[] } | { ok: false; errors: string[] };

/** The model configs of a comparison, the configured one first (no duplicates). */
export function comparisonModels(primary: ModelConfig, compare: ConfigValues['compare']): ModelConfig[] {
  const models: ModelConfig[] = [primary];
  if (compare === 'off') return models;
  const weighted = (weighting: ModelConfig['weighting']): ModelConfig => ({ ...primary, variant: 'weighted', weighting });
  models.push(primary.variant === 'baseline' ? weighted('projected') : { ...primary, variant: 'baseline' });
  if (compare === 'ablations') models.push(weighted('projected'), weighted('softmax'), weighted('uniform'));
  const seen = new Set<string>();
  return models.filter((m) => {
    const key = m.variant === 'baseline' ? 'baseline' : `weighted/${m.weighting}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validate the configuration and build the specs of every run it asks for (ids 0, 1, ...). */
export function runSpecs(values: ConfigValues, imported: ImportedCorpus | null, limits: DeviceLimits | null = null): RunsValidation {
  const checked = validate(values, imported, limits);
  if (!checked.ok) return checked;
  const specs = comparisonModels(checked.spec.model, values.compare).map((model, id) => ({ ...checked.spec, id, model }));
  const labels = diffLabels(specs.map((s) => s.model));
  return { ok: true, specs: specs.map((s, i) => ({ ...s, label: labels[i] })) };
}

/**
 * A label per model naming what differs between them: the variant, the κ/α weighting (for weighted
 * models; meaningless for the baseline), then any other differing key as key=value. One model: its variant.
 */
export function diffLabels(models: readonly ModelConfig[]): string[] {
  if (models.length === 0) return [];
  const keys = (Object.keys(models[0]) as (keyof ModelConfig)[]).filter((k) => {
    const relevant = models.filter((m) => k !== 'weighting' || m.variant === 'weighted');
    return new Set(relevant.map((m) => m[k])).size > 1;
  });
  return models.map((m) => {
    const parts = keys.flatMap((k) => {
      if (k === 'variant') return m.variant === 'baseline' ? ['multi-head baseline'] : keys.includes('weighting') ? ['weighted'] : ['weighted', `${m.weighting} κ/α`];
      if (k === 'weighting') return m.variant === 'weighted' ? [`${m.weighting} κ/α`] : [];
      return [`${k}=${String(m[k])}`];
    });
    if (parts.length === 0) return m.variant === 'baseline' ? 'multi-head baseline' : `weighted (${m.weighting} κ/α)`;
    return parts.join(' · ');
  });
}
