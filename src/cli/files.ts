// Safe file output for the CLI commands: output paths checked before any work, atomic replacement (a temp
// file in the same folder, fsync, rename over the target), an append-only log whose errors name the file,
// and an exclusive lock file per output so two runs never write the same checkpoint. Errors are FileError
// with a message for the user (the file, what failed, the errno in words); no stack trace is needed.
import { accessSync, closeSync, constants, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class FileError extends Error {
  override name = 'FileError';
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EFBIG: 'file too large', EIO: 'input/output error',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder', EISDIR: 'is a folder', EEXIST: 'already exists', EBUSY: 'busy',
};

/** "no space left on the device (ENOSPC)", or the error's own message for an errno we do not know. */
export function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && ERRNO_TEXT[code]) return `${ERRNO_TEXT[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

function fileError(path: string, action: string, err: unknown): FileError {
  if (err instanceof FileError) return err;
  return new FileError(path, (err as NodeJS.ErrnoException | null)?.code, `cannot ${action} ${path}: ${describeError(err)}`, { cause: err });
}

/** Test hook: called before every write and rename this module does; throw an errno error to inject a fault. */
let faultHook: ((op: 'write' | 'rename', path: string) => void) | null = null;

export function setFileFaultForTests(hook: typeof faultHook): void {
  faultHook = hook;
}

function writeAll(fd: number, bytes: Uint8Array, path: string): void {
  faultHook?.('write', path);
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Why `path` cannot be an output, or null. `replace`: the file is replaced through a temp file and a lock
 * next to it, so its folder must be writable; otherwise it is written in place (an existing file must be
 * writable). Root passes the mode checks: the first real write (lock, open) is the final test.
 */
export function outputPathProblem(path: string, replace: boolean): string | null {
  const folder = dirname(path);
  try {
    if (statSync(path).isDirectory()) return `${path} is a folder, not a file`;
    if (!replace) {
      accessSync(path, constants.W_OK);
      return null;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${path} is not writable (${describeError(err)})`;
    if (code !== 'ENOENT') return `${path}: ${describeError(err)}`;
  }
  try {
    if (!statSync(folder).isDirectory()) return `${folder} (the folder of ${path}) is not a folder`;
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `the folder ${folder} does not exist`;
    return `cannot write in the folder ${folder} (${describeError(err)})`;
  }
  return null;
}

/**
 * Replace `path` with `data` so that a reader (or a crash, a kill, a full disk) sees the old file or the new
 * one, never a mix: write `path.<pid>.tmp` in the same folder, fsync, rename over `path`, fsync the folder.
 * On failure the temp file is removed and the old file is untouched.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const tmp = join(dirname(path), `${basename(path)}.${process.pid}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, bytes, tmp);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    faultHook?.('rename', path);
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) ignoreErrors(() => closeSync(fd!));
    ignoreErrors(() => unlinkSync(tmp));
    throw fileError(path, 'write', err);
  }
  // The rename is durable once the folder entry is on disk (not every file system can fsync a folder).
  ignoreErrors(() => {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  });
}

function ignoreErrors(f: () => void): void {
  try {
    f();
  } catch {
    // best effort: the caller already reports the error that matters
  }
}

/** A file written from the start and appended to (the metrics JSONL). A failed append leaves whole lines. */
export class AppendLog {
  private readonly fd: number;
  private size = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw fileError(path, 'open', err);
    }
  }

  append(text: string): void {
    const bytes = new TextEncoder().encode(text);
    try {
      writeAll(this.fd, bytes, this.path);
      this.size += bytes.length;
    } catch (err) {
      ignoreErrors(() => ftruncateSync(this.fd, this.size)); // drop a partial line
      throw fileError(this.path, 'write', err);
    }
  }

  /** Flush to disk (before a checkpoint, so the metrics cover the saved step). */
  sync(): void {
    try {
      fsyncSync(this.fd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP') throw fileError(this.path, 'write', err); // EINVAL: a device such as /dev/full
    }
  }

  close(): void {
    ignoreErrors(() => closeSync(this.fd));
  }
}

/** Raised when another live process holds the lock (pid null: it is being written this instant). */
export class LockedError extends Error {
  override name = 'LockedError';
  constructor(
    readonly lockPath: string,
    readonly pid: number | null,
  ) {
    super(`${lockPath} is held by another run (${pid === null ? 'being created' : `pid ${pid}`})`);
  }
}

export interface Lock {
  path: string;
  release(): void;
}

/**
 * An exclusive lock on `target`: `target.lock`, created with O_EXCL and holding our pid. A lock whose pid is
 * no longer running is stale and taken over (`note` says so); a live one raises LockedError, as does one
 * without a pid yet that is under 10 s old (another run is writing it).
 */
export function acquireLock(target: string, note: (message: string) => void): Lock {
  const path = `${target}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(path, 'create the lock file', err);
      const pid = lockHolder(path);
      if (pid !== null ? isRunning(pid) : isFresh(path)) throw new LockedError(path, pid);
      note(`taking over the stale lock ${path} (${pid === null ? 'it holds no pid' : `pid ${pid} is not running`})`);
      ignoreErrors(() => unlinkSync(path));
      continue;
    }
    try {
      writeAll(fd, new TextEncoder().encode(`${process.pid}\n`), path);
    } catch (err) {
      ignoreErrors(() => unlinkSync(path));
      throw fileError(path, 'write the lock file', err);
    } finally {
      closeSync(fd);
    }
    return { path, release: () => releaseLock(path) };
  }
  throw new LockedError(path, lockHolder(path)); // another run took the stale lock over first
}

function lockHolder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 10_000;
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Remove the lock if it is still ours (a taken-over lock belongs to its new holder). */
function releaseLock(path: string): void {
  if (lockHolder(path) === process.pid) ignoreErrors(() => unlinkSync(path));
}
