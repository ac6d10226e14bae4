// The worker's session in Node, driven by the same messages the page sends: two runs (weighted and the
// baseline) interleaved on one device on the same batches; checkpoints that restore a run which then
// reports the same dev loss and continues where it stopped; a NaN gradient stopping one run only; GPU
// time per step from timestamp queries when the adapter has them. Pause, single step and reset are stops:
// nothing is reported after 'paused' (or 'resetting'), and a checkpoint saved while paused is the last
// reported step, its stored κ/α mapping to the reported (effective) ones. Start/Reset cycles give the
// device's GPU memory back exactly.
import { describe, expect, it } from 'vitest';
import { sessionHarness } from '../helpers/session.ts';
import { validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { buildParamTable, readParam } from '../../src/model/params.ts';
import type { RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1 });

function spec(id: number, variant: 'weighted' | 'baseline', steps: number, weighting: ModelConfig['weighting'] = 'projected'): RunSpec {
  return {
    id, label: variant, model: { ...model, variant, weighting },
    train: { seed: 7, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps, freezeSteps: 0 },
    data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 },
    evalEvery: 3, bleuSentences: 4,
  };
}

const harness = () => sessionHarness();

const isStatus = (status: string) => (m: WorkerMessage) => m.type === 'status' && m.status === status;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Checkpoint = Extract<WorkerMessage, { type: 'checkpoint' }>;

