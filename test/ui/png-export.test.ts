// The pure half of the PNG export (png-layout.ts): the grid kept from the page, the layout sizes, which
// computed styles get written inline, the composed SVG document; and pngSize, the tests' PNG header reader.
// The DOM half (chartToPng in Chromium) is covered by e2e/png-export.spec.ts.
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pngSize } from '../../src/testing/png.ts';
import { composeSvg, escapeXml, gridCells, gridLayout, inlineDeclarations, mergeStyle, textMarkup } from '../../src/ui/png-layout.ts';

const opts = { padding: 16, gap: 10, titleHeight: 0, captionHeight: 0 };

describe('gridCells', () => {
  it('keeps the page arrangement: equal tops share a row, equal lefts a column (within the tolerance)', () => {
    // Two layer cards side by side, κ above α in each (the branch-weights card), in DOM order.
    const corners = [{ left: 20, top: 100 }, { left: 20.5, top: 230 }, { left: 300, top: 101 }, { left: 299, top: 231 }];
    expect(gridCells(corners)).toEqual([{ row: 0, col: 0 }, { row: 1, col: 0 }, { row: 0, col: 1 }, { row: 1, col: 1 }]);
  });

  it('one chart is one cell; a column of charts stays a column', () => {
    expect(gridCells([{ left: 5, top: 7 }])).toEqual([{ row: 0, col: 0 }]);
    expect(gridCells([{ left: 0, top: 0 }, { left: 0, top: 120 }, { left: 0, top: 240 }]).map((c) => c.row)).toEqual([0, 1, 2]);
  });

  it('charts at the same place (a hidden container) fall back to reading order in a near-square grid', () => {
    const zero = Array.from({ length: 5 }, () => ({ left: 0, top: 0 }));
    expect(gridCells(zero)).toEqual([{ row: 0, col: 0 }, { row: 0, col: 1 }, { row: 0, col: 2 }, { row: 1, col: 0 }, { row: 1, col: 1 }]);
  });
});

describe('gridLayout', () => {
  it('one chart: the chart plus padding, and the title line above', () => {
    const layout = gridLayout([{ width: 600, height: 280 }], [{ row: 0, col: 0 }], { ...opts, titleHeight: 28 });
    expect(layout).toEqual({ width: 632, height: 280 + 32 + 28, tiles: [{ x: 16, y: 16 + 28, width: 600, height: 280 }] });
  });

  it('columns as wide as their widest chart, rows as tall as their tallest plus the caption', () => {
    const sizes = [{ width: 200, height: 100 }, { width: 150, height: 120 }, { width: 220, height: 90 }, { width: 100, height: 80 }];
    const cells = [{ row: 0, col: 0 }, { row: 0, col: 1 }, { row: 1, col: 0 }, { row: 1, col: 1 }];
    const layout = gridLayout(sizes, cells, { ...opts, titleHeight: 28, captionHeight: 20 });
    expect(layout.width).toBe(16 + 220 + 10 + 150 + 16);
    expect(layout.height).toBe(16 + 28 + (20 + 120) + 10 + (20 + 90) + 16);
    expect(layout.tiles).toEqual([
      { x: 16, y: 16 + 28 + 20, width: 200, height: 100 },
      { x: 16 + 220 + 10, y: 16 + 28 + 20, width: 150, height: 120 },
      { x: 16, y: 16 + 28 + 140 + 10 + 20, width: 220, height: 90 },
      { x: 246, y: 214, width: 100, height: 80 },
    ]);
  });

  it('a long title widens the picture; sizes and cells must pair up', () => {
    expect(gridLayout([{ width: 100, height: 50 }], [{ row: 0, col: 0 }], { ...opts, minWidth: 400 }).width).toBe(400);
    expect(() => gridLayout([{ width: 1, height: 1 }], [], opts)).toThrow(/1 sizes for 0 cells/);
  });
});

/** Computed styles as a lookup, for inlineDeclarations. */
const styles = (s: Record<string, string>) => (p: string) => s[p] ?? '';

