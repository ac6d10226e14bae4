// Page entry: the store (initial config from the URL), the training worker's client, the React tree.
// `?e2e=micro` starts from the micro configuration (end-to-end tests on a software GPU); the hash
// (#dModel=32&steps=500) carries the fields that differ, and is kept up to date for sharing.
import { lazy, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import { PlaygroundContext } from './ui/context.ts';
import { decodeHash, defaultValues, encodeHash, microValues } from './ui/schema.ts';
import { createPlaygroundStore, patchConfig, patchRun, type PlaygroundStore } from './ui/store.ts';
import { autosaveStep, readAutosave } from './ui/autosave.ts';
import type { AutosaveProbe } from './ui/ResumeOffer.tsx';
import { TrainingClient } from './ui/training-client.ts';
import './ui/styles.css';

declare global {
  interface Window {
    /** The playground's store, for tests and the console. */
    __playground?: PlaygroundStore;
    /** The worker client, for tests (e.g. simulateDeviceLoss). */
    __playgroundClient?: TrainingClient;
  }
}

const micro = new URLSearchParams(location.search).get('e2e') === 'micro';
// `?view=bench`: the side-by-side bench (ours vs TF.js), loaded on demand so TF.js stays out of this bundle.
const BenchPage = lazy(() => import('./ui/BenchView.tsx'));
const benchView = new URLSearchParams(location.search).get('view') === 'bench';
const fromHash = decodeHash(location.hash, micro ? microValues() : defaultValues());
const store = createPlaygroundStore(fromHash.values);
patchConfig(store, { hashWarnings: fromHash.warnings });
const client = new TrainingClient(store);
window.__playground = store;
window.__playgroundClient = client;

store.subscribe((state, previous) => {
  if (state.config.values === previous.config.values) return;
  history.replaceState(null, '', `${location.pathname}${location.search}${encodeHash(state.config.values)}`);
});

const root = createRoot(document.getElementById('root')!);
const render = (autosave: AutosaveProbe) =>
  root.render(
    <PlaygroundContext.Provider value={{ store, client }}>
      {benchView ? <Suspense fallback={null}><BenchPage /></Suspense> : <App autosave={autosave} />}
    </PlaygroundContext.Provider>,
  );
render(null);
// An autosave from an earlier visit is offered for resuming (or reported when it cannot be used).
if (!benchView) {
  readAutosave().then(
    (record) => {
      if (!record) return;
      patchRun(store, { autosave: { step: autosaveStep(record), savedAt: record.savedAt } });
      render({ record });
    },
    (err: unknown) => render({ problem: err instanceof Error ? err.message : String(err) }),
  );
}
