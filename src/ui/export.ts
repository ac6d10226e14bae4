// Exports of a session: the metrics of every run as CSV (one row per run and step, κ/α as columns per
// layer and branch, empty where a run has no such branch) and JSON, and any bytes as a browser download.
// κ/α are exported as the trainer reported them: effective weights (what multiplies the branches), never
// converted again here; the CSV columns (`enc.0.kappa_eff.0`) and the JSON (`branchWeights`) say so.
import type { ModelConfig } from '../model/config.ts';
import type { RunMetrics } from './store.ts';

export interface ExportedRun {
  id: number;
  label: string;
  config: ModelConfig | null;
  metrics: RunMetrics;
}

function branchColumns(m: RunMetrics): string[] {
  return m.branches.flatMap((b) => [
    ...(b.kappa[0] ?? []).map((_, i) => `${b.layer}.kappa_eff.${i}`),
    ...(b.alpha[0] ?? []).map((_, i) => `${b.layer}.alpha_eff.${i}`),
  ]);
}

/** RFC 4180 quoting for a label that may hold commas or quotes. */
function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function metricsToCsv(runs: readonly ExportedRun[]): string {
  const columns = [...new Set(runs.flatMap((r) => branchColumns(r.metrics)))];
  const header = ['run', 'label', 'step', 'tokens_seen', 'loss', 'lr', 'grad_norm', 'dev_loss', 'dev_bleu', ...columns].join(',');
  const rows = runs.flatMap(({ id, label, metrics: m }) => {
    const dev = new Map(m.dev.map((d) => [d.step, d]));
    const own = branchColumns(m);
    return m.steps.map((step, i) => {
      const d = dev.get(step);
      const values = new Map(own.map((c, j) => [c, m.branches.flatMap((b) => [...(b.kappa[i] ?? []), ...(b.alpha[i] ?? [])])[j]]));
      return [id, csvField(label), step, m.tokens[i] ?? '', m.loss[i], m.lr[i], m.gradNorm[i], d?.loss ?? '', d?.bleu ?? '', ...columns.map((c) => values.get(c) ?? '')].join(',');
    });
  });
  return [header, ...rows].join('\n') + '\n';
}

/** What the exported κ/α are (model.md "How kappa and alpha are kept on the simplex"). */
export const BRANCH_WEIGHTS_NOTE =
  'effective: the weights that multiply the branches (projected: as stored; softmax: softmax of the stored logits; uniform: 1/M)';

export function metricsToJson(runs: readonly ExportedRun[]): string {
  return JSON.stringify({ branchWeights: BRANCH_WEIGHTS_NOTE, runs });
}

/** Offer `data` as a file download named `name`. */
export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
