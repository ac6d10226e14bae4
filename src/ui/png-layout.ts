// The pure half of the PNG export (png-export.ts does the DOM half): where each chart goes on the canvas,
// which computed styles a chart's SVG elements need written inline to look the same outside the page,
// and the one SVG document that holds the title, the captions and every chart. No DOM here (Node-tested).

export interface Size {
  width: number;
  height: number;
}
export interface Box extends Size {
  x: number;
  y: number;
}
export interface Cell {
  row: number;
  col: number;
}

/** Index of each value's cluster (ascending); sorted values further apart than `tol` start a new one. */
function clusterIndex(values: readonly number[], tol: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const starts: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] - sorted[i - 1] > tol) starts.push(sorted[i]);
  return values.map((v) => starts.filter((s) => s <= v).length - 1);
}

/**
 * Row and column of each chart, keeping the page's arrangement: charts whose top (left) edges are within
 * `tol` px share a row (column). When two charts would share a cell (or the page gives no positions, a
 * hidden container), they fall back to reading order in a near-square grid.
 */
export function gridCells(corners: readonly { left: number; top: number }[], tol = 4): Cell[] {
  const rows = clusterIndex(corners.map((c) => c.top), tol);
  const cols = clusterIndex(corners.map((c) => c.left), tol);
  const cells = corners.map((_, i) => ({ row: rows[i], col: cols[i] }));
  if (new Set(cells.map((c) => `${c.row},${c.col}`)).size === cells.length) return cells;
  const columns = Math.ceil(Math.sqrt(corners.length));
  return corners.map((_, i) => ({ row: Math.floor(i / columns), col: i % columns }));
}

export interface GridOptions {
  /** Around the whole picture. */
  padding: number;
  /** Between rows and columns. */
  gap: number;
  /** Above the grid (0 without a title). */
  titleHeight: number;
  /** Above each chart (0 without captions). */
  captionHeight: number;
  /** The picture is at least this wide (a long title). */
  minWidth?: number;
}

export interface GridLayout extends Size {
  /** Where each chart goes (its caption sits in the `captionHeight` above). */
  tiles: Box[];
}

/** Columns as wide as their widest chart, rows as tall as their tallest (plus the caption line). */
export function gridLayout(sizes: readonly Size[], cells: readonly Cell[], o: GridOptions): GridLayout {
  if (sizes.length !== cells.length) throw new Error(`gridLayout: ${sizes.length} sizes for ${cells.length} cells`);
  const nCols = Math.max(0, ...cells.map((c) => c.col + 1));
  const nRows = Math.max(0, ...cells.map((c) => c.row + 1));
  const colWidth = new Array<number>(nCols).fill(0);
  const rowHeight = new Array<number>(nRows).fill(0);
  cells.forEach((c, i) => {
    colWidth[c.col] = Math.max(colWidth[c.col], sizes[i].width);
    rowHeight[c.row] = Math.max(rowHeight[c.row], o.captionHeight + sizes[i].height);
  });
  const offsets = (lengths: number[], start: number) => lengths.map((_, i) => start + lengths.slice(0, i).reduce((a, b) => a + b, 0) + o.gap * i);
  const colX = offsets(colWidth, o.padding);
  const rowY = offsets(rowHeight, o.padding + o.titleHeight);
  const span = (lengths: number[]) => lengths.reduce((a, b) => a + b, 0) + o.gap * Math.max(0, lengths.length - 1);
  return {
    width: Math.max(2 * o.padding + span(colWidth), o.minWidth ?? 0),
    height: 2 * o.padding + o.titleHeight + span(rowHeight),
    tiles: cells.map((c, i) => ({ x: colX[c.col], y: rowY[c.row] + o.captionHeight, width: sizes[i].width, height: sizes[i].height })),
  };
}

/**
 * The SVG properties recharts leaves to CSS (fonts come from the page, a stylesheet may colour ticks or
 * grid lines). `initial` is the value a standalone SVG image would use; null: always write it (the
 * default font differs between the page and an image).
 */
