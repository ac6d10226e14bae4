// The training worker: owns the GPU device. For now it acquires the device and reports the adapter.
import { acquireBrowserGpu } from '../gpu/device.ts';
import type { PageMessage, WorkerMessage } from './protocol.ts';

const post = (message: WorkerMessage) => (self as unknown as Worker).postMessage(message);

async function start(): Promise<void> {
  try {
    const gpu = await acquireBrowserGpu();
    gpu.onFault((message) => post({ type: 'fault', message }));
    const f = gpu.features;
    const features = [f.timestampQuery && 'timestamp-query', f.shaderF16 && 'shader-f16', f.subgroups && 'subgroups'].filter(
      (x): x is string => typeof x === 'string',
    );
    post({ type: 'ready', adapter: gpu.adapterName, features });
  } catch (err) {
    post({ type: 'gpu-unavailable', message: err instanceof Error ? err.message : String(err) });
  }
}

self.addEventListener('message', (event: MessageEvent<PageMessage>) => {
  if (event.data.type === 'hello') void start();
});
