// Comparison mode: the runs a configuration asks for, and the label of each run (how its config differs
// from the others'). The comparison runs share everything with the configured run except the attention:
// the multi-head baseline (same width, heads = branches), and for "ablations" the weighted model with
// softmax and with uniform κ/α as well. Same data, same seed, same schedule.
import type { RunSpec } from '../train/protocol.ts';
import type { ModelConfig } from '../model/config.ts';
import type { DeviceLimits } from '../model/limits.ts';
import { FIELD_BY_NAME, FIELDS, validate, type ConfigValues, type FieldName, type ImportedCorpus } from './schema.ts';

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

/** Fields that change nothing about one run's training (live, page-side, or how many runs a Start makes). */
const NOT_A_RUN_CHANGE = new Set<FieldName>(['lrScale', 'autosaveEvery', 'compare', 'seeds', 'preset']);

export interface FieldChange {
  name: FieldName;
  label: string;
  from: string | number;
  to: string | number;
}

/** The settings in `values` that differ from `base` (what the runs started with) and would train differently. */
export function changedFields(base: ConfigValues, values: ConfigValues): FieldChange[] {
  return FIELDS.filter((f) => !NOT_A_RUN_CHANGE.has(f.name) && base[f.name] !== values[f.name]).map((f) => ({ name: f.name, label: f.label, from: base[f.name], to: values[f.name] }));
}

/** "d_model 32 · Steps 500": a new run's label, by what changed (the options' labels for selects). */
export function changeLabel(changes: readonly FieldChange[]): string {
  if (changes.length === 0) return 'same settings';
  return changes
    .map((c) => {
      const field = FIELD_BY_NAME.get(c.name);
      const shown = field?.type === 'select' ? (field.options.find((o) => o.value === c.to)?.label ?? String(c.to)) : String(c.to);
      return `${c.label} ${shown}`;
    })
    .join(' · ');
}

export interface TargetReached {
  step: number;
  /** Target tokens seen after that step (null when that step's metrics are not on the page). */
  tokens: number | null;
}

/**
 * The first dev evaluation at which a run's dev loss was at or below `target`: its step and the target
 * tokens seen by then; null when it never was (or the target is not a positive number).
 */
export function stepsToTarget(m: { steps: readonly number[]; tokens: readonly number[]; dev: readonly { step: number; loss: number }[] }, target: number): TargetReached | null {
  if (!(target > 0) || !Number.isFinite(target)) return null;
  const hit = [...m.dev].sort((a, b) => a.step - b.step).find((d) => Number.isFinite(d.loss) && d.loss <= target);
  if (!hit) return null;
  const i = m.steps.indexOf(hit.step);
  return { step: hit.step, tokens: i >= 0 ? m.tokens[i] : null };
}
