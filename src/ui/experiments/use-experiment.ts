// What the Experiments panel shows: the page's own runs, or the file opened in it (an experiment report's
// runs, an ablation report, a metrics JSONL), as RunResult groups with their summary, verdicts and sweep.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { RunResult } from '../../experiments/seeds.ts';
import type { Sweep } from '../../experiments/sweep.ts';
import type { AblationReportFile } from '../../experiments/report.ts';
import { usePlayground } from '../context.ts';
import { experimentView, metricsResult, pageResults, sweepFromLabels, withTarget, type ExperimentView } from './results.ts';

export interface ExperimentData extends ExperimentView {
  /** "this page's runs" or the opened file's name. */
  source: string;
  fromFile: boolean;
  results: RunResult[];
  sweep: Sweep | null;
  /** An opened ablation report. */
  ablation: AblationReportFile | null;
}

/** How often the panel recomputes from the live metrics (summaries, bands, entropies of every run). */
const REFRESH_MS = 1000;

export function useExperiment(): ExperimentData {
  const runs = usePlayground((s) => s.run.runs);
  // While training, the metrics change every frame: the panel follows them at most once a second.
  const metrics = useThrottled(usePlayground((s) => s.metrics.runs), REFRESH_MS);
  const target = usePlayground((s) => s.experiments.targetLoss);
  const sweep = usePlayground((s) => s.experiments.sweep);
  const opened = usePlayground((s) => s.experiments.opened);
  return useMemo(() => {
    let results: RunResult[] = [], fileSweep: Sweep | null = null, ablation: AblationReportFile | null = null;
    if (opened?.kind === 'report' && opened.report.kind === 'experiment') {
      results = withTarget(opened.report.runs, target);
      const s = opened.report.sweep;
      if (s) fileSweep = { param: s.param, values: s.points.map((p) => p.value) };
    } else if (opened?.kind === 'report' && opened.report.kind === 'ablation') {
      ablation = opened.report;
    } else if (opened?.kind === 'metrics') {
      results = [metricsResult(opened.name, opened.metrics, target)];
    } else {
      results = pageResults(runs, metrics, target);
    }
    // The sweep started on this page (all its values, even those not trained yet) while its runs are shown;
    // else one recognized by the runs' labels (a sweep resumed from an autosave).
    const pageSweep = sweep && results.some((r) => r.label.startsWith(`${sweep.param}=`)) ? sweep : sweepFromLabels(results);
    return { ...experimentView(results, target), results, source: opened ? opened.name : "this page's runs", fromFile: opened !== null, sweep: opened ? fileSweep : pageSweep, ablation };
  }, [runs, metrics, target, sweep, opened]);
}

/** `value`, updated at most every `ms` (the latest value always arrives, at most `ms` late). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - Date.now();
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}
