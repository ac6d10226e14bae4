// Checkpoints as model.md says: safetensors, F32, the logical parameter keys, `__metadata__.config` the
// model config JSON; run state as allowed extras: `step`, Adam moments `adam.m.<key>` / `adam.v.<key>`,
// the training settings and the tokenizer (JSON strings in the metadata).
import { validateModelConfig, MODEL_CONFIG_KEYS, type ModelConfig } from './config.ts';
import { buildParamTable, numelOf, readParam, writeParam, type ParamEntry, type ParamTable } from './params.ts';
import { findDuplicateKey, readSafetensors, writeSafetensors, SafetensorsError, type NamedTensor } from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'weighted-transformer-playground/1';

/** Metadata keys of the run state the trainers write (JSON values), besides model.md's config and step. */
export const CHECKPOINT_EXTRAS = { tokenizer: 'tokenizer', train: 'train', data: 'data', run: 'playground_run', tokensSeen: 'tokens_seen', history: 'playground_history' } as const;

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
}

/** What a checkpoint holds, with parameters and moments as flat arrays in the table's layout. */
export interface Checkpoint {
  config: ModelConfig;
  params: Float32Array;
  step: number;
  adam?: AdamState;
  /** Free-form JSON (training settings, tokenizer, ...), stored as metadata strings. */
  extras: Record<string, unknown>;
}

export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const table = buildParamTable(ckpt.config);
  const tensors: NamedTensor[] = [];
  const push = (prefix: string, flat: Float32Array) => {
    for (const e of table.entries) tensors.push({ name: prefix + e.key, shape: e.shape, data: readParam(flat, e) });
  };
  push('', ckpt.params);
  if (ckpt.adam) {
    push('adam.m.', ckpt.adam.m);
    push('adam.v.', ckpt.adam.v);
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(pickConfig(ckpt.config)),
    step: String(ckpt.step),
  };
  for (const [k, v] of Object.entries(ckpt.extras)) metadata[k] = JSON.stringify(v);
  return writeSafetensors(tensors, metadata);
}

/**
 * The same checkpoint with more metadata extras (JSON values; a key already there is replaced): the
 * header is rewritten, the tensor data copied as is. The page adds its metrics history this way.
 */
