// Does κ/α collapse or specialize? Per branched layer, the entropy (nats; log M for uniform weights, 0 for
// one branch) of the EFFECTIVE κ and α at every reported step, and events read off the weights over time:
//   pinned    a branch held at exactly 0 (the simplex projection clips it) for at least `minSteps` steps
//   collapsed one branch carrying at least `collapseAt` of the weight for at least `minSteps` steps
// Event texts number layers and branches from 1 ("encoder layer 2: κ branch 3 ..."); the fields `layer`
// (the checkpoint key prefix, "enc.1") and `branch` (0-based) are as the parameter table names them.

/** The effective weights of one step, as StepMetrics.branches gives them. */
export interface BranchSnapshot {
  step: number;
  branches: { layer: string; kappa: number[]; alpha: number[] }[];
}

export interface EntropySeries {
  layers: string[];
  steps: number[];
  /** kappa[l][i]: entropy of layer l's κ at steps[i] (nats). */
  kappa: number[][];
  alpha: number[][];
}

export interface BranchEvent {
  kind: 'pinned' | 'collapsed';
  layer: string;
  which: 'kappa' | 'alpha';
  branch: number;
  /** First step of the run of steps. */
  from: number;
  /** Last step of it; null when it lasted to the end of the series. */
  until: number | null;
  text: string;
}

export interface EventOptions {
  /** A weight at or below this counts as 0 (the projection writes exact zeros). Default 1e-7. */
  zeroAt?: number;
  /** A weight at or above this means the vector collapsed onto that branch. Default 0.95. */
  collapseAt?: number;
  /** Shortest run of recorded steps that makes an event. Default 10. */
  minSteps?: number;
  /** How the weights are kept on the simplex (the pinning text names the projection only for it). */
  weighting?: 'projected' | 'softmax' | 'uniform';
}

/** Shannon entropy in nats of a probability vector (0·log 0 = 0; negative rounding noise counts as 0). */
export function entropy(w: readonly number[]): number {
  let h = 0;
  for (const x of w) if (x > 0) h -= x * Math.log(x);
  return h;
}

/** Collects entropies and weight histories step by step (feed it every StepMetrics). */
export class BranchTracker {
  private readonly snapshots: BranchSnapshot[] = [];

  add(s: BranchSnapshot): void {
    if (s.branches.length > 0) this.snapshots.push({ step: s.step, branches: s.branches.map((b) => ({ layer: b.layer, kappa: [...b.kappa], alpha: [...b.alpha] })) });
  }

  series(): EntropySeries {
    return entropySeries(this.snapshots);
  }

  events(options: EventOptions = {}): BranchEvent[] {
    return branchEvents(this.snapshots, options);
  }
}

export function entropySeries(snapshots: readonly BranchSnapshot[]): EntropySeries {
  const layers = snapshots.length ? snapshots[0].branches.map((b) => b.layer) : [];
  return {
    layers,
    steps: snapshots.map((s) => s.step),
    kappa: layers.map((_, l) => snapshots.map((s) => entropy(s.branches[l].kappa))),
    alpha: layers.map((_, l) => snapshots.map((s) => entropy(s.branches[l].alpha))),
  };
}

/** "encoder layer 2" for "enc.1", "decoder layer 1" for "dec.0". */
export function layerName(layer: string): string {
  const [stack, index] = layer.split('.');
  return `${stack === 'enc' ? 'encoder' : stack === 'dec' ? 'decoder' : stack} layer ${Number(index) + 1}`;
}

/** Events of every layer, vector and branch, in order of their first step. */
export function branchEvents(snapshots: readonly BranchSnapshot[], options: EventOptions = {}): BranchEvent[] {
  const { zeroAt = 1e-7, collapseAt = 0.95, minSteps = 10, weighting = 'projected' } = options;
  if (snapshots.length === 0) return [];
  const events: BranchEvent[] = [];
  snapshots[0].branches.forEach((b, l) => {
    for (const which of ['kappa', 'alpha'] as const) {
      const symbol = which === 'kappa' ? 'κ' : 'α';
      for (let i = 0; i < b[which].length; i++) {
        const values = snapshots.map((s) => s.branches[l][which][i]);
        const where = (from: number, until: number | null) => `from step ${from}${until === null ? '' : ` to step ${until}`}`;
        for (const r of runs(values, (x) => x <= zeroAt, minSteps)) {
          const [from, until] = [snapshots[r.start].step, r.end === snapshots.length - 1 ? null : snapshots[r.end].step];
          const by = weighting === 'projected' ? ' by the projection' : '';
          events.push({ kind: 'pinned', layer: b.layer, which, branch: i, from, until, text: `${layerName(b.layer)}: ${symbol} branch ${i + 1} pinned at 0${by} ${where(from, until)}` });
        }
        for (const r of runs(values, (x) => x >= collapseAt, minSteps)) {
          const [from, until] = [snapshots[r.start].step, r.end === snapshots.length - 1 ? null : snapshots[r.end].step];
          events.push({ kind: 'collapsed', layer: b.layer, which, branch: i, from, until, text: `${layerName(b.layer)}: ${symbol} collapsed onto branch ${i + 1} (≥ ${collapseAt}) ${where(from, until)}` });
        }
      }
    }
  });
  return events.sort((a, b) => a.from - b.from);
}

/** Maximal runs of consecutive indices where `test` holds, at least `minLength` long. */
function runs(values: readonly number[], test: (x: number) => boolean, minLength: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = -1;
  for (let i = 0; i <= values.length; i++) {
    const inside = i < values.length && test(values[i]);
    if (inside && start < 0) start = i;
    if (!inside && start >= 0) {
      if (i - start >= minLength) out.push({ start, end: i - 1 });
      start = -1;
    }
  }
  return out;
}
