// The in-browser kernel suite: runs a representative set of GPU-vs-reference checks on the page's own
// WebGPU device, so the browser path (bundled shaders, navigator.gpu) is proven too. Playwright reads
// window.__kernelChecks when done.
import { acquireBrowserGpu } from '../gpu/device.ts';
import { KERNEL_CHECKS, type CheckResult } from './checks.ts';

declare global {
  interface Window {
    __kernelChecks?: { adapter: string; results: CheckResult[]; done: boolean; error?: string };
  }
}

async function main(): Promise<void> {
  const log = document.getElementById('log')!;
  const state: NonNullable<Window['__kernelChecks']> = { adapter: '', results: [], done: false };
  window.__kernelChecks = state;
  try {
    const gpu = await acquireBrowserGpu();
    state.adapter = gpu.adapterName;
    log.textContent = `adapter: ${gpu.adapterName}\n`;
    for (const check of KERNEL_CHECKS) {
      let result: CheckResult;
      try {
        result = { name: check.name, ok: true, message: await check.run(gpu) };
      } catch (err) {
        result = { name: check.name, ok: false, message: err instanceof Error ? err.message : String(err) };
      }
      state.results.push(result);
      log.textContent += `${result.ok ? 'ok  ' : 'FAIL'} ${result.message}\n`;
    }
  } catch (err) {
    state.error = err instanceof Error ? err.message : String(err);
    log.textContent += `error: ${state.error}\n`;
  }
  state.done = true;
}

void main();
