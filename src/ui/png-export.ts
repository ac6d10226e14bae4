// A chart card as a PNG image: every recharts chart (svg.recharts-surface) in the container, copied with
// the computed styles it gets from the page written inline, plus the HTML drawn over it (the legend,
// symbols such as κ), laid out in the page's grid on one canvas with a title line, at `scale` pixels per
// CSS pixel on a white background. Works offline and headless: the picture is one SVG document loaded
// as an image from a blob: URL (no fonts or images to fetch, so the canvas is never tainted).
import { composeSvg, gridCells, gridLayout, inlineDeclarations, mergeStyle, textMarkup, type TextSpec } from './png-layout.ts';

export interface PngOptions {
  /** A line above the charts. */
  title?: string;
  /** Pixels per CSS pixel (default 2). */
  scale?: number;
  /** Canvas colour (default white). */
  background?: string;
  /**
   * The line above each chart when there are several. Default: from the chart up to the container, each
   * ancestor's `data-png-caption` attribute or else its first child heading (h1–h6), joined by " · ".
   */
  caption?: (chart: SVGSVGElement, index: number) => string | undefined;
}

const PADDING = 16;
const GAP = 16;
const TITLE_SIZE = 16;
const CAPTION_SIZE = 12;
const CAPTION_COLOR = '#6b7280';

export async function chartToPng(container: HTMLElement, options: PngOptions = {}): Promise<Blob> {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new Error(`chartToPng: scale must be in (0, 8], got ${scale}`);
  const charts = findCharts(container);
  if (charts.length === 0) throw new Error('chartToPng: no chart (svg.recharts-surface) in the container');
  const rects = charts.map((svg) => svg.getBoundingClientRect());
  if (rects.some((r) => r.width === 0 || r.height === 0)) throw new Error('chartToPng: a chart has no size (is it hidden?)');
  const page = getComputedStyle(container);
  const fontFamily = page.fontFamily || 'sans-serif';
  const captionOf = options.caption ?? ((svg: SVGSVGElement) => defaultCaption(svg, container));
  const captions = charts.length > 1 ? charts.map((svg, i) => captionOf(svg, i)?.trim() ?? '') : [];
  const titleHeight = options.title ? Math.round(TITLE_SIZE * 1.75) : 0;
  const captionHeight = captions.some(Boolean) ? Math.round(CAPTION_SIZE * 1.75) : 0;
  const layout = gridLayout(
    rects.map((r) => ({ width: Math.ceil(r.width), height: Math.ceil(r.height) })),
    gridCells(rects.map((r) => ({ left: r.left, top: r.top }))),
    { padding: PADDING, gap: GAP, titleHeight, captionHeight, minWidth: options.title ? textWidth(options.title, `600 ${TITLE_SIZE}px ${fontFamily}`) + 2 * PADDING : 0 },
  );
  const title: TextSpec | undefined = options.title
    ? { x: PADDING, y: PADDING + titleHeight / 2, text: options.title, fontFamily, fontSize: TITLE_SIZE, fontWeight: '600', color: page.color || '#1f2937' }
    : undefined;
  const captionSpecs = captions.map((text, i): TextSpec | null => {
    const box = layout.tiles[i];
    return text ? { x: box.x, y: box.y - captionHeight / 2, text, fontFamily, fontSize: CAPTION_SIZE, fontWeight: '600', color: CAPTION_COLOR } : null;
  });
  const tiles = charts.map((svg, i) => tileMarkup(svg, rects[i], overlayRoot(svg, charts, container)));
  const markup = composeSvg(layout, tiles, { scale, background: options.background ?? '#ffffff', title, captions: captionSpecs });
  return rasterize(markup, Math.round(layout.width * scale), Math.round(layout.height * scale), options.background ?? '#ffffff');
}

/** The charts themselves: not the legend icons or tooltip symbols (also svg.recharts-surface). */
export function findCharts(container: Element): SVGSVGElement[] {
  return [...container.querySelectorAll<SVGSVGElement>('svg.recharts-surface')].filter((svg) => !svg.closest('.recharts-legend-wrapper, .recharts-tooltip-wrapper'));
}

function defaultCaption(svg: SVGSVGElement, container: Element): string | undefined {
  const parts: string[] = [];
  for (let el = svg.parentElement; el && el !== container && container.contains(el); el = el.parentElement) {
    const explicit = el.getAttribute('data-png-caption');
    const heading = [...el.children].find((c) => /^H[1-6]$/.test(c.tagName));
    const text = explicit ?? heading?.textContent?.trim();
    if (text) parts.unshift(text);
  }
  return parts.join(' · ') || undefined;
}

