// The size of a PNG image from its header, for tests of image downloads: the 8-byte signature, then the
// IHDR chunk (length 13, type "IHDR", width and height as big-endian u32). Throws on anything else.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) throw new Error(`pngSize: ${bytes.length} bytes is too short for a PNG header`);
  const found = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error(`pngSize: not a PNG (the first bytes are ${found})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR') throw new Error(`pngSize: the first chunk is "${type}" of ${view.getUint32(8)} bytes, not IHDR of 13`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw new Error(`pngSize: invalid size ${width}×${height}`);
  return { width, height };
}