/** model.md "How kappa and alpha are kept on the simplex": the weights that multiply the branches. */
function effective(weighting: ModelConfig['weighting'], stored: Float32Array): number[] {
  if (weighting === 'uniform') return Array.from(stored, () => 1 / stored.length);
  if (weighting === 'projected') return Array.from(stored);
  const max = Math.max(...stored);
  const e = Array.from(stored, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

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

  it('pause, single step and reset are stops: nothing is reported after them; a checkpoint saved while paused is the step shown', async () => {
    const h = await harness();
    const runs = [spec(0, 'weighted', 400, 'softmax'), spec(1, 'weighted', 400, 'uniform'), spec(2, 'baseline', 400)];
    for (const r of runs) r.evalEvery = 0;
    h.send({ type: 'start', runs, paused: false });
    const items = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items);
    const lastStep = (id: number) => items(id).at(-1)?.step ?? 0;
    await h.until(() => runs.every((r) => items(r.id).length >= 3));
    const metricsSoFar = () => h.of('metrics').length;
    const afterStatus = (status: string) => {
      const at = h.messages.findLastIndex(isStatus(status));
      return h.messages.slice(at + 1).filter((m) => m.type === 'metrics').length;
    };

    // Pause: 'pausing' at once, 'paused' once the steps in flight have reported; nothing after it.
    h.send({ type: 'pause' });
    const paused = await h.until<Extract<WorkerMessage, { type: 'status' }>>(isStatus('paused'));
    const statuses = h.of('status').map((m) => m.status);
    expect(statuses.slice(-2)).toEqual(['pausing', 'paused']);
    await sleep(500);
    expect(afterStatus('paused')).toBe(0);
    const shown = runs.map((r) => lastStep(r.id));
    console.log(`[session] paused at steps ${shown.join(', ')} (status step ${paused.step})`);
    expect(paused.step).toBe(Math.max(...shown));
    // Every step of every run reported, in order (the pause may fall between two runs of a round).
    for (const [i, r] of runs.entries()) expect(items(r.id).map((m) => m.step)).toEqual(Array.from({ length: shown[i] }, (_, k) => k + 1));
    expect(Math.max(...shown) - Math.min(...shown)).toBeLessThanOrEqual(1);

    // A checkpoint saved while paused is the last reported step; its stored κ/α, mapped as model.md says,
    // are the reported ones (the reported ones are effective: not converted a second time).
    const before = metricsSoFar();
    h.send({ type: 'save', runIds: null, reason: 'download' });
    await h.until(() => h.of('checkpoint').length === runs.length);
    expect(metricsSoFar()).toBe(before);
    for (const ckpt of h.of('checkpoint') as Checkpoint[]) {
      expect(ckpt.step).toBe(lastStep(ckpt.runId));
      const decoded = decodeCheckpoint(ckpt.bytes);
      expect(decoded.step).toBe(ckpt.step);
      const table = buildParamTable(decoded.config);
      const reported = items(ckpt.runId).at(-1)!.branches;
      expect(reported.map((b) => b.layer)).toEqual(decoded.config.variant === 'weighted' ? ['enc.0', 'dec.0'] : []);
      for (const b of reported) {
        for (const name of ['kappa', 'alpha'] as const) {
          const want = effective(decoded.config.weighting, readParam(decoded.params, table.byKey.get(`${b.layer}.${name}`)!));
          expect(b[name].length).toBe(want.length);
          b[name].forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
          expect(b[name].reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
        }
      }
      if (decoded.config.weighting === 'uniform' && reported.length > 0) expect(reported[0].kappa).toEqual([0.25, 0.25, 0.25, 0.25]);
    }

    // Step: 'stepping', one step of every run, 'paused' once reported; nothing after it.
    h.send({ type: 'step' });
    await h.until(() => h.of('status').length > statuses.length && h.of('status').at(-1)!.status === 'paused');
    expect(h.of('status').slice(statuses.length).map((m) => m.status)).toEqual(['stepping', 'paused']);
    expect(runs.map((r) => lastStep(r.id))).toEqual(shown.map((x) => x + 1));
    await sleep(300);
    expect(afterStatus('paused')).toBe(0);
    h.send({ type: 'save', runIds: [0], reason: 'download' });
    await h.until(() => h.of('checkpoint').length === runs.length + 1);
    expect((h.of('checkpoint').at(-1) as Checkpoint).step).toBe(lastStep(0));

    // Reset while running: nothing is reported after 'resetting'; 'idle' once the runs are freed.
    h.send({ type: 'resume' });
    await h.until(() => lastStep(0) >= shown[0] + 4);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
    await sleep(300);
    expect(afterStatus('resetting')).toBe(0);
    expect(h.of('status').slice(-2).map((m) => m.status)).toEqual(['resetting', 'idle']);
  }, 120_000);

  it('ten Start/Reset cycles (two runs, evaluations, a translation, a checkpoint) give the GPU memory back exactly', async () => {
    const h = await harness();
    const live = () => ({ bytes: h.gpu.memory.liveBytes, buffers: h.gpu.memory.liveBuffers });
    const start = live();
    const figures = [`before ${start.bytes} B (${start.buffers} buffers)`];
    for (let cycle = 1; cycle <= 10; cycle++) {
      h.clear();
      const runs = [spec(0, 'weighted', 40), spec(1, 'baseline', 40)];
      for (const r of runs) r.evalEvery = 2;
      const items = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items);
      h.send({ type: 'start', runs, paused: cycle % 2 === 0 });
      if (cycle % 2 === 0) {
        await h.until(isStatus('paused'));
        h.send({ type: 'step' });
        h.send({ type: 'step' });
        await h.until(() => items(0).length >= 2 && items(1).length >= 2);
      } else {
        await h.until(() => items(0).length >= 3 && items(1).length >= 3);
      }
      expect(live().bytes).toBeGreaterThan(start.bytes);
      if (cycle === 3) {
        h.send({ type: 'translate', id: 1, runId: 0, text: '3 1 4', beam: 2, attentionLayer: 0 });
        await h.until((m) => m.type === 'translation');
      }
      if (cycle === 4) {
        h.send({ type: 'save', runIds: null, reason: 'download' });
        await h.until(() => h.of('checkpoint').length === 2);
      }
      h.send({ type: 'reset' });
      const idle = await h.until<Extract<WorkerMessage, { type: 'status' }>>(isStatus('idle'));
      const after = live();
      figures.push(`cycle ${cycle}: ${after.bytes} B (${after.buffers} buffers)`);
      expect(idle.memory).toEqual({ liveBytes: after.bytes, liveBuffers: after.buffers });
      expect(after).toEqual(start);
    }
    console.log(`[session] GPU memory (device, liveBytes): ${figures.join('; ')}`);
  }, 300_000);
});
