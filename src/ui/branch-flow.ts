// The pure part of the branch-flow diagram (BranchFlow.tsx): stroke widths from κ/α, the step since
// which a branch has been pinned at exactly 0 by the simplex projection, and the layers' order and names
// (encoder layers first, then decoder layers, as the paper's figure stacks them).

/** Stroke width (SVG user units) of a branch weight in [0, 1]; a pinned 0 keeps a hairline. */
export const MAX_STROKE = 16;
export const MIN_STROKE = 0.6;

export function strokeWidth(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return MIN_STROKE;
  return MIN_STROKE + Math.min(1, weight) * (MAX_STROKE - MIN_STROKE);
}

/**
 * The step since which `branch` has been exactly 0 in `history` (history[i] after steps[i]), or null when
 * its latest value is not 0. The projection onto the simplex sets a branch to exactly 0: it is then off.
 */
export function pinnedSince(history: readonly (readonly number[])[], steps: readonly number[], branch: number): number | null {
  let i = history.length - 1;
  if (i < 0 || history[i][branch] !== 0) return null;
  while (i > 0 && history[i - 1][branch] === 0) i--;
  return steps[i] ?? null;
}

export interface LayerName {
  side: 'enc' | 'dec';
  index: number;
  /** "Encoder layer 1 · self-attention" / "Decoder layer 1 · cross-attention". */
  title: string;
}

/** "enc.0" → encoder layer 1, whose branched block is its self-attention; "dec.0" → its cross-attention. */
export function layerName(layer: string): LayerName {
  const [side, index] = layer.split('.');
  const n = Number(index);
  if (side === 'dec') return { side: 'dec', index: n, title: `Decoder layer ${n + 1} · cross-attention` };
  return { side: 'enc', index: n, title: `Encoder layer ${n + 1} · self-attention` };
}

/** Encoder layers (in order), then decoder layers: the order the diagram stacks them. */
export function stackOrder(layers: readonly string[]): string[] {
  const key = (l: string) => {
    const { side, index } = layerName(l);
    return (side === 'enc' ? 0 : 1e6) + index;
  };
  return [...layers].sort((a, b) => key(a) - key(b));
}

/** A sparkline's points "x,y x,y ..." of values in [0, 1], thinned to at most `max` points. */
export function sparkPoints(values: readonly number[], width: number, height: number, max = 120): string {
  const n = values.length;
  if (n === 0) return '';
  const stride = Math.max(1, Math.ceil(n / max));
  const out: string[] = [];
  for (let i = 0; i < n; i += stride) out.push(point(i));
  if ((n - 1) % stride !== 0) out.push(point(n - 1));
  return out.join(' ');
  function point(i: number): string {
    const x = n === 1 ? width : (i / (n - 1)) * width;
    const v = Math.max(0, Math.min(1, values[i]));
    return `${x.toFixed(1)},${(height - v * height).toFixed(1)}`;
  }
}
