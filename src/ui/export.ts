// Exports of a run: the metrics as CSV (one row per step, κ/α as columns per layer and branch) and JSON,
// and any bytes as a browser download.
import type { MetricsSlice } from './store.ts';

export function metricsToCsv(m: MetricsSlice): string {
  const branchCols = m.branches.flatMap((b) => [
    ...(b.kappa[0] ?? []).map((_, i) => `${b.layer}.kappa.${i}`),
    ...(b.alpha[0] ?? []).map((_, i) => `${b.layer}.alpha.${i}`),
  ]);
  const dev = new Map(m.dev.map((d) => [d.step, d]));
  const header = ['step', 'loss', 'lr', 'grad_norm', 'dev_loss', 'dev_bleu', ...branchCols].join(',');
  const rows = m.steps.map((step, i) => {
    const d = dev.get(step);
    const branches = m.branches.flatMap((b) => [...(b.kappa[i] ?? []), ...(b.alpha[i] ?? [])]);
    return [step, m.loss[i], m.lr[i], m.gradNorm[i], d?.loss ?? '', d?.bleu ?? '', ...branches].join(',');
  });
  return [header, ...rows].join('\n') + '\n';
}

export function metricsToJson(m: MetricsSlice): string {
  return JSON.stringify(m);
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
