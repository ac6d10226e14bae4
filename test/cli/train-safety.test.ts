// `npm run cli -- train` loses nothing trained and says what went wrong: --out and --metrics are checked
// before training (exit 2 naming the path), a checkpoint is written every --save-every steps and on
// SIGINT/SIGTERM (exit 130/143 naming the step and file), every checkpoint replaces the previous one
// atomically, ENOSPC stops the run naming the file with the last good checkpoint intact, a second run on
// the same --out is refused while the first holds its lock, --config refuses --variant, relative paths are
// the user's (INIT_CWD), non-finite metrics stay distinguishable, over-long pairs are counted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsLine, run } from '../../src/cli/train.ts';
import { resolveUserPath } from '../../src/cli/args.ts';
import { acquireLock, AppendLog, FileError, LockedError, setFileFaultForTests, writeFileAtomic } from '../../src/cli/files.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = { variant: 'weighted', weighting: 'projected', vocab: 300, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 12, dropout: 0, labelSmoothing: 0 };
const dir = mkdtempSync(join(tmpdir(), 'train-safety-'));
const configPath = join(dir, 'config.json');
writeFileSync(configPath, JSON.stringify(CONFIG));
const TINY = ['--config', configPath, '--data', 'copy', '--batch-tokens', '256', '--eval-every', '0', '--warmup', '2', '--seed', '5', '--log-every', '1'];

/** A fresh folder per test, so leftovers (temp files, locks) are easy to see. */
function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

/** The command in-process, its console lines captured. */
async function cli(argv: string[], onLog: (line: string) => void = () => {}): Promise<{ code: number; log: string; err: string }> {
  const log: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    const line = a.join(' ');
    log.push(line);
    onLog(line);
  });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, log: log.join('\n'), err: err.join('\n') };
}

const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

afterEach(() => {
  vi.restoreAllMocks();
  setFileFaultForTests(null);
});