describe('style inlining', () => {
  const page = { 'font-family': 'system-ui, "Segoe UI", sans-serif', 'font-size': '14px', fill: 'rgb(0, 0, 0)', stroke: 'none', 'stroke-width': '1px', opacity: '1', display: 'inline' };

  it('the root gets the page font (a standalone image would fall back to its own default)', () => {
    expect(inlineDeclarations(styles(page), null, () => false)).toBe('font-family:system-ui, "Segoe UI", sans-serif;font-size:14px');
  });

  it('a child writes only what it does not inherit, plus any value that overrides its own attribute', () => {
    const tick = { ...page, 'font-size': '12px', fill: 'rgb(102, 102, 102)', 'text-anchor': 'middle' };
    expect(inlineDeclarations(styles(tick), styles(page), () => false)).toBe('font-size:12px;text-anchor:middle;fill:rgb(102, 102, 102)');
    // CSS said stroke #e5e7eb over an attribute: the attribute alone would be wrong outside the page.
    const grid = { ...page, stroke: 'rgb(229, 231, 235)' };
    expect(inlineDeclarations(styles(grid), styles(grid), (p) => p === 'stroke')).toBe('stroke:rgb(229, 231, 235)');
    expect(inlineDeclarations(styles(page), styles(page), () => false)).toBe('');
  });

  it('non-inherited properties compare with their initial value; url() paints and skipped names stay out', () => {
    expect(inlineDeclarations(styles({ ...page, opacity: '0.5', display: 'none' }), styles(page), () => false)).toBe('opacity:0.5;display:none');
    expect(inlineDeclarations(styles({ ...page, fill: 'url("#grad")' }), styles(page), () => true)).not.toMatch(/fill/);
    expect(inlineDeclarations(styles({ ...page, display: 'block' }), null, () => false, ['display'])).not.toMatch(/display/);
  });

  it('mergeStyle appends to an existing style attribute', () => {
    expect(mergeStyle(null, 'fill:red')).toBe('fill:red');
    expect(mergeStyle('stroke: blue; ', 'fill:red')).toBe('stroke: blue;fill:red');
    expect(mergeStyle('stroke: blue;', '')).toBe('stroke: blue');
  });
});

describe('composeSvg', () => {
  it('one SVG document: scaled intrinsic size, background, escaped title, each tile translated to its box', () => {
    const layout = gridLayout([{ width: 100, height: 50 }, { width: 80, height: 50 }], [{ row: 0, col: 0 }, { row: 0, col: 1 }], { ...opts, titleHeight: 28, captionHeight: 20 });
    const title = { x: 16, y: 30, text: 'Loss <D=16> & "κ"', fontFamily: 'system-ui, "Segoe UI"', fontSize: 16, fontWeight: '600', color: '#1f2937' };
    const svg = composeSvg(layout, ['<svg id="a"/>', '<svg id="b"/>'], { scale: 2, background: '#ffffff', title, captions: [null, { ...title, text: 'Decoder layer 1', y: 70 }] });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="444" height="260" viewBox="0 0 222 130">/);
    expect(svg).toContain('<rect x="0" y="0" width="222" height="130" fill="#ffffff"/>');
    expect(svg).toContain('>Loss &lt;D=16&gt; &amp; &quot;κ&quot;</text>');
    expect(svg).toContain('font-family="system-ui, &quot;Segoe UI&quot;"');
    expect(svg).toContain('>Decoder layer 1</text>');
    expect(svg).toContain('<g transform="translate(16 64)"><svg id="a"/></g>');
    expect(svg).toContain('<g transform="translate(126 64)"><svg id="b"/></g>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('textMarkup centres the line on y; escapeXml covers the five XML specials', () => {
    expect(textMarkup({ x: 1.234, y: 5, text: 'a', fontFamily: 'serif', fontSize: 12, color: 'red' }))
      .toBe('<text x="1.23" y="5" dominant-baseline="central" font-family="serif" font-size="12" font-weight="400" font-style="normal" fill="red">a</text>');
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

/** A minimal valid PNG (8-bit greyscale, one filter byte per row) with real CRCs. */
function encodePng(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => (bytes.reduce((c, b) => crcTable[(c ^ b) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(Array.from(type, (c) => c.charCodeAt(0)), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const raw = new Uint8Array((width + 1) * height).fill(255);
  for (let y = 0; y < height; y++) raw[y * (width + 1)] = 0;
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('pngSize', () => {
  it('reads width and height from the IHDR chunk', () => {
    expect(pngSize(encodePng(3, 2))).toEqual({ width: 3, height: 2 });
    expect(pngSize(encodePng(1264, 680))).toEqual({ width: 1264, height: 680 });
    // A view into a larger buffer (as a Node Buffer slice would be).
    const png = encodePng(7, 5);
    const padded = new Uint8Array(png.length + 10);
    padded.set(png, 10);
    expect(pngSize(padded.subarray(10))).toEqual({ width: 7, height: 5 });
  });

  it('throws on what is not a PNG', () => {
    expect(() => pngSize(new Uint8Array(4))).toThrow(/too short/);
    const jpeg = new Uint8Array(32);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0]);
    expect(() => pngSize(jpeg)).toThrow(/not a PNG \(the first bytes are ff d8 ff e0/);
    const noIhdr = encodePng(3, 2);
    noIhdr[12] = 'X'.charCodeAt(0);
    expect(() => pngSize(noIhdr)).toThrow(/"XHDR" of 13 bytes, not IHDR/);
    const empty = encodePng(3, 2);
    empty.fill(0, 16, 20);
    expect(() => pngSize(empty)).toThrow(/invalid size 0×2/);
  });
});
