// Placeholder page until the playground UI lands: acquires a GPU device in the page and says which
// adapter it got, or explains what is missing.
import { useEffect, useState } from 'react';
import { probeBrowserGpu, type GpuProbe } from './gpu-probe.ts';
import { CorpusImport } from './CorpusImport.tsx';

export function App() {
  const [probe, setProbe] = useState<GpuProbe | null>(null);
  const [corpus, setCorpus] = useState<{ name: string; pairs: number }>({ name: 'built-in English→German corpus', pairs: 20000 });
  useEffect(() => {
    probeBrowserGpu().then(setProbe);
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '2rem auto', lineHeight: 1.5 }}>
      <h1>Weighted Transformer playground</h1>
      {probe === null && <p>Looking for a WebGPU adapter…</p>}
      {probe?.ok && (
        <p data-testid="adapter">
          WebGPU adapter: <strong>{probe.adapter}</strong> ({probe.features.join(', ') || 'no optional features'})
        </p>
      )}
      <p data-testid="corpus-in-use">
        Corpus in use: <strong>{corpus.name}</strong> ({corpus.pairs} training pairs)
      </p>
      <CorpusImport onAccept={(pairs, name) => setCorpus({ name, pairs: pairs.length })} />
      {probe && !probe.ok && (
        <div role="alert" data-testid="no-webgpu">
          <h2>WebGPU is not available</h2>
          <p>{probe.message}</p>
        </div>
      )}
    </main>
  );
}
