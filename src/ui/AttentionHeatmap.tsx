// Cross-attention of a translation as one heatmap per branch (or head), side by side: rows are output
// tokens, columns source tokens, each cell white (p = 0) to the branch colour (p = 1); hovering a cell
// shows "out ← src: p". Pure: everything comes in through props (no GPU, no store).
import { useEffect, useRef, useState, type MouseEvent } from 'react';

export interface AttentionHeatmapProps {
  srcTokens: string[];
  outTokens: string[];
  /** One map per branch, (out, src) row-major: maps[i][o * srcTokens.length + s]. */
  maps: Float32Array[];
  /** Branch colours (src/ui/palette.ts branchColor), any CSS colour. */
  colors: string[];
  title?: string;
  /** The branch number of each map (default 0, 1, ...): a single branch's map is still "branch 3". */
  indices?: number[];
}

/** Cell side in CSS pixels: large for short sentences, at least 6 px for long ones. */
function cellSize(rows: number, cols: number): number {
  return Math.max(6, Math.min(22, Math.floor(280 / Math.max(rows, cols, 1))));
}

/** Labels are drawn only where a cell is tall enough to hold readable text. */
const MIN_LABEL_CELL = 9;

export function AttentionHeatmap({ srcTokens, outTokens, maps, colors, title, indices }: AttentionHeatmapProps) {
  const cell = cellSize(outTokens.length, srcTokens.length);
  return (
    <figure className="attention-heatmap" data-testid="attention-heatmap">
      {title && <figcaption>{title}</figcaption>}
      <div className="attention-maps">
        {maps.map((map, i) => (
          <BranchMap key={i} index={indices?.[i] ?? i} map={map} color={colors[i] ?? colors[0] ?? '#4e79a7'} src={srcTokens} out={outTokens} cell={cell} />
        ))}
      </div>
    </figure>
  );
}

interface BranchMapProps {
  index: number;
  map: Float32Array;
  color: string;
  src: string[];
  out: string[];
  cell: number;
}

function BranchMap({ index, map, color, src, out, cell }: BranchMapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ row: number; col: number } | null>(null);
  const [rows, cols] = [out.length, src.length];
  const valid = rows > 0 && cols > 0 && map.length === rows * cols;
  useEffect(() => {
    if (valid && canvas.current) drawMap(canvas.current, map, rows, cols, cell, color);
  }, [valid, map, rows, cols, cell, color]);
  const name = `branch ${index + 1}`;
  if (!valid) return <p className="empty">{name}: the map is not {rows} × {cols}.</p>;

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const col = Math.floor(((e.clientX - r.left) / r.width) * cols);
    const row = Math.floor(((e.clientY - r.top) / r.height) * rows);
    setHover(row >= 0 && row < rows && col >= 0 && col < cols ? { row, col } : null);
  };
  const labels = cell >= MIN_LABEL_CELL;
  const font = { fontSize: `${Math.min(11, cell - 2)}px` };
  return (
    <div className="attention-map" data-testid={`attention-map-${index}`}>
      <div className="attention-map-title">
        <span className="swatch" style={{ background: color }} /> {name}
      </div>
      <div className="attention-grid" style={{ gridTemplateColumns: `auto ${cols * cell}px` }}>
        <div className="attention-ylabels" style={font}>
          {labels && out.map((t, r) => <span key={r} title={t} style={{ height: cell, lineHeight: `${cell}px` }}>{t}</span>)}
        </div>
        <div className="attention-canvas" style={{ width: cols * cell, height: rows * cell }}>
          <canvas
            ref={canvas}
            role="img"
            aria-label={`${name} cross-attention`}
            style={{ width: cols * cell, height: rows * cell }}
            onMouseMove={onMove}
            onMouseLeave={() => setHover(null)}
          />
          {hover && <HoverCell {...hover} cols={cols} cell={cell} text={`${out[hover.row]} ← ${src[hover.col]}: ${map[hover.row * cols + hover.col].toFixed(3)}`} />}
        </div>
        <div />
        <div className="attention-xlabels" style={font}>
          {labels && src.map((t, c) => <span key={c} title={t} style={{ width: cell }}>{t}</span>)}
        </div>
      </div>
      <div className="attention-scale" aria-hidden="true">
        0 <span style={{ background: `linear-gradient(to right, #fff, ${color})` }} /> 1
      </div>
    </div>
  );
}

/** The outline of the hovered cell and its tooltip (under the cell, growing into the map's wider side). */
function HoverCell({ row, col, cols, cell, text }: { row: number; col: number; cols: number; cell: number; text: string }) {
  const side = col < cols / 2 ? { left: col * cell } : { right: (cols - col - 1) * cell };
  return (
    <>
      <div className="attention-cursor" style={{ left: col * cell, top: row * cell, width: cell, height: cell }} />
      <div className="attention-tooltip" role="status" style={{ ...side, top: (row + 1) * cell + 3 }}>
        {text}
      </div>
    </>
  );
}

/** Paint the map: white, then the colour at opacity p (= the linear blend white → colour). */
function drawMap(canvas: HTMLCanvasElement, map: Float32Array, rows: number, cols: number, cell: number, color: string): void {
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  canvas.width = Math.round(cols * cell * dpr);
  canvas.height = Math.round(rows * cell * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cols * cell, rows * cell);
  ctx.fillStyle = color;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      ctx.globalAlpha = Math.max(0, Math.min(1, map[r * cols + c]));
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
  }
  ctx.globalAlpha = 1;
}
