// Page Visibility: training pauses while the tab is hidden (a background tab keeps the GPU busy for
// nothing you can watch) and resumes when it is shown again, unless the user ticks "keep training in a
// background tab". Only a pause this component made is resumed; a pause the user made stays.
import { useEffect, useRef, useState } from 'react';
import { useClient, usePlaygroundStore } from './context.ts';

export function BackgroundPause() {
  const client = useClient();
  const store = usePlaygroundStore();
  const [keepGoing, setKeepGoing] = useState(false);
  const pausedByUs = useRef(false);
  useEffect(() => {
    const changed = () => {
      const { status } = store.getState().run;
      if (document.visibilityState === 'hidden') {
        if (keepGoing || status !== 'running') return;
        pausedByUs.current = true;
        client.pause();
      } else if (pausedByUs.current) {
        pausedByUs.current = false;
        if (status === 'paused' || status === 'pausing') resumeWhenPaused();
      }
    };
    // The resume is sent once the pause has settled ('pausing' → 'paused').
    const resumeWhenPaused = () => {
      if (store.getState().run.status === 'paused') return client.start();
      const stop = store.subscribe((s) => {
        if (s.run.status === 'pausing') return;
        stop();
        if (s.run.status === 'paused') client.start();
      });
    };
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, [client, store, keepGoing]);
  return (
    <label className="inline background-pause" title="Without it, training pauses while this tab is hidden and resumes when you come back">
      <input type="checkbox" data-testid="keep-training-hidden" checked={keepGoing} onChange={(e) => setKeepGoing(e.target.checked)} /> keep training in a background tab
    </label>
  );
}
