// Page entry: the store (initial config from the URL), the training worker's client, the React tree.
// `?e2e=micro` starts from the micro configuration (end-to-end tests on a software GPU); the hash
// (#dModel=32&steps=500) carries the fields that differ, and is kept up to date for sharing.
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import { PlaygroundContext } from './ui/context.ts';
import { decodeHash, defaultValues, encodeHash, microValues } from './ui/schema.ts';
import { createPlaygroundStore, type PlaygroundStore } from './ui/store.ts';
import { TrainingClient } from './ui/training-client.ts';
import './ui/styles.css';

declare global {
  interface Window {
    /** The playground's store, for tests and the console. */
    __playground?: PlaygroundStore;
  }
}

const micro = new URLSearchParams(location.search).get('e2e') === 'micro';
const store = createPlaygroundStore(decodeHash(location.hash, micro ? microValues() : defaultValues()));
const client = new TrainingClient(store);
window.__playground = store;

store.subscribe((state, previous) => {
  if (state.config.values === previous.config.values) return;
  history.replaceState(null, '', `${location.pathname}${location.search}${encodeHash(state.config.values)}`);
});

createRoot(document.getElementById('root')!).render(
  <PlaygroundContext.Provider value={{ store, client }}>
    <App />
  </PlaygroundContext.Provider>,
);