describe('train: checks before training', () => {
  it('refuses an --out or --metrics it could not write, naming the path, with exit 2 and no GPU work', async () => {
    const d = folder('checks');
    const unwritable = process.getuid?.() === 0 ? '/sys/run.safetensors' : join(d, 'ro', 'run.safetensors');
    if (process.getuid?.() !== 0) mkdirSync(join(d, 'ro'), { mode: 0o555 }); // root writes anywhere: /sys refuses it
    const cases: [string[], string][] = [
      [['--out', join(d, 'missing', 'run.safetensors')], `--out ${join(d, 'missing', 'run.safetensors')}: the folder ${join(d, 'missing')} does not exist`],
      [['--out', d], `--out ${d}: ${d} is a folder, not a file`],
      [['--out', unwritable], `--out ${unwritable}: `],
      [['--out', join(d, 'a.safetensors'), '--metrics', d], `--metrics ${d}: ${d} is a folder, not a file`],
      [['--out', join(d, 'a.safetensors'), '--metrics', join(d, 'missing', 'm.jsonl')], `the folder ${join(d, 'missing')} does not exist`],
      [['--out', join(d, 'a.safetensors'), '--metrics', join(d, 'a.safetensors')], '--metrics and --out are the same file'],
    ];
    for (const [args, message] of cases) {
      const r = await cli([...TINY, '--steps', '1', ...args]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(message);
      expect(r.log).not.toContain('adapter:');
    }
    expect(readdirSync(d).filter((f) => f !== 'ro')).toEqual([]); // no lock, temp or metrics file left behind
  });

  it('refuses --variant, --weighting and --preset with --config instead of ignoring them', async () => {
    for (const [option, value] of [['--variant', 'baseline'], ['--weighting', 'softmax'], ['--preset', 'small']]) {
      const r = await cli([...TINY, option, value, '--out', join(dir, 'never.safetensors')]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${option} cannot be combined with --config`);
    }
    const r = await cli([...TINY, '--variant', 'baseline', '--out', join(dir, 'never.safetensors')]);
    expect(r.err).toContain('sets "variant": "weighted"');
    expect(existsSync(join(dir, 'never.safetensors.lock'))).toBe(false);
  });
});

describe('train: relative paths, metrics values, truncation', () => {
  it('resolves --config, --out and --metrics against INIT_CWD and reports pairs truncated to maxLen', async () => {
    const d = folder('user');
    writeFileSync(join(d, 'short.json'), JSON.stringify({ ...CONFIG, maxLen: 4 }));
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = d;
    try {
      expect(resolveUserPath('a/b.json')).toBe(join(d, 'a', 'b.json'));
      expect(resolveUserPath('/abs/b.json')).toBe('/abs/b.json');
      const r = await cli(['--config', 'short.json', '--data', 'copy', '--batch-tokens', '256', '--eval-every', '0', '--steps', '1', '--metrics', 'm.jsonl', '--out', 'o.safetensors']);
      expect(r.code, r.err).toBe(0);
      expect(r.log).toContain(`saved step 1 to ${join(d, 'o.safetensors')}`);
      expect(decodeCheckpoint(readFileSync(join(d, 'o.safetensors'))).step).toBe(1);
      expect(readFileSync(join(d, 'm.jsonl'), 'utf8')).toContain('"step":1');
      // copy pairs have 3-10 numbers: with maxLen 4 most of them are cut.
      const m = /warning: longer than maxLen 4 tokens \(with EOS\/BOS\): (\d+) of 20000 training pairs truncated, (\d+) of 500 dev pairs truncated/.exec(r.err);
      expect(m, r.err).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(10000);
      expect(Number(m![2])).toBeGreaterThan(250);
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });

  it('writes NaN, Infinity and -Infinity in the metrics file as strings, never as null', async () => {
    expect(metricsLine({ a: NaN, b: Infinity, c: -Infinity, d: [1, NaN], e: null, f: 0.5 })).toBe('{"a":"NaN","b":"Infinity","c":"-Infinity","d":[1,"NaN"],"e":null,"f":0.5}\n');
    const d = folder('nan');
    // A learning rate of ~1e37 sends the weights to ~1e37 after step 1: the next step's loss and gradient are NaN.
    const r = await cli([...TINY, '--steps', '3', '--lr-scale', '1e38', '--metrics', join(d, 'm.jsonl'), '--out', join(d, 'o.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/stopped at step \d: (the gradient was NaN\/Inf|the update would have made the weights NaN\/Inf)/);
    const lines = readFileSync(join(d, 'm.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bad = lines.filter((l) => l.nonfinite === true);
    expect(bad.length).toBeGreaterThan(0);
    for (const l of bad) expect(['NaN', 'Infinity', '-Infinity']).toContain(l.gradNorm);
    expect(lines.every((l) => l.loss !== null && l.gradNorm !== null)).toBe(true);
    // The last good step (its weights are ~1e37, which decodeCheckpoint refuses: read the header only).
    expect(readSafetensors(readFileSync(join(d, 'o.safetensors'))).metadata.step).toBe(String((bad[0].step as number) - 1));
  });
});

describe('train: I/O faults', () => {
  it.skipIf(!existsSync('/dev/full'))('ENOSPC in the metrics file (/dev/full) stops the run naming the file and still saves the checkpoint', async () => {
    const d = folder('full');
    const out = join(d, 'o.safetensors');
    const r = await cli([...TINY, '--steps', '50', '--metrics', '/dev/full', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/stopped after step \d+: cannot write \/dev\/full: no space left on the device \(ENOSPC\)/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    const step = Number(/saved step (\d+) to /.exec(r.log)![1]);
    expect(step).toBeLessThan(50);
    expect(decodeCheckpoint(readFileSync(out)).step).toBe(step);
    expect(readdirSync(d)).toEqual(['o.safetensors']); // lock removed, no temp file
  });

  it('ENOSPC writing a checkpoint stops the run with the previous checkpoint intact', async () => {
    const d = folder('enospc');
    const out = join(d, 'o.safetensors');
    let writes = 0;
    setFileFaultForTests((op, path) => {
      if (op === 'write' && path.startsWith(`${out}.`) && path.endsWith('.tmp') && ++writes === 2) throw enospc();
    });
    const r = await cli([...TINY, '--steps', '8', '--save-every', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.log).toContain(`saved step 2 to ${out}`);
    expect(r.err).toContain(`train: stopped after step 4: cannot write ${out}: no space left on the device (ENOSPC); ${out} holds the checkpoint of step 2`);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.log).not.toContain('step 5/8');
    expect(decodeCheckpoint(readFileSync(out)).step).toBe(2);
    expect(readdirSync(d)).toEqual(['o.safetensors']);
  });

  it('writeFileAtomic replaces the file whole or not at all; AppendLog names the file on ENOSPC', () => {
    const d = folder('atomic');
    const file = join(d, 'f.bin');
    writeFileAtomic(file, 'old');
    for (const failing of ['write', 'rename'] as const) {
      setFileFaultForTests((op) => {
        if (op === failing) throw enospc();
      });
      expect(() => writeFileAtomic(file, 'new contents')).toThrow(new FileError(file, 'ENOSPC', `cannot write ${file}: no space left on the device (ENOSPC)`));
      expect(readFileSync(file, 'utf8')).toBe('old');
      expect(readdirSync(d)).toEqual(['f.bin']);
    }
    setFileFaultForTests(null);
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    if (existsSync('/dev/full')) {
      const log = new AppendLog('/dev/full');
      expect(() => log.append('x\n')).toThrow('cannot write /dev/full: no space left on the device (ENOSPC)');
      log.close();
    }
  });
});

describe('train: one run per --out', () => {
  it('a live lock is refused, a stale one (dead pid) is taken over with a note, and release removes it', async () => {
    const d = folder('lock');
    const target = join(d, 'o.safetensors');
    const lock = acquireLock(target, () => {});
    expect(readFileSync(`${target}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => acquireLock(target, () => {})).toThrow(LockedError);
    lock.release();
    expect(existsSync(`${target}.lock`)).toBe(false);

    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid is not running
    writeFileSync(`${target}.lock`, `${dead}\n`);
    const r = await cli([...TINY, '--steps', '1', '--out', target]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`note: taking over the stale lock ${target}.lock (pid ${dead} is not running)`);
    expect(readdirSync(d)).toEqual(['o.safetensors']);
  });
});

interface Spawned {
  child: ChildProcess;
  output: () => string;
  until: (re: RegExp) => Promise<RegExpExecArray>;
  exit: Promise<number | null>;
  /** Kill it (and the training process tsx started, whose pid is in the lock) if still running. */
  kill: (lockPath: string) => void;
}

/** `train` as its own process (the tsx CLI, as `npm run cli` runs it), with its output collected. */
function spawnTrain(args: string[]): Spawned {
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, 'src/cli/main.ts', 'train', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (re: RegExp): Promise<RegExpExecArray> => {
    for (const t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 50))) {
      const m = re.exec(text);
      if (m) return m;
      if (child.exitCode !== null) break;
    }
    throw new Error(`no ${re} in the output:\n${text}`);
  };
  const kill = (lockPath: string): void => {
    if (child.exitCode !== null) return;
    if (existsSync(lockPath)) process.kill(Number(readFileSync(lockPath, 'utf8')), 'SIGKILL');
    child.kill('SIGKILL');
  };
  return { child, output: () => text, until, exit, kill };
}

