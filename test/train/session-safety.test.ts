// Nothing is replaced by a start or load that is wrong: every spec, checkpoint, tokenizer and data source is
// checked in the worker's session before the current runs are touched, and a refusal names the file and the
// problem while the current run goes on. Run settings from a checkpoint pass the form's limits; an imported
// corpus is matched by its content hash; a checkpoint at a huge step restores at once (or is refused).
import { describe, expect, it } from 'vitest';
import { sessionHarness } from '../helpers/session.ts';
import { importInWorker } from '../../src/train/session.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { corpusHash } from '../../src/data/import.ts';
import type { LoadSpec, RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });

function spec(id: number, steps: number): RunSpec {
  return {
    id, label: 'weighted', model,
    train: { seed: 7, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps, freezeSteps: 0 },
    data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 },
    evalEvery: 0, bleuSentences: 2,
  };
}

const harness = () => sessionHarness({ asTask: true });

const isStatus = (status: string) => (m: WorkerMessage) => m.type === 'status' && m.status === status;
type Answer = Extract<WorkerMessage, { type: 'accepted' | 'rejected' }>;
const answerTo = (request: number) => (m: WorkerMessage) => (m.type === 'accepted' || m.type === 'rejected') && m.request === request;

/** A checkpoint of `base` with its metadata changed by `edit` (re-encoded, weights kept). */
function edited(base: Uint8Array, edit: (extras: Record<string, unknown>) => void, step?: number): Uint8Array {
  const ckpt = decodeCheckpoint(base);
  const extras = structuredClone(ckpt.extras);
  edit(extras);
  return encodeCheckpoint({ ...ckpt, extras, step: step ?? ckpt.step });
}

/** A finished run of `steps` steps, saved: the checkpoint's bytes and the run spec stored in it. */
async function trainAndSave(h: Awaited<ReturnType<typeof harness>>, steps: number): Promise<{ saved: Uint8Array; savedSpec: RunSpec }> {
  h.send({ type: 'start', request: 1, runs: [spec(0, steps)], paused: false });
  await h.until(isStatus('done'));
  h.send({ type: 'save', runIds: [0], reason: 'download' });
  const saved = (await h.until<Extract<WorkerMessage, { type: 'checkpoint' }>>((m) => m.type === 'checkpoint')).bytes;
  return { saved, savedSpec: decodeCheckpoint(saved).extras[CHECKPOINT_EXTRAS.run] as RunSpec };
}