export function withCheckpointExtras(bytes: Uint8Array, extras: Record<string, unknown>, where = 'checkpoint'): Uint8Array {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  readSafetensors(bytes, where); // validates the header and the data layout before anything is copied
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  const metadata = { ...((header.__metadata__ as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(extras)) metadata[k] = JSON.stringify(v);
  let json = new TextEncoder().encode(JSON.stringify({ ...header, __metadata__: metadata }));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const data = bytes.subarray(8 + headerLen);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function pickConfig(c: ModelConfig): ModelConfig {
  const out: Record<string, unknown> = {};
  for (const k of MODEL_CONFIG_KEYS) out[k] = c[k];
  return out as unknown as ModelConfig;
}

/**
 * Parse and validate a checkpoint. With `expected`, a config that differs is refused naming the key.
 * Throws SafetensorsError naming the first problem; nothing is allocated before the header checks out.
 */
export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint', expected?: ModelConfig): Checkpoint {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${where}: ${msg}`);
  };
  const file = readSafetensors(bytes, where);
  const config = checkpointConfig(file.metadata.config, where, expected);
  const table = buildParamTable(config);
  const params = gather(table, file.tensors, '', fail, true)!;
  const m = gather(table, file.tensors, 'adam.m.', fail, false);
  const v = gather(table, file.tensors, 'adam.v.', fail, false);
  if ((m === null) !== (v === null)) fail('Adam moments are incomplete (adam.m.* and adam.v.* must both be present)');
  for (const name of file.tensors.keys()) {
    const key = name.replace(/^adam\.[mv]\./, '');
    if (!table.byKey.has(key)) fail(`unexpected tensor "${name}" (not a parameter of this config)`);
  }
  const step = file.metadata.step === undefined ? 0 : Number(file.metadata.step);
  if (!Number.isInteger(step) || step < 0) fail(`__metadata__.step "${file.metadata.step}" is not a non-negative integer`);
  const extras: Record<string, unknown> = {};
  for (const [k, text] of Object.entries(file.metadata)) {
    if (k === 'config' || k === 'step' || k === 'format') continue;
    try {
      extras[k] = JSON.parse(text);
    } catch {
      extras[k] = text; // foreign metadata (e.g. "generated_by") is kept as a plain string
    }
  }
  return { config, params, step, adam: m && v ? { m, v } : undefined, extras };
}

/**
 * The config in the header, checked against `expected` when given. A weights file without a config in
 * its metadata is accepted only when the caller supplies the config (the parity tools' --config).
 */
function checkpointConfig(text: string | undefined, where: string, expected?: ModelConfig): ModelConfig {
  if (text === undefined) {
    if (expected) return expected;
    throw new SafetensorsError(`${where}: no "config" in __metadata__ (model.md requires the model config there)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SafetensorsError(`${where}: __metadata__.config is not valid JSON`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) throw new SafetensorsError(`${where}: __metadata__.config has the key "${duplicate.key}" twice`);
  const config = validateModelConfig(raw, `${where}: __metadata__.config`);
  if (expected) {
    for (const k of MODEL_CONFIG_KEYS) {
      if (expected[k] !== config[k]) {
        throw new SafetensorsError(`${where}: config "${k}" is ${JSON.stringify(config[k])} but the run expects ${JSON.stringify(expected[k])}`);
      }
    }
  }
  return config;
}

/**
 * Collect `prefix + key` tensors into a flat array; null when none is present and not required. Each
 * tensor's values are checked (checkValues) before anything trains on them.
 */
function gather(table: ParamTable, tensors: Map<string, NamedTensor>, prefix: string, fail: (msg: string) => never, required: boolean): Float32Array | null {
  const present = table.entries.filter((e) => tensors.has(prefix + e.key));
  if (present.length === 0 && !required) return null;
  const flat = new Float32Array(table.size);
  for (const e of table.entries) {
    const t = tensors.get(prefix + e.key);
    if (!t) fail(`missing tensor "${prefix + e.key}"`);
    const { shape, data } = t!;
    if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
      fail(`tensor "${prefix + e.key}" has shape [${shape}] but the config gives [${e.shape}]`);
    }
    if (numelOf(shape) !== data.length) fail(`tensor "${prefix + e.key}" size mismatch`);
    const problem = checkValues(prefix, e, data, table.config);
    if (problem) fail(problem);
    writeParam(flat, e, data);
  }
  return flat;
}

/** Tolerance on sum(kappa) = 1 for `projected`: float32 rounding of the projection is far below it. */
export const SIMPLEX_TOLERANCE = 1e-4;

/**
 * What is wrong with the values of tensor `prefix + e.key`, or null: every value finite; Adam's second
 * moments (averages of squared gradients) not negative; for `weighting: projected` the stored kappa/alpha
 * on the probability simplex (model.md "How kappa and alpha are kept on the simplex"). For `softmax` they
 * are logits (any finite value); for `uniform` they are ignored.
 */
export function checkValues(prefix: string, e: ParamEntry, data: ArrayLike<number>, config: ModelConfig): string | null {
  const name = prefix + e.key;
  const nonFinite = nonFiniteMessage(name, e.shape, data);
  if (nonFinite) return nonFinite;
  if (prefix === 'adam.v.') {
    const i = Array.prototype.findIndex.call(data, (x: number) => x < 0);
    if (i >= 0) return `tensor "${name}" has ${data[i]} at index [${indexIn(e.shape, i).join(', ')}] (flat ${i}): Adam second moments cannot be negative`;
  }
  if (prefix === '' && e.group === 'branch' && config.weighting === 'projected') {
    const i = Array.prototype.findIndex.call(data, (x: number) => x < 0);
    if (i >= 0) return `tensor "${name}" is not on the simplex: entry [${i}] is ${data[i]} (weighting projected)`;
    let sum = 0;
    for (let j = 0; j < data.length; j++) sum += data[j];
    if (!(Math.abs(sum - 1) <= SIMPLEX_TOLERANCE)) {
      return `tensor "${name}" is not on the simplex: sums to ${Number(sum.toPrecision(6))}, not 1 within ${SIMPLEX_TOLERANCE} (weighting projected)`;
    }
  }
  return null;
}

/** The first NaN/Inf of a tensor with its index (and how many there are), or null when all are finite. */
export function nonFiniteMessage(name: string, shape: readonly number[], data: ArrayLike<number>): string | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    if (first < 0) first = i;
    count++;
  }
  if (first < 0) return null;
  const x = data[first];
  const what = Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  const more = count > 1 ? `; ${count} of its ${data.length} values are not finite` : '';
  return `tensor "${name}" has ${what} at index [${indexIn(shape, first).join(', ')}] (flat ${first})${more}`;
}

/** The first non-finite value among the logical tensors of a flat array (`prefix` names them), or null. */
export function findNonFinite(table: ParamTable, flat: Float32Array, prefix = ''): string | null {
  for (const e of table.entries) {
    const problem = nonFiniteMessage(prefix + e.key, e.shape, readParam(flat, e));
    if (problem) return problem;
  }
  return null;
}

/** Row-major multi-index of flat element `flat` of a tensor of `shape`. */
function indexIn(shape: readonly number[], flat: number): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return out;
}
