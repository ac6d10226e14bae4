// `npm run cli -- translate`: a checkpoint with its tokenizer (random weights, nothing trained) turns input
// lines into exactly as many output lines, each the Translator's output for that line decoded with the
// checkpoint's tokenizer (empty lines stay empty); stdout holds only translations; bad input (missing or
// malformed files, no tokenizer, no sentence, bad option values) fails naming the problem.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, TRANSLATE_BATCH, type TranslateIo } from '../../src/cli/translate.ts';
import { testGpu } from '../helpers/gpu.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { CHECKPOINT_EXTRAS, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/init.ts';
import { buildParamTable } from '../../src/model/params.ts';
import { createTensor, releaseTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { Translator } from '../../src/train/translate.ts';

const CORPUS = ['the cat sat on the mat', 'the dog sat on the log', 'die Katze sitzt auf der Matte', 'der Hund sitzt auf dem Baumstamm'];
const tokenizer = Tokenizer.train(CORPUS, { vocabSize: 300 });
const config = validateModelConfig({
  variant: 'weighted', weighting: 'projected', vocab: tokenizer.vocabSize, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1,
  maxLen: 20, dropout: 0, labelSmoothing: 0,
});
const params = initParams(buildParamTable(config), 5);

const dir = mkdtempSync(join(tmpdir(), 'translate-cli-'));
const file = (name: string, data: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};
const checkpoint = file('model.safetensors', encodeCheckpoint({ config, params, step: 7, extras: { [CHECKPOINT_EXTRAS.tokenizer]: tokenizer.toJSON() } }));

/** Run the command in-process with stdin, stdout and stderr of its own. */
async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: TranslateIo = { readStdin: async () => new TextEncoder().encode(stdin), out: (t) => (out += t), err: (t) => (err += t) };
  const code = await run(argv, io);
  return { code, out, err };
}

