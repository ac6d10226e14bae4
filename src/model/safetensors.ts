// safetensors read/write (https://github.com/huggingface/safetensors): 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then raw little-endian
// data. The reader validates untrusted files before allocating anything sized by them, and refuses what
// the format's own reader refuses (tensors that do not tile the data section) and duplicate JSON keys.

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Largest JSON header we accept (the format's own reference limit is 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One header entry, checked for itself (dtype, shape, offsets within the data, size). */
interface TensorEntry {
  name: string;
  dims: number[];
  begin: number;
  end: number;
}

/** Parse and validate a safetensors file (F32 tensors only). `where` names the file in messages. */
export function readSafetensors(bytes: Uint8Array, where = 'checkpoint'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${where}: ${msg}`);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8 || headerLen > MAX_HEADER_BYTES) {
    fail(`header length ${headerLen} exceeds the file (${bytes.byteLength} bytes): not a safetensors file or truncated`);
  }
  let text = '';
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate) fail(`duplicate key "${duplicate.key}" in ${headerPlace(duplicate.path)} (a JSON reader keeps one of them silently)`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const raw = header as Record<string, unknown>;
  const metadata = parseMetadata(raw.__metadata__, fail);
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(raw)) if (name !== '__metadata__') entries.push(parseEntry(name, info, dataLen, fail));
  checkTiling(entries, dataLen, fail);
  const tensors = new Map<string, NamedTensor>();
  for (const { name, dims, begin, end } of entries) {
    const data = new Float32Array((end - begin) / 4);
    // copy: the data section need not be 4-byte aligned in memory
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { name, shape: [...dims], data });
  }
  return { tensors, metadata };
}

function parseEntry(name: string, raw: unknown, dataLen: number, fail: (msg: string) => never): TensorEntry {
  const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(`tensor "${name}": entry is not an object`);
  if (info.dtype !== 'F32') fail(`tensor "${name}": dtype ${JSON.stringify(info.dtype)} is not supported (expected "F32")`);
  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offsets = info.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const numel = dims.reduce((a, b) => a * b, 1);
  if (end < begin) fail(`tensor "${name}": data_offsets [${begin}, ${end}] are out of order (begin after end)`);
  if (end > dataLen) fail(`tensor "${name}": data_offsets [${begin}, ${end}] fall outside the ${dataLen} data bytes`);
  if (end - begin !== numel * 4) {
    fail(`tensor "${name}": shape [${dims}] needs ${numel * 4} bytes of F32 but data_offsets span ${end - begin}`);
  }
  return { name, dims, begin, end };
}

/**
 * The tensors must tile the data section exactly, in some order: no overlap, no gap, no trailing bytes.
 * This is what the safetensors crate refuses (huggingface/safetensors, safetensors/src/tensor.rs): its
 * `Metadata` sorts the entries by `data_offsets`, `validate` requires each to begin where the previous
 * one ended (`SafeTensorError::InvalidOffset(name)` otherwise, also for begin > end), and `read_metadata`
 * requires the last end to be the end of the file (`SafeTensorError::MetadataIncompleteBuffer`).
 */
function checkTiling(entries: readonly TensorEntry[], dataLen: number, fail: (msg: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev: TensorEntry | null = null;
  for (const e of sorted) {
    const at = prev ? prev.end : 0;
    const span = `data_offsets [${e.begin}, ${e.end}]`;
    if (e.begin < at) fail(`tensor "${e.name}": ${span} overlap tensor "${prev!.name}" [${prev!.begin}, ${prev!.end}]`);
    if (e.begin > at) {
      fail(`tensor "${e.name}": ${span} leave a gap: data bytes [${at}, ${e.begin}) belong to no tensor${prev ? ` (after tensor "${prev.name}")` : ''}`);
    }
    prev = e;
  }
  const last = prev ? prev.end : 0;
  if (last !== dataLen) {
    fail(`the data section has ${dataLen} bytes but the tensors end at byte ${last}: ${dataLen - last} trailing bytes belong to no tensor`);
  }
}

const headerPlace = (path: readonly string[]): string =>
  path.length === 0 ? 'the header' : path.length === 1 && path[0] === '__metadata__' ? '__metadata__' : path.length === 1 ? `the entry of tensor "${path[0]}"` : `header object ${path.join('.')}`;

const isJsonSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * The first key that occurs twice in one object of `text` (JSON that already parsed), with the keys
 * leading to that object ("[]" for an array element), or null. JSON.parse keeps the last one silently;
 * the safetensors crate's serde refuses a second `__metadata__` but lets a later tensor entry replace an
 * earlier one of the same name. Either way the file reads two ways, so we refuse every duplicate.
 */
export function findDuplicateKey(text: string): { key: string; path: string[] } | null {
  const stack: { keys: Set<string> | null; path: string[] }[] = [];
  let key: string | null = null; // the key whose value comes next
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const token = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (isJsonSpace(text[k])) k++;
      const top = stack[stack.length - 1];
      if (text[k] !== ':' || !top?.keys) continue; // a string value, not a key
      key = JSON.parse(token) as string;
      if (top.keys.has(key)) return { key, path: top.path };
      top.keys.add(key);
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === '{' ? new Set() : null, path: parent ? [...parent.path, parent.keys ? (key ?? '?') : '[]'] : [] });
      key = null;
    } else if (c === '}' || c === ']') {
      stack.pop();
      key = null;
    }
  }
  return null;
}

function parseMetadata(raw: unknown, fail: (msg: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__ value of "${k}" is not a string`);
    out[k] = v as string;
  }
  return out;
}

/** Serialize tensors (F32) and string metadata. Header padded with spaces to a multiple of 8 bytes. */
export function writeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new Error(`tensor "${t.name}": ${t.data.length} values for shape [${t.shape}]`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + numel * 4] };
    offset += numel * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
