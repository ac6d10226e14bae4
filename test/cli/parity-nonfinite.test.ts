// The parity tools never pass off a non-finite result as a good one: `step` whose parameters (read back
// from the GPU) hold a NaN/Inf, or whose trainer halted on a NaN/Inf, exits 1 naming the tensor and index
// (or the step); `grads` with a NaN loss exits 1; weights with a NaN are refused before anything runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grads, step } from '../../src/cli/parity.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { buildParamTable, readParam, writeParam } from '../../src/model/params.ts';
import { SafetensorsError } from '../../src/model/safetensors.ts';
import { Trainer } from '../../src/train/trainer.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'parity', 'baseline');
const config = validateModelConfig(JSON.parse(readFileSync(join(FIX, 'config.json'), 'utf8')));
const table = buildParamTable(config);
const dir = mkdtempSync(join(tmpdir(), 'parity-nonfinite-'));
const args = (out: string, weights = join(FIX, 'weights.safetensors')) =>
  ['--config', join(FIX, 'config.json'), '--weights', weights, '--batch', join(FIX, 'batch.json'), '--out', out];
const stepArgs = (lrScale: string) => ['--steps', '3', '--warmup', '4', '--kappa-warmup', '2', '--lr-scale', lrScale];

/** The fixture's weights with tensor `key` changed by `edit`, written to a file of its own. */
function editedWeights(name: string, key: string, edit: (t: Float32Array) => void): string {
  const ckpt = decodeCheckpoint(readFileSync(join(FIX, 'weights.safetensors')), 'weights', config);
  const e = table.byKey.get(key)!;
  const t = readParam(ckpt.params, e);
  edit(t);
  writeParam(ckpt.params, e, t);
  const path = join(dir, name);
  writeFileSync(path, encodeCheckpoint(ckpt));
  return path;
}

/** Run a tool capturing what it prints: exit code, stdout and stderr. */
async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = await run();
    const text = (spy: typeof log) => spy.mock.calls.map((c) => c.join(' ')).join('\n');
    return { code, out: text(log), err: text(error) };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('parity tools and non-finite values', () => {
  afterEach(() => vi.restoreAllMocks());

  it('step --lr-scale 1e40 exits 1 and says what went non-finite', async () => {
    const out = join(dir, 'p.safetensors');
    const { code, out: printed, err } = await captured(() => step([...args(out), ...stepArgs('1e40')]));
    console.log(`[parity-nonfinite] step --lr-scale 1e40: exit ${code}; ${printed}\n  stderr: ${err}`);
    expect(code).toBe(1);
    // Either the parameters went NaN/Inf (named), or the trainer's guard halted before they could (the step named).
    expect(err).toMatch(/^after 3 steps: tensor "[\w.]+" has (NaN|Inf|-Inf) at index \[\d+(, \d+)*\] \(flat \d+\)|^step 1 of 3 was not applied/);
    expect(err).toContain(out);
  });

  it('step: a NaN in the parameters read back is named with its index, and the file says so when loaded', async () => {
    const original = Trainer.prototype.checkpoint;
    vi.spyOn(Trainer.prototype, 'checkpoint').mockImplementation(async function (this: Trainer, extras) {
      const ckpt = await original.call(this, extras);
      const e = table.byKey.get('dec.1.ffn.w2')!; // (F, D) = (32, 16): [1, 3] is flat 19
      const t = readParam(ckpt.params, e);
      t[19] = NaN;
      writeParam(ckpt.params, e, t);
      return ckpt;
    });
    const out = join(dir, 'nan.safetensors');
    const { code, err } = await captured(() => step([...args(out), ...stepArgs('1')]));
    expect(code).toBe(1);
    expect(err).toBe(`after 3 steps: tensor "dec.1.ffn.w2" has NaN at index [1, 3] (flat 19); ${out} holds these values, for inspection (it will not load as a checkpoint)`);
    expect(() => decodeCheckpoint(readFileSync(out), 'nan.safetensors')).toThrow('nan.safetensors: tensor "dec.1.ffn.w2" has NaN at index [1, 3] (flat 19)');
  });

  it('step at a sane learning rate still exits 0 and prints nothing on stderr', async () => {
    const { code, err } = await captured(() => step([...args(join(dir, 'ok.safetensors')), ...stepArgs('1')]));
    expect(code).toBe(0);
    expect(err).toBe('');
  });

  it('grads with a NaN loss (finite but overflowing weights) exits 1', async () => {
    const weights = editedWeights('huge.safetensors', 'embed', (t) => t.forEach((x, i) => (t[i] = x * 1e30)));
    const out = join(dir, 'g.safetensors');
    const { code, out: printed, err } = await captured(() => grads(args(out, weights)));
    expect(printed).toMatch(/^loss NaN over 15 target tokens/);
    expect(code).toBe(1);
    expect(err).toBe(`grads: the loss is NaN; ${out} holds these values, for inspection`);
  });

  it('weights with a NaN are refused before anything runs, naming the tensor and index', async () => {
    const weights = editedWeights('nan-weights.safetensors', 'enc.1.attn.wk', (t) => (t[2 * 16 + 5] = NaN));
    const bad = grads(args(join(dir, 'never.safetensors'), weights));
    await expect(bad).rejects.toThrow(SafetensorsError);
    await expect(bad).rejects.toThrow(`${weights}: tensor "enc.1.attn.wk" has NaN at index [2, 5] (flat 37)`);
  });
});
