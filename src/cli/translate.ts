// `npm run cli -- translate --checkpoint F.safetensors [--input F.txt] [--beam K] [--length-penalty A]
// [--max-len N]`: one source sentence per line (stdin without --input) to one translation per line on
// stdout, and nothing else there (adapter, truncations and timing go to stderr). The checkpoint's own
// tokenizer encodes and decodes; an empty line stays an empty line, so outputs align with inputs. A
// translation is printed as one line: line breaks it decodes to become spaces, outer whitespace is trimmed.
import { readFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { createTensor, releaseTensor, uploadTensor } from '../gpu/tensor.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, type Checkpoint } from '../model/checkpoint.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { Translator } from '../train/translate.ts';
import { numberOption, parseOptions, required, resolveUserPath, UsageError } from './args.ts';

const USAGE = 'npm run cli -- translate --checkpoint F.safetensors [--input F.txt] [--beam K] [--length-penalty A] [--max-len N]';

const OPTIONS = {
  checkpoint: { type: 'string' }, input: { type: 'string' }, beam: { type: 'string' }, 'length-penalty': { type: 'string' },
  'max-len': { type: 'string' },
} as const;

/** Sentences per Translator call (similar lengths together: the inputs are sorted by token count). */
export const TRANSLATE_BATCH = 32;

/** Where the command reads and writes (the process's streams; tests pass their own). */
export interface TranslateIo {
  readStdin(): Promise<Uint8Array>;
  out(text: string): void;
  err(text: string): void;
}

const processIo: TranslateIo = {
  readStdin: async () => {
    if (process.stdin.isTTY) process.stderr.write('translate: reading sentences from stdin, one per line (end with Ctrl-D)\n');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(resolveUserPath(path)); // relative to the user's folder (INIT_CWD), not the project's
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`, { cause: err });
  }
}

/** The checkpoint and its tokenizer, which must match the model's vocabulary. */
function loadModel(path: string): { ckpt: Checkpoint; tokenizer: Tokenizer } {
  const ckpt = decodeCheckpoint(readBytes(path, 'checkpoint'), path);
  const json = ckpt.extras[CHECKPOINT_EXTRAS.tokenizer];
  if (json === undefined) throw new Error(`${path}: the checkpoint has no tokenizer in its metadata (key "${CHECKPOINT_EXTRAS.tokenizer}"), so its token ids cannot be read`);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(json);
  } catch (err) {
    throw new Error(`${path}: the checkpoint's tokenizer is malformed (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (tokenizer.vocabSize !== ckpt.config.vocab) {
    throw new Error(`${path}: its tokenizer has ${tokenizer.vocabSize} tokens but the model a vocabulary of ${ckpt.config.vocab}`);
  }
  return { ckpt, tokenizer };
}

/** Input lines (a final newline ends the last line; CRLF accepted); at least one must hold a sentence. */
function inputLines(bytes: Uint8Array, where: string): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new Error(`${where} is not valid UTF-8`, { cause: err });
  }
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[lines.length - 1] === '') lines.pop();
  if (!lines.some((l) => l.trim() !== '')) throw new Error(`${where} holds no sentence to translate (${lines.length === 0 ? 'it is empty' : 'only empty lines'})`);
  return lines;
}

/** One output line of a translation: no line breaks inside, no outer whitespace (BPE words carry a space). */
export function outputLine(tokenizer: Tokenizer, ids: number[]): string {
  return tokenizer.decode(ids).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export async function run(argv: string[], io: TranslateIo = processIo): Promise<number> {
  const v = parseOptions(argv, OPTIONS, USAGE);
  const checkpointPath = required(v, 'checkpoint', USAGE);
  const beam = numberOption(v, 'beam', 1, { integer: true, min: 1, max: 64 });
  const lengthPenalty = numberOption(v, 'length-penalty', 0.6, { min: 0, max: 10 });
  const { ckpt, tokenizer } = loadModel(checkpointPath);
  const config = ckpt.config;
  const maxLen = numberOption(v, 'max-len', config.maxLen, { integer: true, min: 1, max: config.maxLen });
  if (v.input === '') throw new UsageError(`--input needs a file name\nUsage: ${USAGE}`);
  const inputPath = typeof v.input === 'string' ? v.input : null;
  const lines = inputLines(inputPath ? readBytes(inputPath, 'input') : await io.readStdin(), inputPath ?? 'stdin');

  // Sentences (non-empty lines) sorted by token count, so each batch pads little and ends together.
  const sources = lines.map((l) => (l.trim() === '' ? null : tokenizer.encode(l)));
  const order = sources.flatMap((s, i) => (s ? [i] : [])).sort((a, b) => sources[a]!.length - sources[b]!.length || a - b);
  sources.forEach((s, i) => {
    if (s && s.length > config.maxLen - 1) io.err(`translate: line ${i + 1} has ${s.length} tokens; the model reads the first ${config.maxLen - 1}\n`);
  });

  const gpu = await acquireNodeGpu();
  io.err(`translate: adapter ${gpu.adapterName}; ${config.variant} model (${config.weighting}), step ${ckpt.step}; ${order.length} sentences, beam ${beam}, length penalty ${lengthPenalty}, max length ${maxLen}\n`);
  const tensors = [uploadTensor(gpu, ckpt.params, [ckpt.params.length]), createTensor(gpu, [ckpt.params.length]), uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32')] as const;
  const translator = new Translator(gpu, config, ...tensors);
  const outputs = lines.map(() => '');
  const start = performance.now();
  try {
    for (let at = 0; at < order.length; at += TRANSLATE_BATCH) {
      const batch = order.slice(at, at + TRANSLATE_BATCH);
      const results = await translator.translate(batch.map((i) => sources[i]!), { beam, lengthPenalty, maxLen });
      batch.forEach((i, k) => (outputs[i] = outputLine(tokenizer, results[k])));
    }
  } finally {
    translator.destroy();
    for (const t of tensors) releaseTensor(gpu, t);
  }
  io.out(outputs.map((l) => `${l}\n`).join(''));
  const seconds = (performance.now() - start) / 1000;
  io.err(`translate: ${order.length} sentences in ${seconds.toFixed(2)} s (${(order.length / seconds).toFixed(1)} sentences/s)\n`);
  return 0;
}