describe('a start or load that is wrong replaces nothing', () => {
  it('refuses bad checkpoints over a live run, naming the file, and the run goes on', async () => {
    const h = await harness();
    // A checkpoint to spoil: 3 steps of a short run.
    const { saved, savedSpec } = await trainAndSave(h, 3);

    // The live run.
    h.send({ type: 'start', request: 2, runs: [spec(0, 100_000)], paused: false });
    await h.until(answerTo(2));
    await h.until(() => h.of('metrics').at(-1)!.items.at(-1)!.step < h.lastStep() + 1 && h.messages.findIndex(answerTo(2)) < h.messages.findLastIndex((m) => m.type === 'metrics'));
    const runInfos = h.of("run-info").length;

    const bad: [string, Uint8Array, RunSpec | null, RegExp][] = [
      ['not-tensors.safetensors', new TextEncoder().encode('no'), savedSpec, /^"not-tensors\.safetensors": /],
      ['bad-tokenizer.safetensors', edited(saved, (x) => ((x[CHECKPOINT_EXTRAS.tokenizer] as { vocabSize: number }).vocabSize = 300)), savedSpec, /"bad-tokenizer\.safetensors": its tokenizer/],
      ['no-tokenizer.safetensors', edited(saved, (x) => delete x[CHECKPOINT_EXTRAS.tokenizer]), savedSpec, /"no-tokenizer\.safetensors": it has no tokenizer/],
      ['steps-abc.safetensors', saved, { ...savedSpec, train: { ...savedSpec.train, steps: 'abc' as unknown as number } }, /"steps-abc\.safetensors": run setting train\.steps must be a whole number in \[1, 1000000\], got "abc"/],
      ['dev-1.safetensors', saved, { ...savedSpec, data: { ...savedSpec.data, devPairs: -1 } }, /"dev-1\.safetensors": run setting data\.devPairs must be a whole number in \[10, 2000\], got -1/],
      ['batch-1e9.safetensors', saved, { ...savedSpec, data: { ...savedSpec.data, batchTokens: 1e9 } }, /run setting data\.batchTokens must be a whole number in \[64, 32768\], got 1000000000/],
      ['huge-step.safetensors', edited(saved, () => {}, 2e9), savedSpec, /"huge-step\.safetensors": its step 2000000000 is beyond 1000000000/],
      ['other-corpus.safetensors', saved, { ...savedSpec, data: { ...savedSpec.data, source: { kind: 'pairs', name: 'good.tsv', hash: '0123456789abcdef', pairs: [{ src: 'a b', tgt: 'b a' }] } } },
        /"other-corpus\.safetensors": it was trained on good\.tsv with hash 0123456789abcdef; the pairs given have hash [0-9a-f]{16}/],
      ['unknown-corpus.safetensors', saved, { ...savedSpec, data: { ...savedSpec.data, source: { kind: 'pairs', name: 'gone.tsv', hash: 'fedcba9876543210', pairs: [] } } }, /the imported corpus gone\.tsv \(hash fedcba9876543210\) is not loaded/],
    ];
    let request = 10;
    for (const [file, checkpoint, s, message] of bad) {
      const before = h.lastStep();
      const load: LoadSpec = { checkpoint, spec: s, id: 0, label: 'x', file };
      h.send({ type: 'load', request: ++request, runs: [load], paused: false });
      const answer = await h.until<Answer>(answerTo(request));
      expect(answer.type).toBe('rejected');
      expect((answer as Extract<Answer, { type: 'rejected' }>).message).toMatch(message);
      // The run goes on: more steps are reported, no new run was made, the session still trains.
      await h.until(() => h.lastStep() >= before + 2);
      expect(h.of('run-info').length).toBe(runInfos);
      expect(h.of('status').at(-1)!.status).toBe('running');
    }
    expect(h.of('error')).toEqual([]);
    const steps = h.of('metrics').filter((m) => h.messages.indexOf(m) > h.messages.findIndex(answerTo(2))).flatMap((m) => m.items.map((i) => i.step));
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1)); // one run, no gap, no restart

    // A good load is accepted and replaces the run.
    h.send({ type: 'load', request: 99, runs: [{ checkpoint: saved, spec: { ...savedSpec, train: { ...savedSpec.train, steps: 5 } }, id: 0, label: 'x', file: 'good.safetensors' }], paused: false });
    expect((await h.until<Answer>(answerTo(99))).type).toBe('accepted');
    await h.until((m) => isStatus('done')(m) && h.messages.indexOf(m) > h.messages.findIndex(answerTo(99)));
    h.send({ type: 'reset' });
    await h.until((m) => isStatus('idle')(m) && h.messages.indexOf(m) > h.messages.findIndex(answerTo(99)));
  }, 180_000);

  it('restores a checkpoint at step 999000 at once and trains on from 999001', async () => {
    const h = await harness();
    const { saved, savedSpec } = await trainAndSave(h, 2);
    const far = edited(saved, () => {}, 999_000);
    const t0 = performance.now();
    h.send({ type: 'load', request: 2, runs: [{ checkpoint: far, spec: { ...savedSpec, train: { ...savedSpec.train, steps: 999_003 } }, id: 0, label: 'x', file: 'far.safetensors' }], paused: false });
    expect((await h.until<Answer>(answerTo(2))).type).toBe('accepted');
    const ms = performance.now() - t0;
    console.log(`[session] a checkpoint at step 999000 accepted in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
    await h.until((m) => isStatus('done')(m) && h.messages.indexOf(m) > h.messages.findIndex(answerTo(2)));
    const after = h.of('metrics').filter((m) => h.messages.indexOf(m) > h.messages.findIndex(answerTo(2))).flatMap((m) => m.items.map((i) => i.step));
    expect(after).toEqual([999_001, 999_002, 999_003]);
    h.send({ type: 'reset' });
  }, 180_000);

  it('an imported corpus travels once and runs name it by hash; a start with bad settings is refused', async () => {
    const h = await harness();
    const pairs = Array.from({ length: 300 }, (_, i) => ({ src: `${i % 7} ${i % 5} ${i % 3}`, tgt: `${i % 3} ${i % 5} ${i % 7}` }));
    const hash = corpusHash(pairs);
    const named: RunSpec = { ...spec(0, 2), data: { ...spec(0, 2).data, source: { kind: 'pairs', name: 'good.tsv', hash, pairs: [] } } };
    h.send({ type: 'start', request: 1, runs: [named], paused: false });
    expect((await h.until<Answer>(answerTo(1))).type).toBe('rejected'); // not sent yet
    h.send({ type: 'corpus', name: 'good.tsv', hash, pairs });
    h.send({ type: 'start', request: 2, runs: [named], paused: false });
    expect((await h.until<Answer>(answerTo(2))).type).toBe('accepted');
    const info = (await h.until<Extract<WorkerMessage, { type: 'run-info' }>>((m) => m.type === 'run-info')).info;
    expect(info.spec!.data.source).toEqual({ kind: 'pairs', name: 'good.tsv', hash, pairs: [] }); // the pairs do not come back
    await h.until(isStatus('done'));
    h.send({ type: 'start', request: 3, runs: [{ ...spec(0, 2), evalEvery: -5 }], paused: false });
    const refused = await h.until<Answer>(answerTo(3));
    expect(refused).toMatchObject({ type: 'rejected', message: 'run "weighted": run setting evalEvery must be a whole number in [0, 100000], got -5' });
    h.send({ type: 'reset' });
  }, 120_000);

  it('parses a corpus file in the worker with progress; runs then name it by hash', async () => {
    const h = await harness();
    const text = Array.from({ length: 30_000 }, (_, i) => `${i % 7} ${i % 5} ${i}\t${i} ${i % 5} ${i % 7}`).join('\n') + '\nno tab here\n';
    const posted: WorkerMessage[] = [];
    importInWorker({ type: 'import', id: 4, name: 'numbers.tsv', bytes: new TextEncoder().encode(text) }, (m) => posted.push(m), h.session.corpora);
    const progress = posted.filter((m) => m.type === 'import-progress').map((m) => (m as Extract<WorkerMessage, { type: 'import-progress' }>).fraction);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(1);
    const result = posted.at(-1) as Extract<WorkerMessage, { type: 'import-result' }>;
    expect(result.type).toBe('import-result');
    expect(result.pairs).toHaveLength(30_000);
    expect(result.result.pairs).toEqual([]); // the pairs travel once
    expect(result.result.summary).toMatch(/kept 30000 pairs of 30001 lines; rejected 1/);
    expect(result.hash).toBe(corpusHash(result.pairs));
    const named: RunSpec = { ...spec(0, 2), data: { ...spec(0, 2).data, source: { kind: 'pairs', name: 'numbers.tsv', hash: result.hash!, pairs: [] } } };
    h.send({ type: 'start', request: 1, runs: [named], paused: false });
    expect((await h.until<Answer>(answerTo(1))).type).toBe('accepted');
    const info = (await h.until<Extract<WorkerMessage, { type: 'run-info' }>>((m) => m.type === 'run-info')).info;
    expect(info.trainPairs + info.devPairs).toBe(30_000);
    await h.until(isStatus('done'));
    h.send({ type: 'reset' });
  }, 120_000);
});
