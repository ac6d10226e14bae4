// The branch-flow diagram: for every branched layer of the focused run, its input fans out into the M
// branches with strokes as wide as κ_i, and the branches flow into the sum with strokes as wide as α_i
// (TensorFlow Playground's link widths, applied to branches), live. Encoder layers are stacked above
// decoder layers as in the paper's figure; a decoder layer's plain multi-head self-attention is drawn as
// such before its branched block, the cross-attention, which its κ/α belong to (model.md). Hover or focus
// a branch: its κ, α, their history and its cross-attention map for the current translation. A branch
// pinned at exactly 0 by the projection fades out, with the step it was pinned at.
import { useRef, useState } from 'react';
import { usePlayground } from './context.ts';
import { layerName, pinnedSince, sparkPoints, stackOrder, strokeWidth } from './branch-flow.ts';
import { branchColor } from './palette.ts';
import { selectFocusMetrics, selectFocusView, type BranchSeries } from './store.ts';
import { isWeightedRun, RunPicker } from './RunPicker.tsx';
import { PngButton } from './PngButton.tsx';
import { AttentionHeatmap } from './AttentionHeatmap.tsx';
import { download } from './export.ts';

export type BranchWeight = 'kappa' | 'alpha';
export type BranchClick = (layer: string, branch: number, which: BranchWeight) => void;

const WIDTH = 400;
const X_IN = 104;
const X_BOX = 178;
const BOX_W = 74;
const X_SUM = 334;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const PINNED_OPACITY = 0.18;

interface Hovered {
  layer: string;
  branch: number;
}

export function BranchFlow({ onBranchClick }: { onBranchClick?: BranchClick }) {
  const view = usePlayground(selectFocusView);
  const runs = usePlayground((s) => s.run.runs);
  const metrics = usePlayground(selectFocusMetrics);
  const variant = usePlayground((s) => s.config.values.variant);
  const [hovered, setHovered] = useState<Hovered | null>(null);
  const ref = useRef<HTMLElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const series = stackOrder(metrics.branches.map((b) => b.layer)).map((l) => metrics.branches.find((b) => b.layer === l)!);
  const focusVariant = view?.info?.config.variant ?? (runs.length === 0 ? variant : 'weighted');
  let body;
  if (focusVariant === 'baseline') body = <p className="empty">The multi-head baseline has no branches to draw{runs.some(isWeightedRun) ? ': pick a weighted run above' : ''}.</p>;
  else if (series.length === 0 || series[0].kappa.length === 0) body = <p className="empty">Every branched layer is drawn here once the first step is done: the input fans out into the branches with strokes as wide as κ, and the branches flow into the sum with strokes as wide as α.</p>;
  else body = <FlowSvg svgRef={svgRef} series={series} steps={metrics.steps} hovered={hovered} onHover={setHovered} onBranchClick={onBranchClick} />;
  const shown = hovered && series.find((s) => s.layer === hovered.layer);
  return (
    <section className="card branch-flow" ref={ref} data-testid="branch-flow" data-run={view?.id ?? ''} aria-labelledby="branch-flow-title">
      <div className="card-head">
        <h2 id="branch-flow-title">Branches: κ in, α out</h2>
        <RunPicker only={isWeightedRun} testId="flow-run" />
        <PngButton target={ref} fileName="branch-flow.png" title={`Branch flow${view ? ` (${view.label})` : ''}`} />
        <button type="button" className="png-button" data-testid="svg-branch-flow" disabled={series.length === 0} onClick={() => svgRef.current && download('branch-flow.svg', svgDocument(svgRef.current), 'image/svg+xml')}>
          SVG
        </button>
      </div>
      {body}
      {shown ? <BranchDetail series={shown} branch={hovered.branch} steps={metrics.steps} /> : series.length > 0 && focusVariant !== 'baseline' && (
        <p className="hint flow-hint">
          Stroke width = weight (0–1). Hover, tap or Tab to a branch for its κ, α and history{onBranchClick ? '; click a stroke to mute that branch' : ''}. A branch the projection pinned at exactly 0 is switched off and fades.
        </p>
      )}
    </section>
  );
}

