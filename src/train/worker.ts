// The training worker: owns the GPU device. On 'hello' it acquires the device and reports the adapter
// (or why there is none); every later command goes to the run loop in session.ts.
import { acquireBrowserGpu } from '../gpu/device.ts';
import type { PageMessage, WorkerMessage } from './protocol.ts';
import { importInWorker, Session } from './session.ts';

const post = (message: WorkerMessage) => (self as unknown as Worker).postMessage(message);

let session: Promise<Session | null> | null = null;

async function acquire(): Promise<Session | null> {
  try {
    const gpu = await acquireBrowserGpu();
    const f = gpu.features;
    const features = [f.timestampQuery && 'timestamp-query', f.shaderF16 && 'shader-f16', f.subgroups && 'subgroups'].filter(
      (x): x is string => typeof x === 'string',
    );
    const { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupsPerDimension } = gpu.limits;
    const limits = { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupsPerDimension };
    post({ type: 'ready', adapter: gpu.adapterName, features, memory: { liveBytes: gpu.memory.liveBytes, liveBuffers: gpu.memory.liveBuffers }, limits });
    return new Session(gpu, post);
  } catch (err) {
    post({ type: 'gpu-unavailable', message: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

self.addEventListener('message', (event: MessageEvent<PageMessage>) => {
  const message = event.data;
  session ??= acquire();
  if (message.type === 'import') {
    // At once, with or without a device (the report is useful either way); the session gets the corpus.
    const corpora = new Map<string, { name: string; pairs: { src: string; tgt: string }[] }>();
    importInWorker(message, post, corpora);
    for (const [hash, c] of corpora) void session.then((s) => s?.handle({ type: 'corpus', name: c.name, hash, pairs: c.pairs }));
    return;
  }
  // Commands before the device is ready wait for it, in order; without a device they are dropped
  // (the page has been told WebGPU is unavailable).
  void session.then((s) => {
    try {
      s?.handle(message);
    } catch (err) {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err), deviceLost: false });
    }
  });
});