/** What the command must print for `lines`: Translator output (one call for all sentences), decoded, one line each. */
async function expected(lines: string[], options: { beam: number; lengthPenalty: number; maxLen: number }): Promise<string[]> {
  const gpu = await testGpu();
  const tensors = [uploadTensor(gpu, params, [params.length]), createTensor(gpu, [params.length]), uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32')] as const;
  const translator = new Translator(gpu, config, ...tensors);
  const sentences = lines.filter((l) => l.trim() !== '');
  const outputs = await translator.translate(sentences.map((l) => tokenizer.encode(l)), options);
  translator.destroy();
  for (const t of tensors) releaseTensor(gpu, t);
  let k = 0;
  return lines.map((l) => (l.trim() === '' ? '' : tokenizer.decode(outputs[k++]).replace(/\s*[\r\n]+\s*/g, ' ').trim()));
}

// More sentences than one batch, empty lines among them (one at the start and two in a row), a line longer
// than the model reads, a CRLF line end.
const WORDS = ['the', 'cat', 'dog', 'sat', 'on', 'mat', 'log', 'der', 'Hund', 'die', 'Katze', 'auf'];
const LINES = Array.from({ length: TRANSLATE_BATCH + 8 }, (_, i) => Array.from({ length: 1 + ((i * 7) % 6) }, (_, j) => WORDS[(i * 5 + j * 3) % WORDS.length]).join(' '));
LINES.splice(0, 0, '');
LINES.splice(10, 0, '', '   ');
LINES.push(Array.from({ length: 30 }, (_, j) => WORDS[j % WORDS.length]).join(' '));

describe('npm run cli -- translate', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one translation per input line: the Translator output decoded with the checkpoint tokenizer', async () => {
    const input = file('input.txt', LINES.map((l, i) => l + (i === 3 ? '\r\n' : '\n')).join(''));
    const greedy = await cli(['--checkpoint', checkpoint, '--input', input]);
    expect(greedy.code).toBe(0);
    const got = greedy.out.split('\n');
    expect(got.pop()).toBe(''); // every line ends with a newline
    expect(got.length).toBe(LINES.length);
    expect(got).toEqual(await expected(LINES, { beam: 1, lengthPenalty: 0.6, maxLen: config.maxLen }));
    expect(got[0]).toBe('');
    expect(got.filter((l) => l !== '').length).toBeGreaterThan(TRANSLATE_BATCH); // the sentences' outputs are not empty
    expect(greedy.err).toMatch(/adapter .*; weighted model \(projected\), step 7; 41 sentences, beam 1/);
    expect(greedy.err).toMatch(new RegExp(`line ${LINES.length} has \\d+ tokens; the model reads the first 19`));
    expect(greedy.err).toMatch(/41 sentences in [\d.]+ s/);

    // Beam search and options, input from stdin.
    const some = LINES.slice(0, 12);
    const beam = await cli(['--checkpoint', checkpoint, '--beam', '3', '--length-penalty', '1', '--max-len', '9'], some.join('\n'));
    expect(beam.code).toBe(0);
    expect(beam.out).toBe((await expected(some, { beam: 3, lengthPenalty: 1, maxLen: 9 })).map((l) => `${l}\n`).join(''));
  });

  it('refuses bad input naming the problem', async () => {
    const input = file('ok.txt', 'the cat\n');
    const args = ['--checkpoint', checkpoint, '--input', input];
    await expect(cli(['--input', input])).rejects.toThrow(/missing --checkpoint/);
    await expect(cli(['--checkpoint', join(dir, 'nope.safetensors'), '--input', input])).rejects.toThrow(/cannot read checkpoint .*nope\.safetensors: no such file/);
    await expect(cli(['--checkpoint', file('garbage.safetensors', new TextEncoder().encode('this is not a checkpoint')), '--input', input])).rejects.toThrow(/garbage\.safetensors/);
    const bare = file('bare.safetensors', encodeCheckpoint({ config, params, step: 0, extras: {} }));
    await expect(cli(['--checkpoint', bare, '--input', input])).rejects.toThrow(/bare\.safetensors: the checkpoint has no tokenizer/);
    const other = Tokenizer.train(['a b c'], { vocabSize: 262 });
    const mismatched = file('mismatched.safetensors', encodeCheckpoint({ config, params, step: 0, extras: { [CHECKPOINT_EXTRAS.tokenizer]: other.toJSON() } }));
    await expect(cli(['--checkpoint', mismatched, '--input', input])).rejects.toThrow(new RegExp(`tokenizer has ${other.vocabSize} tokens but the model a vocabulary of ${config.vocab}`));
    await expect(cli(['--checkpoint', checkpoint, '--input', join(dir, 'missing.txt')])).rejects.toThrow(/cannot read input .*missing\.txt: no such file/);
    await expect(cli(['--checkpoint', checkpoint, '--input', file('empty.txt', '')])).rejects.toThrow(/empty\.txt holds no sentence to translate \(it is empty\)/);
    await expect(cli(['--checkpoint', checkpoint, '--input', file('blank.txt', '\n  \n\n')])).rejects.toThrow(/blank\.txt holds no sentence to translate \(only empty lines\)/);
    await expect(cli(['--checkpoint', checkpoint], '')).rejects.toThrow(/stdin holds no sentence/);
    await expect(cli(['--checkpoint', checkpoint, '--input', file('latin1.txt', Uint8Array.of(0x63, 0xe9, 0x0a))])).rejects.toThrow(/latin1\.txt is not valid UTF-8/);
    await expect(cli([...args, '--beam', '0'])).rejects.toThrow(/--beam must be an integer in \[1, 64\], got "0"/);
    await expect(cli([...args, '--beam', 'two'])).rejects.toThrow(/--beam must be an integer/);
    await expect(cli([...args, '--length-penalty=-1'])).rejects.toThrow(/--length-penalty must be a number in \[0, 10\], got "-1"/);
    await expect(cli([...args, '--max-len', '21'])).rejects.toThrow(/--max-len must be an integer in \[1, 20\], got "21"/);
    await expect(cli([...args, '--output', 'x'])).rejects.toThrow(/Unknown option '--output'/);
  });

  it('is registered in the CLI entry point: stdin to stdout, paths relative to INIT_CWD, errors exit non-zero', () => {
    const root = join(import.meta.dirname, '../..');
    const tsx = join(root, 'node_modules/.bin/tsx');
    // A relative path is the caller's: npm runs the script in the project folder and says where in INIT_CWD.
    const env = { ...process.env, INIT_CWD: dir };
    const ok = spawnSync(tsx, ['src/cli/main.ts', 'translate', '--checkpoint', 'model.safetensors'], { cwd: root, env, encoding: 'utf8', input: 'the cat\n\nder Hund\n' });
    expect(ok.status, ok.stderr).toBe(0);
    const lines = ok.stdout.split('\n');
    expect(lines.length).toBe(4); // three lines and the final newline: nothing else on stdout
    expect(lines[1]).toBe('');
    expect(ok.stderr).toMatch(/translate: adapter /);
    const bad = spawnSync(tsx, ['src/cli/main.ts', 'translate', '--checkpoint', 'model.safetensors', '--beam', '0'], { cwd: root, env, encoding: 'utf8', input: 'the cat\n' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--beam must be an integer in \[1, 64\], got "0"/);
    expect(bad.stdout).toBe('');
  });
});
