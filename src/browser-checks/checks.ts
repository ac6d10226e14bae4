// The kernel checks the browser runs: each uploads seeded inputs, runs the GPU kernel, compares it with
// the CPU reference and returns the validator's message (throws on mismatch).
import type { Gpu } from '../gpu/device.ts';
import { createTensor, readTensor, uploadTensor } from '../gpu/tensor.ts';
import { runDispatches } from '../gpu/kernel.ts';
import { compareClose } from '../testing/compare.ts';
import { randomF32 } from '../testing/random.ts';
import * as elementwise from '../gpu/kernels/elementwise.ts';
import * as elementwiseRef from '../reference/elementwise.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
}

export interface KernelCheck {
  name: string;
  run(gpu: Gpu): Promise<string>;
}

function verdict(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string {
  const report = compareClose(name, actual, expected, { atol, rtol });
  if (!report.ok) throw new Error(report.message);
  return report.message;
}

export const KERNEL_CHECKS: KernelCheck[] = [
  {
    name: 'residual add 7x13x5',
    async run(gpu) {
      const n = 7 * 13 * 5;
      const a = randomF32(n, 1), b = randomF32(n, 2);
      const out = createTensor(gpu, [n]);
      await runDispatches(gpu, [elementwise.residualAdd(gpu, out, uploadTensor(gpu, a, [n]), uploadTensor(gpu, b, [n]))]);
      return verdict('residual add', await readTensor(gpu, out), elementwiseRef.residualAdd(a, b), 1e-6, 1e-6);
    },
  },
];