interface FlowProps {
  svgRef: React.RefObject<SVGSVGElement | null>;
  series: BranchSeries[];
  steps: number[];
  hovered: Hovered | null;
  onHover: (h: Hovered | null) => void;
  onBranchClick?: BranchClick;
}

function rowHeight(m: number): number {
  return m <= 4 ? 24 : m <= 8 ? 17 : 11;
}

function blockHeight(m: number): number {
  return 26 + m * rowHeight(m) + 8;
}

function FlowSvg({ svgRef, series, steps, hovered, onHover, onBranchClick }: FlowProps) {
  const heights = series.map((s) => blockHeight(s.kappa.at(-1)!.length) + 10);
  const blocks = series.map((s, i) => ({ s, top: heights.slice(0, i).reduce((a, b) => a + b, 0) }));
  const y = heights.reduce((a, b) => a + b, 0);
  return (
    <svg ref={svgRef} className="recharts-surface flow-svg" viewBox={`0 0 ${WIDTH} ${y}`} width="100%" role="group" aria-label="Branch flow of every branched layer" fontFamily={FONT} xmlns="http://www.w3.org/2000/svg">
      <rect x={0} y={0} width={WIDTH} height={y} fill="#ffffff" />
      {blocks.map(({ s, top }) => (
        <LayerFlow key={s.layer} series={s} steps={steps} top={top} hovered={hovered?.layer === s.layer ? hovered.branch : null} onHover={(b) => onHover(b === null ? null : { layer: s.layer, branch: b })} onBranchClick={onBranchClick} />
      ))}
    </svg>
  );
}

interface LayerProps {
  series: BranchSeries;
  steps: number[];
  top: number;
  hovered: number | null;
  onHover: (branch: number | null) => void;
  onBranchClick?: BranchClick;
}

function LayerFlow({ series, steps, top, hovered, onHover, onBranchClick }: LayerProps) {
  const kappa = series.kappa.at(-1)!;
  const alpha = series.alpha.at(-1)!;
  const m = kappa.length;
  const rh = rowHeight(m);
  const name = layerName(series.layer);
  const yc = top + 26 + (m * rh) / 2;
  const isDec = name.side === 'dec';
  return (
    <g data-testid={`flow-layer-${series.layer}`} data-kappa={kappa.join(',')} data-alpha={alpha.join(',')}>
      <rect x={0.5} y={top + 0.5} width={WIDTH - 1} height={blockHeight(m) - 1} rx={6} fill="#ffffff" stroke="#e2e5ea" />
      <text x={8} y={top + 16} fontSize={12} fontWeight={600} fill="#1f2937">
        {name.title}
      </text>
      <text x={WIDTH - 8} y={top + 16} fontSize={10} fill="#6b7280" textAnchor="end">width: κ in, α out</text>
      {isDec ? (
        <g data-testid={`flow-self-attention-${series.layer}`}>
          <rect x={6} y={yc - 17} width={72} height={34} rx={4} fill="#f6f7f9" stroke="#9ca3af" />
          <text x={42} y={yc - 3} fontSize={9} textAnchor="middle" fill="#374151">self-attention</text>
          <text x={42} y={yc + 9} fontSize={9} textAnchor="middle" fill="#6b7280">plain multi-head</text>
          <line x1={78} y1={yc} x2={X_IN - 6} y2={yc} stroke="#9ca3af" strokeWidth={2} />
        </g>
      ) : (
        <text x={X_IN - 10} y={yc + 4} fontSize={10} textAnchor="end" fill="#6b7280">input</text>
      )}
      <circle cx={X_IN} cy={yc} r={5} fill="#374151" />
      {kappa.map((k, b) => (
        <BranchFlowLine key={b} layer={series.layer} branch={b} kappa={k} alpha={alpha[b]} yBox={top + 26 + b * rh} rh={rh} yc={yc}
          kappaPinned={pinnedSince(series.kappa, steps, b)} alphaPinned={pinnedSince(series.alpha, steps, b)}
          hovered={hovered === b} onHover={onHover} onBranchClick={onBranchClick} />
      ))}
      <circle cx={X_SUM} cy={yc} r={11} fill="#ffffff" stroke="#374151" strokeWidth={1.5} />
      <text x={X_SUM} y={yc + 5} fontSize={14} textAnchor="middle" fill="#374151">Σ</text>
      <line x1={X_SUM + 11} y1={yc} x2={WIDTH - 22} y2={yc} stroke="#374151" strokeWidth={2} />
      <text x={WIDTH - 18} y={yc + 4} fontSize={10} fill="#6b7280">out</text>
    </g>
  );
}