describe('train: signals (a real process)', () => {
  it('SIGINT: a second run on the same --out is refused meanwhile; the last step is saved, exit 130, the lock removed', async () => {
    const d = folder('sigint');
    const out = join(d, 'o.safetensors');
    const p = spawnTrain([...TINY, '--steps', '100000', '--save-every', '0', '--out', out]);
    try {
      await p.until(/^step 3\//m);
      const pid = Number(readFileSync(`${out}.lock`, 'utf8')); // the training process (tsx runs it as a child)
      const second = await cli([...TINY, '--steps', '1', '--out', out]);
      expect(second.code).toBe(2);
      expect(second.err).toContain(`--out ${out} is in use by another run (pid ${pid} holds ${out}.lock)`);
      process.kill(pid, 'SIGINT');
      expect(await p.exit, p.output()).toBe(130);
      const step = Number(/interrupted by SIGINT: saved step (\d+) to (.*)$/m.exec(p.output())![1]);
      expect(step).toBeGreaterThanOrEqual(3);
      expect(decodeCheckpoint(readFileSync(out)).step).toBe(step);
      expect(readdirSync(d)).toEqual(['o.safetensors']);
    } finally {
      p.kill(`${out}.lock`);
    }
  });

  it('SIGTERM: the periodic checkpoint loads mid-run; the last step is saved, exit 143', async () => {
    const d = folder('sigterm');
    const out = join(d, 'o.safetensors');
    const p = spawnTrain([...TINY, '--steps', '100000', '--save-every', '2', '--out', out]);
    try {
      await p.until(/^saved step 2 to /m);
      expect(decodeCheckpoint(readFileSync(out)).step).toBe(2); // while the run goes on
      const pid = Number(readFileSync(`${out}.lock`, 'utf8'));
      process.kill(pid, 'SIGTERM');
      expect(await p.exit, p.output()).toBe(143);
      const step = Number(/interrupted by SIGTERM: saved step (\d+) to /m.exec(p.output())![1]);
      expect(step).toBeGreaterThanOrEqual(2);
      expect(decodeCheckpoint(readFileSync(out)).step).toBe(step);
      expect(readdirSync(d)).toEqual(['o.safetensors']);
    } finally {
      p.kill(`${out}.lock`);
    }
  });
});
