// The model contract is versioned with the code: docs/spec/model.md must equal the shared copy the team
// works from (../shared/spec/model.md next to the checkout; absent in a plain clone, then skipped), and
// the README and the twin point at the copy in the repository.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED = join(ROOT, '..', 'shared', 'spec', 'model.md');
const OURS = join(ROOT, 'docs', 'spec', 'model.md');

describe('the model contract in the repository', () => {
  it.skipIf(!existsSync(SHARED))('docs/spec/model.md is identical to ../shared/spec/model.md', () => {
    const ours = readFileSync(OURS, 'utf8'), shared = readFileSync(SHARED, 'utf8');
    if (ours !== shared) {
      const a = ours.split('\n'), b = shared.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(`docs/spec/model.md differs from ../shared/spec/model.md from line ${line + 1}:\n  ours:   ${a[line]}\n  shared: ${b[line]}\nCopy the shared file over ours (cp ../shared/spec/model.md docs/spec/model.md).`);
    }
  });

  it('the README and the PyTorch twin link the repository copy', () => {
    expect(existsSync(OURS)).toBe(true);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('](docs/spec/model.md)');
    expect(readFileSync(join(ROOT, 'reference', 'README.md'), 'utf8')).toContain('docs/spec/model.md');
  });
});
