// The page header: what this is, and which GPU adapter the training worker got.
import { usePlayground } from './context.ts';
import { softwareAdapter } from './eta.ts';

export function Header() {
  return (
    <header className="header">
      <div>
        <h1>Weighted Transformer playground</h1>
        <p className="subtitle">
          Train a small translation model on your GPU and watch the branch weights κ and α of the{' '}
          <a href="https://arxiv.org/abs/1711.02132" target="_blank" rel="noreferrer">
            Weighted Transformer
          </a>{' '}
          (Ahmed, Keskar, Socher 2017) evolve in every layer.
        </p>
      </div>
      <nav className="header-nav">
        <a className="tab" href={`?view=bench${location.hash}`} data-testid="tab-bench" title="Our engine side by side with TensorFlow.js's WebGPU backend, on this GPU">
          Bench
        </a>
        <AdapterBadge />
      </nav>
    </header>
  );
}

function AdapterBadge() {
  const gpu = usePlayground((s) => s.run.gpu);
  if (gpu.state === 'probing') return <span className="badge">Looking for a WebGPU adapter…</span>;
  if (gpu.state === 'unavailable') return <span className="badge badge-bad">No WebGPU</span>;
  const software = softwareAdapter(gpu.adapter);
  if (software) {
    return (
      <span className="badge badge-warn" data-testid="adapter" data-software={software} title={`${software} runs WebGPU on the CPU: training is much slower than on a GPU. Features: ${gpu.features.join(', ') || 'none'}`}>
        Software adapter ({software}, no GPU): <strong>{gpu.adapter}</strong>
      </span>
    );
  }
  return (
    <span className="badge badge-ok" data-testid="adapter" title={gpu.features.join(', ') || 'no optional features'}>
      WebGPU adapter: <strong>{gpu.adapter}</strong>
    </span>
  );
}

/** Shown instead of the run when the worker could not get a GPU device. */
export function NoWebGpu() {
  const gpu = usePlayground((s) => s.run.gpu);
  if (gpu.state !== 'unavailable') return null;
  return (
    <div role="alert" className="alert" data-testid="no-webgpu">
      <h2>WebGPU is not available</h2>
      <p>{gpu.message}</p>
      <p>You can still set up a configuration and import a corpus; training needs a WebGPU device.</p>
    </div>
  );
}