export const STYLE_PROPS: readonly { name: string; inherited: boolean; initial: string | null }[] = [
  { name: 'font-family', inherited: true, initial: null },
  { name: 'font-size', inherited: true, initial: '16px' },
  { name: 'font-weight', inherited: true, initial: '400' },
  { name: 'font-style', inherited: true, initial: 'normal' },
  { name: 'letter-spacing', inherited: true, initial: 'normal' },
  { name: 'text-anchor', inherited: true, initial: 'start' },
  { name: 'fill', inherited: true, initial: 'rgb(0, 0, 0)' },
  { name: 'fill-opacity', inherited: true, initial: '1' },
  { name: 'fill-rule', inherited: true, initial: 'nonzero' },
  { name: 'stroke', inherited: true, initial: 'none' },
  { name: 'stroke-width', inherited: true, initial: '1px' },
  { name: 'stroke-opacity', inherited: true, initial: '1' },
  { name: 'stroke-dasharray', inherited: true, initial: 'none' },
  { name: 'stroke-linecap', inherited: true, initial: 'butt' },
  { name: 'stroke-linejoin', inherited: true, initial: 'miter' },
  { name: 'visibility', inherited: true, initial: 'visible' },
  // Not inherited, or not surely so in every browser: compared with the initial value, always correct.
  { name: 'dominant-baseline', inherited: false, initial: 'auto' },
  { name: 'opacity', inherited: false, initial: '1' },
  { name: 'display', inherited: false, initial: 'inline' },
];

/**
 * The declarations ("fill:rgb(…);font-size:12px") that make one element look as on the page: a computed
 * value is written unless the standalone image would get it anyway, i.e. it equals what the element
 * inherits (the parent's computed value; the initial value at the root or for non-inherited properties)
 * and no presentation attribute of the element could say otherwise. `url(…)` paints stay as attributes.
 */
export function inlineDeclarations(own: (prop: string) => string, parent: ((prop: string) => string) | null, hasAttribute: (prop: string) => boolean, skip: readonly string[] = []): string {
  const out: string[] = [];
  for (const p of STYLE_PROPS) {
    const value = own(p.name).trim();
    if (!value || value.includes('url(') || skip.includes(p.name)) continue;
    const inherited = p.inherited && parent ? parent(p.name).trim() : p.initial;
    if (value === inherited && !hasAttribute(p.name)) continue;
    out.push(`${p.name}:${value}`);
  }
  return out.join(';');
}

/** An element's style attribute with `declarations` appended (later declarations win). */
export function mergeStyle(existing: string | null, declarations: string): string {
  const base = (existing ?? '').trim().replace(/;+$/, '');
  if (!declarations) return base;
  return base ? `${base};${declarations}` : declarations;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export interface TextSpec {
  x: number;
  /** The vertical middle of the text (dominant-baseline central). */
  y: number;
  text: string;
  fontFamily: string;
  fontSize: number;
  fontWeight?: string;
  fontStyle?: string;
  color: string;
}

/** One line of text as an SVG <text> element. */
export function textMarkup(t: TextSpec): string {
  const attrs = [
    `x="${round(t.x)}"`, `y="${round(t.y)}"`, 'dominant-baseline="central"', `font-family="${escapeXml(t.fontFamily)}"`, `font-size="${round(t.fontSize)}"`,
    `font-weight="${escapeXml(t.fontWeight ?? '400')}"`, `font-style="${escapeXml(t.fontStyle ?? 'normal')}"`, `fill="${escapeXml(t.color)}"`,
  ];
  return `<text ${attrs.join(' ')}>${escapeXml(t.text)}</text>`;
}

const round = (v: number) => Math.round(v * 100) / 100;

export interface ComposeOptions {
  /** Pixels per CSS pixel: the image's intrinsic size is the layout's times this. */
  scale: number;
  background: string;
  title?: TextSpec;
  captions?: (TextSpec | null)[];
}

/** The whole picture as one SVG document: background, title, captions, and each tile's markup (in tile coordinates). */
export function composeSvg(layout: GridLayout, tileMarkup: readonly string[], o: ComposeOptions): string {
  const { width, height } = layout;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${round(width * o.scale)}" height="${round(height * o.scale)}" viewBox="0 0 ${round(width)} ${round(height)}">`,
    `<rect x="0" y="0" width="${round(width)}" height="${round(height)}" fill="${escapeXml(o.background)}"/>`,
  ];
  if (o.title) parts.push(textMarkup(o.title));
  for (const caption of o.captions ?? []) if (caption) parts.push(textMarkup(caption));
  layout.tiles.forEach((box, i) => parts.push(`<g transform="translate(${round(box.x)} ${round(box.y)})">${tileMarkup[i] ?? ''}</g>`));
  parts.push('</svg>');
  return parts.join('\n');
}
