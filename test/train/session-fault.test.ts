// A fault while a start is still being prepared (its pipelines compiling): the device is lost, the page is
// told at once ('error', status 'stopped'), and the start that was preparing must not go on to 'running'
// afterwards (it did: the page showed "training" under a "device lost" message). Own file: it destroys
// the test worker's device.
import { describe, expect, it } from 'vitest';
import { sessionHarness } from '../helpers/session.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import type { RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });
const spec: RunSpec = {
  id: 0, label: 'run 0', model,
  train: { seed: 7, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 50, freezeSteps: 0 },
  data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 },
  evalEvery: 0, bleuSentences: 0,
};

describe('a device lost while a start is prepared', () => {
  it('stops the session for good: no running status, no step after the error', async () => {
    const h = await sessionHarness();
    h.send({ type: 'start', runs: [spec], paused: false });
    await h.until((m) => m.type === 'compile-progress'); // preparing: the step's pipelines are being made
    h.send({ type: 'simulate-device-loss' });
    const error = await h.until<Extract<WorkerMessage, { type: 'error' }>>((m) => m.type === 'error');
    expect(error.deviceLost).toBe(true);
    // Let the start's preparation finish or fail (its GPU work was queued before the loss).
    await new Promise((r) => setTimeout(r, 3000));
    const after = h.messages.slice(h.messages.indexOf(error) + 1);
    expect(after.filter((m) => m.type === 'status').map((m) => (m as Extract<WorkerMessage, { type: 'status' }>).status)).not.toContain('running');
    expect(after.filter((m) => m.type === 'metrics')).toEqual([]);
    expect(h.of('status').at(-1)?.status).toBe('stopped');
  });
});