interface BranchLineProps {
  layer: string;
  branch: number;
  kappa: number;
  alpha: number;
  yBox: number;
  rh: number;
  yc: number;
  kappaPinned: number | null;
  alphaPinned: number | null;
  hovered: boolean;
  onHover: (branch: number | null) => void;
  onBranchClick?: BranchClick;
}

function BranchFlowLine({ layer, branch, kappa, alpha, yBox, rh, yc, kappaPinned, alphaPinned, hovered, onHover, onBranchClick }: BranchLineProps) {
  const color = branchColor(branch);
  const yb = yBox + rh / 2;
  const off = kappaPinned ?? alphaPinned;
  const pinned = [kappaPinned !== null && 'kappa', alphaPinned !== null && 'alpha'].filter(Boolean).join(' ');
  const edge = (which: 'kappa' | 'alpha') => {
    const d = which === 'kappa'
      ? `M ${X_IN} ${yc} C ${X_IN + 40} ${yc}, ${X_BOX - 40} ${yb}, ${X_BOX} ${yb}`
      : `M ${X_BOX + BOX_W} ${yb} C ${X_BOX + BOX_W + 40} ${yb}, ${X_SUM - 40} ${yc}, ${X_SUM - 11} ${yc}`;
    const value = which === 'kappa' ? kappa : alpha;
    const since = which === 'kappa' ? kappaPinned : alphaPinned;
    return (
      <path
        d={d} fill="none" stroke={color} strokeLinecap="round" strokeWidth={strokeWidth(value)} opacity={since !== null ? PINNED_OPACITY : hovered ? 1 : 0.85}
        data-testid={`flow-${which}-${layer}-${branch}`} data-value={value} data-pinned-since={since ?? ''}
        style={onBranchClick ? { cursor: 'pointer' } : undefined}
        onClick={onBranchClick ? () => onBranchClick(layer, branch, which) : undefined}
      >
        <title>{`branch ${branch + 1}: ${which === 'kappa' ? 'κ' : 'α'} = ${value.toFixed(3)}${since !== null ? ` (pinned at 0 since step ${since})` : ''}`}</title>
      </path>
    );
  };
  const boxH = Math.max(6, rh - 5);
  return (
    <g
      className="flow-branch" tabIndex={0} role="button" data-testid={`flow-branch-${layer}-${branch}`} data-pinned={pinned}
      aria-label={`branch ${branch + 1}: κ ${kappa.toFixed(3)}, α ${alpha.toFixed(3)}${off !== null ? `, switched off since step ${off}` : ''}`}
      onMouseEnter={() => onHover(branch)} onFocus={() => onHover(branch)} onMouseLeave={() => onHover(null)}
      onKeyDown={onBranchClick ? (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        onBranchClick(layer, branch, 'kappa');
      } : undefined}
    >
      {edge('kappa')}
      {edge('alpha')}
      <rect x={X_BOX} y={yb - boxH / 2} width={BOX_W} height={boxH} rx={3} fill={hovered ? color : '#ffffff'} stroke={color} strokeWidth={hovered ? 2 : 1.2} opacity={off !== null ? 0.35 : 1} />
      {rh >= 14 && (
        <text x={X_BOX + BOX_W / 2} y={yb + 3.5} fontSize={Math.min(10, rh - 6)} textAnchor="middle" fill={hovered ? '#ffffff' : '#1f2937'}>
          {off !== null ? `off @ ${off}` : `branch ${branch + 1}`}
        </text>
      )}
    </g>
  );
}

