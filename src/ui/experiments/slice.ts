// The store's experiments slice (issue 12): the dev-loss target of steps-to-target, the sweep the session
// runs, the test-time ablation and single muted branches of runs (numbers from the worker), and a report
// file opened in the page. Plain data; the ExperimentClient (experiment-client.ts) writes it.
import type { AblationReport, BranchRef, MuteReport } from '../../train/protocol.ts';
import type { ReportFile } from '../../experiments/report.ts';
import type { MetricsSeries } from '../../experiments/metrics-jsonl.ts';
import type { Sweep } from '../../experiments/sweep.ts';

export interface AblationState {
  id: number;
  runId: number;
  /** The run's label when it was asked for. */
  label: string;
  pending: boolean;
  progress: { text: string; done: number; total: number } | null;
  /** The run's step the numbers were measured at. */
  step: number | null;
  report: AblationReport | null;
  /** Dev loss of the same weights under the uniform weighting's own forward (the check of `uniform`). */
  uniformCheck: number | null;
  error: string | null;
}

export interface MuteState extends BranchRef {
  id: number;
  runId: number;
  pending: boolean;
  step: number | null;
  result: MuteReport | null;
  error: string | null;
}

/** A file opened in the Experiments panel: a report of `cli experiment`/`cli ablate`, or a `cli train` metrics JSONL. */
export type OpenedFile = { name: string; kind: 'report'; report: ReportFile } | { name: string; kind: 'metrics'; metrics: MetricsSeries };

export interface ExperimentsSlice {
  /** Dev loss target of the steps-to-target columns (null: none). */
  targetLoss: number | null;
  /** The sweep the current session trains (null: a comparison, or no session). */
  sweep: Sweep | null;
  /** The last Table 3 ablation asked for. */
  ablation: AblationState | null;
  /** Single muted branches (muteBranch), by muteKey. */
  mutes: Record<string, MuteState>;
  opened: OpenedFile | null;
  /** Why the last file could not be opened, naming it. */
  openError: string | null;
  /** Why a setting was chosen for the user (the seeds default on a software GPU), or null. */
  notice: string | null;
}

export const emptyExperiments = (): ExperimentsSlice => ({ targetLoss: null, sweep: null, ablation: null, mutes: {}, opened: null, openError: null, notice: null });

/** The key of one muted branch of a run in ExperimentsSlice.mutes. */
export const muteKey = (runId: number, ref: BranchRef): string => `${runId}/${ref.layer}/${ref.which}/${ref.branch}`;
