// Translate a sentence with the model as it is now (greedy or beam search), while it trains.
import { useState } from 'react';
import { useClient, usePlayground } from './context.ts';
import { AttentionHeatmap } from './AttentionHeatmap.tsx';
import { branchColor } from './palette.ts';
import { RunPicker } from './RunPicker.tsx';
import { selectFocusView } from './store.ts';
import { canTranslate } from './status.ts';

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
  const [layer, setLayer] = useState(0);
  const decLayers = usePlayground((s) => selectFocusView(s)?.info?.config.decLayers ?? 0);
  const input = text ?? EXAMPLES[data] ?? '';
  const hasModel = canTranslate(status);
  const shownLayer = Math.min(layer, Math.max(0, decLayers - 1));
  return (
    <section className="card translate" data-testid="translate-box">
      <div className="card-head">
        <h2>Translate</h2>
        <RunPicker testId="translate-run" />
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          client.translate(input, beam, decLayers > 0 ? shownLayer : null);
        }}
      >
        <input data-testid="translate-input" value={input} placeholder="A sentence in the source language" onChange={(e) => setText(e.target.value)} />
        <select data-testid="translate-beam" value={beam} onChange={(e) => setBeam(Number(e.target.value))} aria-label="Decoding">
          <option value={1}>greedy</option>
          <option value={4}>beam 4</option>
        </select>
        {decLayers > 0 && (
          <select
            data-testid="attention-layer"
            value={shownLayer}
            aria-label="Cross-attention of decoder layer"
            onChange={(e) => {
              const next = Number(e.target.value);
              setLayer(next);
              // The maps on show are the old layer's: translate again at once for the chosen one.
              if (hasModel && !translation.pending && translation.output !== null && input.trim() !== '') client.translate(input, beam, next);
            }}
          >
            {Array.from({ length: decLayers }, (_, l) => (
              <option key={l} value={l}>
                attention: decoder layer {l + 1}
              </option>
            ))}
          </select>
        )}
        <button className="primary" data-testid="translate-button" disabled={!hasModel || translation.pending || input.trim() === ''}>
          Translate
        </button>
      </form>
      <TranslationOutput />
      <CrossAttention />
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

/** The cross-attention of each branch (or head) of the chosen decoder layer for the last translation. */
function CrossAttention() {
  const t = usePlayground((s) => s.run.translation);
  const label = usePlayground((s) => s.run.runs.find((r) => r.id === s.run.translation.runId)?.label ?? '');
  if (t.pending || !t.attention) return null;
  const { attention } = t;
  return (
    <div className="cross-attention" data-testid="cross-attention" data-maps={attention.maps.length} data-layer={attention.layer}>
      <AttentionHeatmap
        srcTokens={attention.srcTokens}
        outTokens={attention.outTokens}
        maps={attention.maps}
        colors={attention.maps.map((_, b) => branchColor(b))}
        title={`Cross-attention, decoder layer ${attention.layer + 1}${label ? ` (${label})` : ''}: one map per branch`}
      />
    </div>
  );
}