/** The hovered branch: κ, α, their history as a sparkline, and its cross-attention map when there is one. */
function BranchDetail({ series, branch, steps }: { series: BranchSeries; branch: number; steps: number[] }) {
  const translation = usePlayground((s) => s.run.translation);
  const focus = usePlayground((s) => selectFocusView(s)?.id ?? null);
  const kappa = series.kappa.map((k) => k[branch]);
  const alpha = series.alpha.map((a) => a[branch]);
  const color = branchColor(branch);
  const name = layerName(series.layer);
  const kPinned = pinnedSince(series.kappa, steps, branch);
  const aPinned = pinnedSince(series.alpha, steps, branch);
  const att = translation.attention;
  const map = name.side === 'dec' && att && translation.runId === focus && att.layer === name.index ? att.maps[branch] : undefined;
  const W = 160, H = 36;
  return (
    <div className="flow-detail" data-testid="flow-detail" data-layer={series.layer} data-branch={branch}>
      <div>
        <strong style={{ color }}>branch {branch + 1}</strong> of {name.title.toLowerCase()}: κ = <strong data-testid="flow-detail-kappa">{kappa.at(-1)!.toFixed(3)}</strong>, α = <strong data-testid="flow-detail-alpha">{alpha.at(-1)!.toFixed(3)}</strong>
        {kPinned !== null && <span className="hint"> · κ pinned at 0 since step {kPinned} (the projection switched it off)</span>}
        {aPinned !== null && <span className="hint"> · α pinned at 0 since step {aPinned}</span>}
      </div>
      <svg width={W + 40} height={H + 14} role="img" aria-label={`history of κ and α of branch ${branch + 1} over ${steps.length} steps`} className="flow-spark">
        <rect x={0} y={0} width={W} height={H} fill="#f6f7f9" />
        <polyline points={sparkPoints(kappa, W, H)} fill="none" stroke={color} strokeWidth={1.5} />
        <polyline points={sparkPoints(alpha, W, H)} fill="none" stroke={color} strokeWidth={1.5} strokeDasharray="3 2" />
        <text x={W + 4} y={10} fontSize={9} fill="#6b7280">1</text>
        <text x={W + 4} y={H} fontSize={9} fill="#6b7280">0</text>
        <text x={0} y={H + 11} fontSize={9} fill="#6b7280">step {steps[0] ?? 0}: κ solid, α dashed</text>
        <text x={W} y={H + 11} fontSize={9} fill="#6b7280" textAnchor="end">{steps.at(-1) ?? 0}</text>
      </svg>
      {map && att ? (
        <AttentionHeatmap srcTokens={att.srcTokens} outTokens={att.outTokens} maps={[map]} colors={[color]} indices={[branch]} title={`Cross-attention of branch ${branch + 1} for the last translation`} />
      ) : name.side === 'dec' ? (
        <p className="hint">Translate a sentence (attention: decoder layer {name.index + 1}) to see this branch's cross-attention map here.</p>
      ) : null}
    </div>
  );
}

/** A standalone SVG file of the diagram (its presentation is all in attributes). */
function svgDocument(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const box = svg.viewBox.baseVal;
  copy.setAttribute('width', String(box.width * 2));
  copy.setAttribute('height', String(box.height * 2));
  copy.removeAttribute('class');
  return new XMLSerializer().serializeToString(copy);
}

