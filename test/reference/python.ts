// Running the PyTorch twin's tools (reference/*.py) from the tests: /usr/bin/python3 (Debian's python3-torch,
// installed by scripts/install-test-deps.sh), one thread per process (the suite shares 2 cores), and why a
// test is skipped when PyTorch is not there.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PYTHON = '/usr/bin/python3';
export const REFERENCE = join(ROOT, 'reference');

const ENV = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };

function probe(code: string): string | null {
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  return r.status === 0 ? null : r.stderr.trim().split('\n').pop() ?? 'failed';
}

/** Why the PyTorch tests cannot run here (null: they can). */
export const NO_TORCH: string | null = (() => {
  const why = probe('import torch, torch.distributed as d; assert d.is_gloo_available(), "gloo is not available"');
  if (why === null) return null;
  const reason = `PyTorch with gloo is missing for ${PYTHON} (${why}): run "sudo apt-get install python3-torch" (or npm run prereqs as root)`;
  console.warn(`[reference] skipping: ${reason}`);
  return reason;
})();

/** Why the plain-Python tests cannot run here (null: they can). */
export const NO_PYTHON: string | null = (() => {
  const why = probe('import json, unicodedata');
  if (why !== null) console.warn(`[reference] skipping: ${PYTHON} is missing (${why})`);
  return why;
})();

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `${name}-`));
}

/** Run a reference script synchronously; throws with its output when it fails (unless `allowFail`). */
export function python(script: string, args: string[], opts: { cwd?: string; allowFail?: boolean; timeout?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(PYTHON, [join(REFERENCE, script), ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: ENV, timeout: opts.timeout ?? 240_000 });
  if (!opts.allowFail && r.status !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** train_dist.py under torchrun (reference/torchrun_compat.py) with `ranks` gloo processes. */
export function torchrun(ranks: number, args: string[], cwd?: string): SpawnSyncReturns<string> {
  return python('torchrun_compat.py', ['--standalone', '--nproc_per_node', String(ranks), join(REFERENCE, 'train_dist.py'), '--cpu', ...args], { cwd });
}

/** train_dist.py as one plain process, started asynchronously (to be signalled). */
export function trainDistProcess(args: string[]) {
  return spawn(PYTHON, [join(REFERENCE, 'train_dist.py'), '--cpu', ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}
