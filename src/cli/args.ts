// Command-line option parsing shared by the CLI commands: node:util parseArgs in strict mode, with
// messages that name the bad option, typed accessors that validate numbers and required options, and the
// resolver of the paths a user types.
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FileError } from './files.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseOptions(argv: string[], options: OptionSpec, usage: string): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\nUsage: ${usage}`, { cause: err });
  }
}

export function required(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`missing --${name}\nUsage: ${usage}`);
  return v;
}

/** A number option: integer when `integer`, within [min, max]; `fallback` when absent. */
export function numberOption(values: Record<string, unknown>, name: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const { integer = false, min = -Infinity, max = Infinity } = opts;
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${String(raw)}"`);
  }
  return v;
}

/**
 * A path as the user typed it, made absolute against the folder they ran the command in: `npm run` runs
 * scripts in the project folder and passes the caller's folder as INIT_CWD; without npm, the working folder.
 */
export function resolveUserPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.INIT_CWD || process.cwd(), path);
}

/**
 * A command's `run`: `body`'s exit code, or, for a UsageError (exit 2: bad arguments, paths or data) or a
 * FileError (exit 1: an I/O failure), its message prefixed by the command's name on stderr. Anything else
 * propagates (main.ts prints it and exits 1).
 */
export async function exitCodeOf(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof FileError)) throw err;
    console.error(`${command}: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}
