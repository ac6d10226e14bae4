// The parity tools of model.md run the real engine: init writes a loadable model, grads reproduces the
// twin's loss and gradients file, step writes parameters that load back; bad input is refused by name.
// Each odd-shape fixture (one per weighting, see test/fixtures/parity/README.md) goes through the CLI entry
// points too: grads' `loss` and gradients, step's 5 losses and parameters against the twin's files.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, grads, step } from '../../src/cli/parity.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { maxAbs, compareClose } from '../../src/testing/compare.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parity');
const FIX = join(FIXTURES, 'baseline');
const argsIn = (fix: string, out: string) => ['--config', join(fix, 'config.json'), '--weights', join(fix, 'weights.safetensors'), '--batch', join(fix, 'batch.json'), '--out', out];
const args = (out: string) => argsIn(FIX, out);

/**
 * Every tensor of `want` is in `got` and within 1e-4 of the tensor's largest magnitude (bk: of max(that, 1e-2));
 * returns the failures and the worst deviation relative to its tensor's largest magnitude, bk apart.
 */
function compareFiles(got: Map<string, { data: Float32Array }>, want: Map<string, { data: Float32Array }>, bkFloor: boolean) {
  const failures: string[] = [];
  let worst = { dev: 0, name: '-' };
  for (const [name, t] of want) {
    const have = got.get(name);
    if (!have) {
      failures.push(`${name}: missing`);
      continue;
    }
    // After steps, bk is 0 in the engine and f64 noise amplified by Adam in the twin (see parity.test.ts).
    const scale = bkFloor && name.endsWith('.bk') ? Math.max(maxAbs(t.data), 1e-2) : maxAbs(t.data);
    const report = compareClose(name, have.data, t.data, { atol: 1e-4 * scale + 1e-12, rtol: 0 });
    if (!report.ok) failures.push(report.message);
    const dev = report.maxAbsError / (maxAbs(t.data) || 1);
    if (!name.endsWith('.bk') && dev > worst.dev) worst = { dev, name };
  }
  return { failures, worst: `${worst.dev.toExponential(1)} (${worst.name})` };
}

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

describe.each(['odd-baseline', 'odd-projected', 'odd-softmax', 'odd-uniform'])('parity tools on the %s fixture', (name) => {
  const fix = join(FIXTURES, name);
  const dir = mkdtempSync(join(tmpdir(), `parity-cli-${name}-`));
  afterEach(() => vi.restoreAllMocks());

  it('grads writes the twin\'s loss and every gradient, and reports its token count', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await grads(argsIn(fix, join(dir, 'g.safetensors')))).toBe(0);
    const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
    log.mockRestore();
    const got = readSafetensors(readFileSync(join(dir, 'g.safetensors')));
    const want = readSafetensors(readFileSync(join(fix, 'grads.safetensors')));
    expect([...got.tensors.keys()].sort()).toEqual([...want.tensors.keys()].sort());
    const loss = want.tensors.get('loss')!.data[0];
    console.log(`[parity-cli] ${name}: loss ${got.tensors.get('loss')!.data[0]} (twin ${loss}); ${printed.split('\n').find((l) => l.startsWith('loss')) ?? printed}`);
    // Soft: a wrong loss or count still lets the gradients be checked.
    expect.soft(Math.abs(got.tensors.get('loss')!.data[0] - loss), 'loss').toBeLessThanOrEqual(1e-4 * loss);
    expect.soft(printed).toContain(`over ${want.metadata.tokens} target tokens`);
    const { failures, worst } = compareFiles(got.tensors, new Map([...want.tensors].filter(([n]) => n !== 'loss')), false);
    console.log(`[parity-cli] ${name} grads: worst ${worst} of its tensor's max`);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('step --steps 5 writes the twin\'s parameters and losses', async () => {
    const want = readSafetensors(readFileSync(join(fix, 'step5.safetensors')));
    const m = want.metadata;
    const out = join(dir, 'p.safetensors');
    const stepArgs = ['--steps', m.steps, '--warmup', m.warmup, '--kappa-warmup', m.kappaWarmup, '--lr-scale', m.lrScale, '--freeze-steps', m.freezeSteps];
    expect(await step([...argsIn(fix, out), ...stepArgs])).toBe(0);
    const ckpt = decodeCheckpoint(readFileSync(out));
    expect(ckpt.step).toBe(Number(m.steps));
    const twinLosses = JSON.parse(m.losses) as number[];
    const losses = ckpt.extras.losses as number[];
    expect(losses).toHaveLength(twinLosses.length);
    losses.forEach((l, i) => expect.soft(Math.abs(l - twinLosses[i]), `loss before step ${i + 1}`).toBeLessThanOrEqual(1e-4 * twinLosses[i]));
    const { failures, worst } = compareFiles(readSafetensors(readFileSync(out)).tensors, want.tensors, true);
    console.log(`[parity-cli] ${name} step: losses ${losses.map((l) => l.toFixed(6)).join(', ')}; params worst ${worst} of its tensor's max`);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
