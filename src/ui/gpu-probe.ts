// Starts the training worker and waits for it to report the GPU adapter it acquired.
import type { WorkerMessage } from '../train/protocol.ts';

export type GpuProbe = { ok: true; adapter: string; features: string[] } | { ok: false; message: string };

export function probeBrowserGpu(): Promise<GpuProbe> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      const m = event.data;
      if (m.type === 'ready') resolve({ ok: true, adapter: m.adapter, features: m.features });
      else if (m.type === 'gpu-unavailable') resolve({ ok: false, message: m.message });
    });
    worker.addEventListener('error', (event) => resolve({ ok: false, message: `The training worker failed: ${event.message}` }));
    worker.postMessage({ type: 'hello' });
  });
}
