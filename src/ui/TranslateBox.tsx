// Translate a sentence with the model as it is now (greedy or beam search), while it trains.
import { useState } from 'react';
import { useClient, usePlayground } from './context.ts';

const EXAMPLES: Record<string, string> = {
  'en-de': 'The famous king learns a song.',
  'de-en': 'Der berühmte König lernt ein Lied.',
  copy: '3 14 15 9 26',
  reverse: '3 14 15 9 26',
  imported: '',
};

export function TranslateBox() {
  const client = useClient();
  const data = usePlayground((s) => s.config.values.data);
  const status = usePlayground((s) => s.run.status);
  const translation = usePlayground((s) => s.run.translation);
  const [text, setText] = useState<string | null>(null);
  const [beam, setBeam] = useState(1);
  const input = text ?? EXAMPLES[data] ?? '';
  const hasModel = status === 'running' || status === 'paused' || status === 'done' || status === 'stopped';
  return (
    <section className="card translate" data-testid="translate-box">
      <h2>Translate</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          client.translate(input, beam);
        }}
      >
        <input data-testid="translate-input" value={input} placeholder="A sentence in the source language" onChange={(e) => setText(e.target.value)} />
        <select data-testid="translate-beam" value={beam} onChange={(e) => setBeam(Number(e.target.value))} aria-label="Decoding">
          <option value={1}>greedy</option>
          <option value={4}>beam 4</option>
        </select>
        <button className="primary" data-testid="translate-button" disabled={!hasModel || translation.pending || input.trim() === ''}>
          Translate
        </button>
      </form>
      <TranslationOutput />
      {!hasModel && <p className="hint">Start (or Step) a run to get a model to translate with.</p>}
    </section>
  );
}

function TranslationOutput() {
  const t = usePlayground((s) => s.run.translation);
  if (t.id === 0) return null;
  const text = t.pending ? '…' : t.error ? t.error : t.output === '' ? '(empty: the model ended the sentence at once)' : t.output;
  return (
    <p className={`translation-output${t.error ? ' error-text' : ''}`} data-testid="translate-output" data-output={t.output ?? ''} data-pending={t.pending}>
      {text}
      {!t.pending && !t.error && <span className="hint"> · {t.ms.toFixed(0)} ms</span>}
    </p>
  );
}
