// The Experiments panel (issue 12: "Does branch weighting help?"): seeds with their bands, table and
// verdicts; the Table 3 ablation of the focused run; κ/α entropies and events; sweeps; and a report or
// metrics file opened from `cli experiment` / `cli ablate` / `cli train`, shown in the same charts. The
// numbers come from src/experiments (the same code as the CLI); the worker measures the ablations.
import { usePlayground } from '../context.ts';
import { AblationSection } from './AblationSection.tsx';
import { EntropySection } from './EntropySection.tsx';
import { ReportOpener, useReportDrop } from './ReportOpener.tsx';
import { SeedsSection } from './SeedsSection.tsx';
import { SweepSection } from './SweepSection.tsx';
import { useExperiment } from './use-experiment.ts';

export function ExperimentsPanel() {
  const drop = useReportDrop();
  const notice = usePlayground((s) => s.experiments.notice);
  return (
    <section className="exp-panel" data-testid="experiments" {...drop}>
      <h2 className="exp-title">Experiments: does branch weighting help?</h2>
      {notice && <p className="hint" data-testid="experiments-notice">{notice}</p>}
      <ReportOpener />
      <ExperimentBody />
    </section>
  );
}

function ExperimentBody() {
  const data = useExperiment();
  const fileAblation = data.ablation !== null;
  return (
    <div className="exp-body" data-testid="experiment-source" data-source={data.source}>
      {!fileAblation && <SeedsSection data={data} />}
      <AblationSection data={data} />
      {!fileAblation && <EntropySection data={data} />}
      {!fileAblation && <SweepSection data={data} />}
    </div>
  );
}
