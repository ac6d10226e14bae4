// Test-only page content for e2e/png-export.spec.ts (bundled there with Vite, not part of the app):
// real recharts charts shaped like the playground's cards, independent of the app's chart components.
// #single: one 600×280 line chart with a legend; its grid lines get their colour from a stylesheet only
// (so it survives the export only if computed styles are inlined). #grid: two layer cards side by side,
// κ above α in each, with a "κ"/"α" symbol drawn over each chart in HTML. #empty: no chart.
import { useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { CartesianGrid, Legend, Line, LineChart, XAxis, YAxis } from 'recharts';
import { PngButton } from '../src/ui/PngButton.tsx';
import { chartToPng } from '../src/ui/png-export.ts';

export const COLORS = { raw: '#1d4ed8', smoothed: '#f97316', grid: 'rgb(0, 200, 0)', symbol: 'rgb(220, 0, 220)', title: '#1f2937' } as const;

const CSS = `
  body { margin: 0; font-family: system-ui, sans-serif; font-size: 14px; color: ${COLORS.title}; }
  .card { margin: 12px; padding: 12px; border: 1px solid #ddd; width: 640px; }
  #single .recharts-cartesian-grid line { stroke: ${COLORS.grid}; stroke-width: 2px; }
  .layers { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  .weights { position: relative; width: 240px; }
  .symbol { position: absolute; right: 6px; top: 0; font-weight: 700; font-size: 18px; color: ${COLORS.symbol}; }
`;

const rows = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 5 * Math.exp(-i / 15) + 0.3 * Math.sin(i), smoothed: 5 * Math.exp(-i / 15) }));
const weights = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, b0: 0.5 + 0.004 * i, b1: 0.5 - 0.004 * i }));

function Single() {
  const ref = useRef<HTMLElement>(null);
  return (
    <section className="card" id="single" ref={ref}>
      <h2>Loss</h2>
      <PngButton target={ref} fileName="loss.png" title="Training loss" />
      <LineChart width={600} height={280} data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
        <CartesianGrid stroke="#cccccc" />
        <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 12 }} />
        <YAxis tick={{ fontSize: 12 }} width={48} />
        <Legend />
        <Line name="training loss" dataKey="loss" stroke={COLORS.raw} dot={false} isAnimationActive={false} />
        <Line name="smoothed" dataKey="smoothed" stroke={COLORS.smoothed} strokeWidth={3} dot={false} isAnimationActive={false} />
      </LineChart>
    </section>
  );
}

function Panel({ symbol }: { symbol: string }) {
  return (
    <div className="weights">
      <span className="symbol">{symbol}</span>
      <LineChart width={240} height={110} data={weights} margin={{ top: 4, right: 6, bottom: 0, left: -24 }}>
        <CartesianGrid stroke="#f1f5f9" />
        <XAxis dataKey="step" type="number" hide />
        <YAxis domain={[0, 1]} ticks={[0, 0.5, 1]} tick={{ fontSize: 10 }} />
        <Line dataKey="b0" stroke={COLORS.raw} dot={false} isAnimationActive={false} />
        <Line dataKey="b1" stroke={COLORS.smoothed} dot={false} isAnimationActive={false} />
      </LineChart>
    </div>
  );
}

function Grid() {
  return (
    <section className="card" id="grid">
      <h2>Branch weights</h2>
      <div className="layers">
        {['Encoder layer 1', 'Decoder layer 1'].map((layer) => (
          <div key={layer} className="layer">
            <h3>{layer}</h3>
            <Panel symbol="κ" />
            <Panel symbol="α" />
          </div>
        ))}
      </div>
    </section>
  );
}

function Empty() {
  const ref = useRef<HTMLElement>(null);
  return (
    <section className="card" id="empty" ref={ref}>
      <p>The loss appears here once the first step is done.</p>
      <PngButton target={ref} fileName="empty.png" />
    </section>
  );
}

declare global {
  interface Window {
    pngHarness?: { chartToPng: typeof chartToPng; colors: typeof COLORS };
  }
}

const style = document.createElement('style');
style.textContent = CSS;
document.head.append(style);
const root = document.createElement('div');
document.body.append(root);
createRoot(root).render(
  <>
    <Single />
    <Grid />
    <Empty />
  </>,
);
window.pngHarness = { chartToPng, colors: COLORS };
