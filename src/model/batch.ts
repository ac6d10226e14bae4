// Batches as model.md defines them ("Tokens and batches"), and the batch JSON of the parity tools,
// validated: rectangular integer matrices padded with 0, ids inside the vocabulary, lengths within
// maxLen, and tgt_out PAD exactly where tgt_in is PAD.
import type { ModelConfig } from './config.ts';

export const PAD = 0, BOS = 1, EOS = 2, UNK = 3;

/** Row-major (B, S) / (B, T) token ids. */
export interface Batch {
  batch: number;
  srcLen: number;
  tgtLen: number;
  src: Int32Array;
  tgtIn: Int32Array;
  tgtOut: Int32Array;
}

export class BatchError extends Error {
  override name = 'BatchError';
}

function matrix(raw: unknown, name: string, where: string, vocab: number): { rows: number; cols: number; data: Int32Array } {
  if (!Array.isArray(raw) || raw.length === 0) throw new BatchError(`${where}: "${name}" must be a non-empty array of rows`);
  const cols = Array.isArray(raw[0]) ? raw[0].length : -1;
  if (cols <= 0) throw new BatchError(`${where}: "${name}"[0] must be a non-empty array of token ids`);
  const data = new Int32Array(raw.length * cols);
  raw.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== cols) throw new BatchError(`${where}: "${name}"[${r}] has ${Array.isArray(row) ? row.length : 'no'} ids, expected ${cols} (rows must be padded to one length)`);
    row.forEach((id: unknown, c) => {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new BatchError(`${where}: "${name}"[${r}][${c}] = ${JSON.stringify(id)} is not a token id in [0, ${vocab})`);
      }
      data[r * cols + c] = id;
    });
  });
  return { rows: raw.length, cols, data };
}

/** Parse and validate a batch JSON object against a model config. */
export function parseBatchJson(raw: unknown, config: ModelConfig, where = 'batch'): Batch {
  if (typeof raw !== 'object' || raw === null) throw new BatchError(`${where}: expected an object with "src", "tgt_in", "tgt_out"`);
  const obj = raw as Record<string, unknown>;
  const src = matrix(obj.src, 'src', where, config.vocab);
  const tgtIn = matrix(obj.tgt_in, 'tgt_in', where, config.vocab);
  const tgtOut = matrix(obj.tgt_out, 'tgt_out', where, config.vocab);
  if (tgtIn.rows !== src.rows || tgtOut.rows !== src.rows) throw new BatchError(`${where}: src, tgt_in and tgt_out must have the same number of rows`);
  if (tgtOut.cols !== tgtIn.cols) throw new BatchError(`${where}: tgt_in and tgt_out must have the same length`);
  if (src.cols > config.maxLen || tgtIn.cols > config.maxLen) throw new BatchError(`${where}: lengths S=${src.cols}, T=${tgtIn.cols} exceed maxLen ${config.maxLen}`);
  for (let i = 0; i < tgtIn.data.length; i++) {
    if ((tgtIn.data[i] === PAD) !== (tgtOut.data[i] === PAD)) {
      const r = Math.floor(i / tgtIn.cols), c = i % tgtIn.cols;
      throw new BatchError(`${where}: tgt_out[${r}][${c}] must be PAD exactly where tgt_in[${r}][${c}] is PAD`);
    }
  }
  for (let r = 0; r < src.rows; r++) {
    if (src.data[r * src.cols] === PAD) throw new BatchError(`${where}: src[${r}] is empty (starts with PAD): every source needs at least EOS`);
  }
  return { batch: src.rows, srcLen: src.cols, tgtLen: tgtIn.cols, src: src.data, tgtIn: tgtIn.data, tgtOut: tgtOut.data };
}
