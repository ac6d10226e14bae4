// Checkpoints as model.md says: safetensors, F32, the logical parameter keys, `__metadata__.config` the
// model config JSON; run state as allowed extras: `step`, Adam moments `adam.m.<key>` / `adam.v.<key>`,
// the training settings and the tokenizer (JSON strings in the metadata).
import { validateModelConfig, MODEL_CONFIG_KEYS, type ModelConfig } from './config.ts';
import { buildParamTable, numelOf, readParam, writeParam, type ParamTable } from './params.ts';
import { readSafetensors, writeSafetensors, SafetensorsError, type NamedTensor } from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'weighted-transformer-playground/1';

/** Metadata keys of the run state the trainers write (JSON values), besides model.md's config and step. */
export const CHECKPOINT_EXTRAS = { tokenizer: 'tokenizer', train: 'train', data: 'data', run: 'playground_run', tokensSeen: 'tokens_seen' } as const;

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
  const params = gather(table, file.tensors, '', where, true)!;
  const m = gather(table, file.tensors, 'adam.m.', where, false);
  const v = gather(table, file.tensors, 'adam.v.', where, false);
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

/** Collect `prefix + key` tensors into a flat array; null when none is present and not required. */
function gather(table: ParamTable, tensors: Map<string, NamedTensor>, prefix: string, where: string, required: boolean): Float32Array | null {
  const present = table.entries.filter((e) => tensors.has(prefix + e.key));
  if (present.length === 0 && !required) return null;
  const flat = new Float32Array(table.size);
  for (const e of table.entries) {
    const t = tensors.get(prefix + e.key);
    if (!t) throw new SafetensorsError(`${where}: missing tensor "${prefix + e.key}"`);
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new SafetensorsError(`${where}: tensor "${prefix + e.key}" has shape [${t.shape}] but the config gives [${e.shape}]`);
    }
    if (numelOf(t.shape) !== t.data.length) throw new SafetensorsError(`${where}: tensor "${t.name}" size mismatch`);
    writeParam(flat, e, t.data);
  }
  return flat;
}
