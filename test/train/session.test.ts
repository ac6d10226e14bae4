// The worker's session in Node, driven by the same messages the page sends: two runs (weighted and the
// baseline) interleaved on one device on the same batches; checkpoints that restore a run which then
// reports the same dev loss and continues where it stopped; a NaN gradient stopping one run only; GPU
// time per step from timestamp queries when the adapter has them.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { Session } from '../../src/train/session.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import type { PageMessage, RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1 });

function spec(id: number, variant: 'weighted' | 'baseline', steps: number): RunSpec {
  return {
    id, label: variant, model: { ...model, variant },
    train: { seed: 7, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps, freezeSteps: 0 },
    data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 },
    evalEvery: 3, bleuSentences: 4,
  };
}

/** A session whose posted messages are recorded; `until` resolves once a message matches. */
async function harness() {
  const gpu = await testGpu();
  const messages: WorkerMessage[] = [];
  const waiters: { test: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void }[] = [];
  const session = new Session(gpu, (m) => {
    messages.push(m);
    for (const w of waiters.filter((w) => w.test(m))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const send = (m: PageMessage) => session.handle(m);
  /** The first message (already posted since the last clear, or to come) that passes `test`. */
  const until = <T extends WorkerMessage>(test: (m: WorkerMessage) => boolean) =>
    new Promise<T>((resolve) => {
      const seen = messages.find(test);
      if (seen) resolve(seen as T);
      else waiters.push({ test, resolve: resolve as (m: WorkerMessage) => void });
    });
  const of = <K extends WorkerMessage['type']>(type: K) => messages.filter((m): m is Extract<WorkerMessage, { type: K }> => m.type === type);
  return { gpu, messages, send, until, of, clear: () => messages.splice(0) };
}

const isStatus = (status: string) => (m: WorkerMessage) => m.type === 'status' && m.status === status;

describe('session', () => {
  it('trains a weighted run and the baseline interleaved on the same batches; a checkpoint restores a run exactly', async () => {
    const h = await harness();
    h.send({ type: 'start', runs: [spec(0, 'weighted', 6), spec(1, 'baseline', 6)], paused: false });
    await h.until(isStatus('done'));
    const infos = h.of('run-info').map((m) => m.info);
    expect(infos.map((i) => [i.id, i.config.variant, i.layers.length])).toEqual([[0, 'weighted', 2], [1, 'baseline', 0]]);
    const metrics = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items);
    for (const id of [0, 1]) expect(metrics(id).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Same data and seed: the same batches, token for token.
    expect(metrics(1).map((m) => m.tokens)).toEqual(metrics(0).map((m) => m.tokens));
    // Interleaved: the steps of the two runs alternate in the order they were reported.
    const order = h.of('metrics').map((m) => m.runId);
    expect(new Set(order.slice(0, 4)).size).toBe(2);
    const dev = (id: number) => h.of('dev').filter((m) => m.runId === id).map((m) => m.result);
    const trainedDev = dev(0);
    expect(trainedDev.map((d) => d.step)).toEqual([3, 6]);
    expect(h.of('run-state').filter((m) => m.state === 'done').map((m) => m.runId).sort()).toEqual([0, 1]);
    const last = h.of('metrics').filter((m) => m.runId === 0).at(-1)!;
    expect(last.rates.gpuBytes).toBeGreaterThan(0);
    expect(last.rates.tokensSeen).toBe(metrics(0).reduce((a, m) => a + m.tokens, 0));
    if (h.gpu.features.timestampQuery) expect(metrics(0).every((m) => m.gpuMs !== null && m.gpuMs > 0)).toBe(true);

    h.send({ type: 'save', runIds: [0], reason: 'download' });
    const ckpt = await h.until<Extract<WorkerMessage, { type: 'checkpoint' }>>((m) => m.type === 'checkpoint');
    expect([ckpt.runId, ckpt.step, ckpt.label]).toEqual([0, 6, 'weighted']);

    // Restore with a longer run: same dev loss at step 6, then it continues from step 7.
    h.clear();
    h.send({ type: 'load', runs: [{ checkpoint: ckpt.bytes, spec: { ...spec(0, 'weighted', 8), model: infos[0].config }, id: 0, label: 'weighted' }], paused: false });
    await h.until(isStatus('done'));
    const restored = h.of('dev').map((m) => m.result);
    expect(restored[0].step).toBe(6);
    expect(restored[0].loss).toBe(trainedDev[1].loss);
    expect(h.of('run-info')[0].info.step).toBe(6);
    expect(h.of('metrics').flatMap((m) => m.items).map((m) => m.step)).toEqual([7, 8]);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
  }, 120_000);

  it('a NaN gradient stops each poisoned run with its own message and keeps its weights; then the session stops', async () => {
    const h = await harness();
    h.send({ type: 'start', runs: [spec(0, 'weighted', 40), spec(1, 'baseline', 40)], paused: true });
    await h.until(isStatus('paused'));
    const items = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items);
    h.send({ type: 'step' });
    await h.until(() => items(0).length >= 1 && items(1).length >= 1);
    h.send({ type: 'simulate-nan' }); // poisons the next step of both runs
    h.send({ type: 'step' });
    const stopped = await h.until<Extract<WorkerMessage, { type: 'run-state' }>>((m) => m.type === 'run-state' && m.state === 'stopped');
    expect(stopped.message).toMatch(/training stopped at step 2: the gradient was NaN\/Inf; weights kept from the last good step/);
    await h.until(() => h.of('run-state').filter((m) => m.state === 'stopped').length === 2);
    const poisoned = items(stopped.runId);
    expect(poisoned.map((m) => m.nonfinite)).toEqual([false, true]);
    // The skipped update left κ/α as they were after step 1.
    if (poisoned[0].branches.length > 0) expect(poisoned[1].branches).toEqual(poisoned[0].branches);
    // Both runs got the NaN, each stopped with its own message; with no run left the session stopped.
    await h.until(isStatus('stopped'));
    expect(h.of('run-state').filter((m) => m.state === 'stopped').map((m) => m.message)).toEqual([
      expect.stringMatching(/^weighted: training stopped at step 2/), expect.stringMatching(/^baseline: training stopped at step 2/),
    ]);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
  }, 120_000);
});
