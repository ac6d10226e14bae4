// The PyTorch twin's own tests (reference/test_twin.py: against torch.nn.Transformer layers, autograd vs
// finite differences, Adam vs torch.optim.Adam, the committed fixtures are what make_fixtures.py writes)
// run with the suite, on Debian's python3-torch (installed by scripts/install-test-deps.sh).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';

describe('the PyTorch twin', () => {
  it('passes its own tests', () => {
    const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(`PyTorch is missing for ${PYTHON}: run "sudo apt-get install python3-torch" (or npm run prereqs as root).\n${probe.stderr}`);
    }
    const run = spawnSync(PYTHON, ['-m', 'unittest', 'reference/test_twin.py'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    console.log(`[twin] torch ${probe.stdout.trim()}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    expect(run.status, run.stderr).toBe(0);
  }, 300_000);
});
