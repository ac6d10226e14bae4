// Learning-rate schedules of model.md "Optimization" (steps are 1-based):
//   weights:      lrScale * D^-0.5       * min(s^-0.5, s * warmup^-1.5)
//   kappa/alpha:  lrScale * (D/N_e)^-0.5 * min(s^-0.5, s * kappaWarmup^-1.5)
// times `kappaLrScale` (default 1, which is the spec's formula exactly): a playground knob beyond the spec
// for the experiments' κ/α learning-rate sweep (issue 12), so the κ/α rate can change without its warm-up.
// and the freeze of kappa/alpha for the last `freezeSteps` steps of a run.

export interface ScheduleConfig {
  dModel: number;
  encLayers: number;
  lrScale: number;
  warmup: number;
  kappaWarmup: number;
  /** Extra factor on the kappa/alpha learning rate only (absent = 1: model.md's schedule). */
  kappaLrScale?: number;
  /** Total steps of the run and how many final steps keep kappa/alpha frozen (0 = never). */
  steps: number;
  freezeSteps: number;
}

const noam = (scale: number, step: number, warmup: number): number => scale * Math.min(step ** -0.5, step * warmup ** -1.5);

export function mainLearningRate(c: ScheduleConfig, step: number): number {
  return noam(c.lrScale * c.dModel ** -0.5, step, c.warmup);
}

export function branchLearningRate(c: ScheduleConfig, step: number): number {
  return noam(c.lrScale * (c.kappaLrScale ?? 1) * (c.dModel / c.encLayers) ** -0.5, step, c.kappaWarmup);
}

/** True when kappa/alpha must not be updated nor projected at this step (the last freezeSteps steps). */
export function branchesFrozen(c: ScheduleConfig, step: number): boolean {
  return c.freezeSteps > 0 && step > c.steps - c.freezeSteps;
}
