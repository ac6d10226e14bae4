// The parity tools of model.md run the real engine: init writes a loadable model, grads reproduces the
// twin's loss and gradients file, step writes parameters that load back; bad input is refused by name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, grads, step } from '../../src/cli/parity.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { maxAbs, compareClose } from '../../src/testing/compare.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'parity', 'baseline');
const args = (out: string) => ['--config', join(FIX, 'config.json'), '--weights', join(FIX, 'weights.safetensors'), '--batch', join(FIX, 'batch.json'), '--out', out];

describe('parity tools (npm run cli -- init|grads|step)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parity-cli-'));

  it('init, grads and step', async () => {
    expect(await init(['--config', join(FIX, 'config.json'), '--seed', '9', '--out', join(dir, 'w.safetensors')])).toBe(0);
    expect(decodeCheckpoint(readFileSync(join(dir, 'w.safetensors'))).config.variant).toBe('baseline');

    expect(await grads(args(join(dir, 'g.safetensors')))).toBe(0);
    const got = readSafetensors(readFileSync(join(dir, 'g.safetensors')));
    const want = readSafetensors(readFileSync(join(FIX, 'grads.safetensors')));
    for (const [name, t] of want.tensors) {
      const report = compareClose(name, got.tensors.get(name)!.data, t.data, { atol: 1e-4 * maxAbs(t.data) + 1e-12, rtol: 0 });
      expect(report.ok, report.message).toBe(true);
    }

    const stepArgs = [...args(join(dir, 'p.safetensors')), '--steps', '2', '--warmup', '4', '--kappa-warmup', '2', '--lr-scale', '1'];
    expect(await step(stepArgs)).toBe(0);
    expect(decodeCheckpoint(readFileSync(join(dir, 'p.safetensors'))).step).toBe(2);
  });

  it('refuses bad input naming the problem', async () => {
    await expect(grads([...args(join(dir, 'x')).slice(0, 6)])).rejects.toThrow(/missing --out/);
    await expect(step([...args(join(dir, 'x')), '--steps', 'two', '--warmup', '1', '--kappa-warmup', '1', '--lr-scale', '1'])).rejects.toThrow(/--steps must be an integer/);
    await expect(grads(['--config', join(FIX, 'batch.json'), '--weights', 'w', '--batch', 'b', '--out', 'o'])).rejects.toThrow(/batch.json: unknown key "src"/);
  });
});
