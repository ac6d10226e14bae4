// The playground's colours in one place: branch i has the same colour in every chart, bar and legend.
// Branch colours: Tableau 10 then 6 more distinguishable hues (branches <= 16, model.md).
const BRANCH_COLORS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#bab0ac', '#1f77b4', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#d62728',
];

export function branchColor(branch: number): string {
  return BRANCH_COLORS[branch % BRANCH_COLORS.length];
}

export const LOSS_COLORS = {
  raw: '#818cf8',
  smoothed: '#4338ca',
  dev: '#dc2626',
} as const;

/** Runs of a comparison: dark hues, distinct from the branch colours (which are per branch, not per run). */
const RUN_COLORS = ['#4338ca', '#0f766e', '#b45309', '#6b7280', '#be185d', '#15803d'];

export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length];
}
