// React access to the playground: the store (read with one selector per field) and the worker client.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { PlaygroundState, PlaygroundStore } from './store.ts';
import type { TrainingClient } from './training-client.ts';

export interface Playground {
  store: PlaygroundStore;
  client: TrainingClient;
}

export const PlaygroundContext = createContext<Playground | null>(null);

function usePlaygroundContext(): Playground {
  const playground = useContext(PlaygroundContext);
  if (!playground) throw new Error('usePlayground: no PlaygroundContext provider above this component');
  return playground;
}

/** One field of the store; the selector must return a stored value (not a new object). */
export function usePlayground<T>(selector: (state: PlaygroundState) => T): T {
  return useStore(usePlaygroundContext().store, selector);
}

export function useClient(): TrainingClient {
  return usePlaygroundContext().client;
}

export function usePlaygroundStore(): PlaygroundStore {
  return usePlaygroundContext().store;
}
