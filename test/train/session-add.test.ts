// The worker's 'add' command (the page's "new run with this change"): one more fresh run joins a session
// whose runs go on as they were; a finished session runs again for it; the same data as a fresh start of
// that spec; refusals (no session, an id in use, a bad spec) change nothing.
import { describe, expect, it } from 'vitest';
import { sessionHarness } from '../helpers/session.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import type { RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });

function spec(id: number, steps: number, dropout = 0): RunSpec {
  return {
    id, label: `run ${id}`, model: { ...model, dropout },
    train: { seed: 7, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps, freezeSteps: 0 },
    data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 },
    evalEvery: 0, bleuSentences: 0,
  };
}

const isStatus = (status: string) => (m: WorkerMessage) => m.type === 'status' && m.status === status;
const answer = (request: number) => (m: WorkerMessage) => (m.type === 'accepted' || m.type === 'rejected') && m.request === request;

describe("session 'add'", () => {
  it('adds a fresh run beside a finished one, which keeps its steps; the session runs again until both are done', async () => {
    const h = await sessionHarness();
    h.send({ type: 'start', runs: [spec(0, 3)], paused: false });
    await h.until(isStatus('done'));
    const first = h.of('metrics').filter((m) => m.runId === 0).flatMap((m) => m.items);
    expect(first.map((i) => i.step)).toEqual([1, 2, 3]);
    h.clear();
    h.send({ type: 'add', request: 5, run: spec(1, 4, 0.1) });
    expect((await h.until(answer(5))).type).toBe('accepted');
    const info = (await h.until((m) => m.type === 'run-info')) as Extract<WorkerMessage, { type: 'run-info' }>;
    expect(info.info.id).toBe(1);
    expect(info.info.config.dropout).toBe(0.1);
    await h.until(isStatus('running'));
    await h.until(isStatus('done'));
    const steps = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items.map((i) => i.step));
    expect(steps(1)).toEqual([1, 2, 3, 4]);
    expect(steps(0)).toEqual([]); // the finished run was not stepped again
    expect(h.of('run-state').filter((m) => m.state === 'done').map((m) => m.runId)).toEqual([1]);
    // The same data as run 0: its first batches carried the same target tokens.
    const added = h.of('metrics').filter((m) => m.runId === 1).flatMap((m) => m.items);
    expect(added.slice(0, 3).map((i) => i.tokens)).toEqual(first.map((i) => i.tokens));
  });

  it('refuses an id in use, a bad spec and an add with no session, and changes nothing', async () => {
    const h = await sessionHarness();
    h.send({ type: 'add', request: 1, run: spec(0, 3) });
    const none = await h.until(answer(1));
    expect(none).toMatchObject({ type: 'rejected', message: expect.stringContaining('no runs') });
    h.send({ type: 'start', runs: [spec(0, 2)], paused: true });
    await h.until(isStatus('paused'));
    h.send({ type: 'add', request: 2, run: spec(0, 3) });
    expect(await h.until(answer(2))).toMatchObject({ type: 'rejected', message: expect.stringContaining('already in use') });
    h.send({ type: 'add', request: 3, run: { ...spec(1, 3), model: { ...model, dModel: 18 } } });
    expect((await h.until(answer(3))).type).toBe('rejected');
    expect(h.of('run-info').map((m) => m.info.id)).toEqual([0]);
    // Paused stays paused: the added run waits for resume like the others.
    h.send({ type: 'add', request: 4, run: spec(1, 3) });
    expect((await h.until(answer(4))).type).toBe('accepted');
    await h.until((m) => m.type === 'run-info' && m.info.id === 1);
    expect(h.of('status').at(-1)!.status).toBe('paused');
    expect(h.of('metrics')).toEqual([]);
  });
});
