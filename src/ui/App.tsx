// The playground page: configuration on the left; run controls, charts, dev results and the
// translation box on the right. All state lives in the store (store.ts); the worker does the training.
import { BranchWeightsChart } from './BranchWeightsChart.tsx';
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

export function App({ autosave = null }: { autosave?: AutosaveProbe }) {
  return (
    <div className="app">
      <Header />
      <div className="layout">
        <aside className="sidebar">
          <Controls />
        </aside>
        <main className="content">
          <NoWebGpu />
          <HashWarnings />
          <ResumeOffer probe={autosave} />
          <RunBar />
          <RunError />
          <LossChart />
          <RunsTable />
          <BleuChart />
          <BranchWeightsChart />
          <div className="two-columns">
            <TranslateBox />
            <DevResults />
          </div>
        </main>
      </div>
    </div>
  );
}
