// Dev-set evaluations: dev loss and BLEU (greedy, on the first dev sentences) and a few translations.
import { usePlayground } from './context.ts';
import { RunPicker } from './RunPicker.tsx';
import { selectFocusMetrics } from './store.ts';

export function DevResults() {
  const dev = usePlayground((s) => selectFocusMetrics(s).dev);
  const last = dev[dev.length - 1];
  return (
    <section className="card dev" data-testid="dev-results" data-evaluations={dev.length}>
      <div className="card-head">
        <h2>Dev set</h2>
        <RunPicker testId="dev-run" />
      </div>
      {!last ? (
        <p className="empty">Dev loss and BLEU appear at each evaluation (see “Dev eval every”).</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th>step</th>
                <th>dev loss</th>
                <th>BLEU</th>
              </tr>
            </thead>
            <tbody>
              {dev.slice(-5).reverse().map((d) => (
                <tr key={d.step}>
                  <td>{d.step}</td>
                  <td>{d.loss.toFixed(3)}</td>
                  <td title={`${d.sentences} sentences, greedy`}>{d.bleu.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ul className="samples">
            {last.samples.map((s, i) => (
              <li key={i}>
                <div className="sample-src">{s.src}</div>
                <div className="sample-hyp">→ {s.hyp || '∅'}</div>
                <div className="sample-ref">reference: {s.ref}</div>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
