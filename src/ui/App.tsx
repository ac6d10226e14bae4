// The playground page: a skip link to the run controls; configuration on the left (below the run on a
// phone); on the right the run controls, then the first screen: the loss next to the branch-flow
// diagram, then the runs table, BLEU, the κ/α history, the translation box and the dev results. All state
// lives in the store (store.ts); the worker does the training.
import { BranchWeightsChart } from './BranchWeightsChart.tsx';
import { BranchFlow } from './BranchFlow.tsx';
import { Controls } from './Controls.tsx';
import { DevResults } from './DevResults.tsx';
import { Header, NoWebGpu } from './Header.tsx';
import { LossChart } from './LossChart.tsx';
import { RunBar } from './RunBar.tsx';
import { RunError } from './RunError.tsx';
import { TranslateBox } from './TranslateBox.tsx';
import { HashWarnings } from './HashWarnings.tsx';
import { ResumeOffer, type AutosaveProbe } from './ResumeOffer.tsx';
import { RunsTable } from './RunsTable.tsx';
import { BleuChart } from './BleuChart.tsx';
import { useBranchClick } from './branch-click.ts';
import { ExperimentsPanel } from './experiments/ExperimentsPanel.tsx';

export function App({ autosave = null }: { autosave?: AutosaveProbe }) {
  const onBranchClick = useBranchClick();
  return (
    <div className="app">
      <a className="skip-link" href="#run-controls" data-testid="skip-link">
        Skip to the run controls
      </a>
      <Header />
      <div className="layout">
        <main className="content">
          <NoWebGpu />
          <HashWarnings />
          <ResumeOffer probe={autosave} />
          <RunBar />
          <RunError />
          <div className="first-screen">
            <LossChart />
            <BranchFlow onBranchClick={onBranchClick} />
          </div>
          <RunsTable />
          <BleuChart />
          <BranchWeightsChart />
          <div className="two-columns">
            <TranslateBox />
            <DevResults />
          </div>
          <ExperimentsPanel />
        </main>
        <aside className="sidebar" aria-label="Settings">
          <Controls />
        </aside>
      </div>
    </div>
  );
}