/** The largest ancestor (up to the container) that holds this chart and no other: where its overlays live. */
function overlayRoot(svg: SVGSVGElement, charts: readonly SVGSVGElement[], container: Element): Element {
  let root: Element = svg;
  for (let el = svg.parentElement; el && container.contains(el); el = el.parentElement) {
    if (charts.some((c) => c !== svg && el!.contains(c))) break;
    root = el;
  }
  return root;
}

/** The chart's SVG (styles inlined) and everything drawn over it, in the chart's own coordinates. */
function tileMarkup(svg: SVGSVGElement, rect: DOMRect, root: Element): string {
  const parts = [placedClone(svg, rect, rect)];
  for (const icon of root.querySelectorAll<SVGSVGElement>('svg')) {
    if (icon === svg || svg.contains(icon) || icon.parentElement?.closest('svg') || icon.closest('.recharts-tooltip-wrapper')) continue;
    const r = icon.getBoundingClientRect();
    if (isShown(icon) && intersects(r, rect)) parts.push(placedClone(icon, r, rect));
  }
  parts.push(...overlayTexts(svg, rect, root));
  return parts.join('');
}

/** A styled copy of `svg` as markup, at its place relative to `origin` and with its on-page size. */
function placedClone(svg: SVGSVGElement, r: DOMRect, origin: DOMRect): string {
  const clone = styledClone(svg);
  clone.setAttribute('x', String(r.left - origin.left));
  clone.setAttribute('y', String(r.top - origin.top));
  clone.setAttribute('width', String(r.width));
  clone.setAttribute('height', String(r.height));
  return new XMLSerializer().serializeToString(clone);
}

/**
 * A deep copy of `svg` where each element carries, inline, the computed styles it would otherwise lose
 * (png-layout's inlineDeclarations). The root's own style (CSS box sizing, display) is replaced: as a
 * nested <svg> its place and size come from the x/y/width/height attributes.
 */
function styledClone(svg: SVGSVGElement): SVGSVGElement {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...svg.querySelectorAll('*')];
  const copies = [clone, ...clone.querySelectorAll('*')];
  originals.forEach((el, i) => {
    const own = getComputedStyle(el);
    const parent = i === 0 || !el.parentElement ? null : getComputedStyle(el.parentElement);
    const declarations = inlineDeclarations(
      (p) => own.getPropertyValue(p),
      parent && ((p) => parent.getPropertyValue(p)),
      (p) => el.hasAttribute(p),
      i === 0 ? ['display'] : [],
    );
    if (i === 0) copies[i].setAttribute('style', declarations);
    else if (declarations) copies[i].setAttribute('style', mergeStyle(copies[i].getAttribute('style'), declarations));
  });
  return clone;
}

/** HTML text over the chart (legend labels, a κ symbol) as SVG text, each at its on-page place. */
function overlayTexts(svg: SVGSVGElement, rect: DOMRect, root: Element): string[] {
  const out: string[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.textContent?.replace(/\s+/g, ' ').trim();
    if (!parent || !text || parent.closest('svg') || parent.closest('.recharts-tooltip-wrapper') || !isShown(parent) || svg.contains(parent)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || !intersects(r, rect)) continue;
    const cs = getComputedStyle(parent);
    out.push(textMarkup({
      x: r.left - rect.left, y: r.top + r.height / 2 - rect.top, text,
      fontFamily: cs.fontFamily, fontSize: parseFloat(cs.fontSize) || 12, fontWeight: cs.fontWeight, fontStyle: cs.fontStyle, color: cs.color,
    }));
  }
  return out;
}

function isShown(el: Element): boolean {
  if (typeof el.checkVisibility === 'function') return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const cs = getComputedStyle(el);
  return cs.display !== 'none' && cs.visibility !== 'hidden' && cs.opacity !== '0';
}

function intersects(a: DOMRect, b: DOMRect): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function textWidth(text: string, font: string): number {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return 0;
  ctx.font = font;
  return Math.ceil(ctx.measureText(text).width);
}

/** Draw the SVG document on a width × height canvas and encode it as PNG. */
async function rasterize(markup: string, width: number, height: number, background: string): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode().catch((err: unknown) => {
      throw new Error(`chartToPng: the chart's SVG did not load as an image (${String(err)})`);
    });
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('chartToPng: no 2D canvas context');
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('chartToPng: the canvas gave no PNG'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
