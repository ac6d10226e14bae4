// The run's autosave in this browser (IndexedDB): every few hundred steps the page asks the worker for
// each run's checkpoint and stores them with the configuration and the metrics so far, as one record.
// After a reload (or a lost GPU device) the page offers to resume from it. The record is validated when
// read; one that cannot be used is reported and left alone (never silently replaced by a broken one).
import type { RunSpec } from '../train/protocol.ts';
import { FIELDS, fieldError, type ConfigValues, type ImportedCorpus } from './schema.ts';
import type { RunMetrics } from './store.ts';

const DB_NAME = 'weighted-transformer-playground';
const STORE = 'autosave';
const KEY = 'last';
export const AUTOSAVE_VERSION = 1;

export interface AutosavedRun {
  id: number;
  label: string;
  /** The run's spec; an imported corpus is stored once in the record, not per run. */
  spec: RunSpec;
  checkpoint: Uint8Array;
  step: number;
  metrics: RunMetrics;
}

export interface AutosaveRecord {
  version: number;
  savedAt: number;
  values: ConfigValues;
  imported: ImportedCorpus | null;
  focus: number | null;
  runs: AutosavedRun[];
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser has no IndexedDB'));
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = request(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

export async function writeAutosave(record: AutosaveRecord): Promise<void> {
  await withStore<IDBValidKey>('readwrite', (s) => s.put(record, KEY));
}

/** The stored record, null when there is none; throws naming the problem when it cannot be used. */
export async function readAutosave(): Promise<AutosaveRecord | null> {
  const raw = await withStore<unknown>('readonly', (s) => s.get(KEY));
  if (raw === undefined || raw === null) return null;
  return checkAutosave(raw);
}

export async function clearAutosave(): Promise<void> {
  await withStore<undefined>('readwrite', (s) => s.delete(KEY));
}

/** Validate a record read back (an older version of the page, or a damaged database, may have written it). */
export function checkAutosave(raw: unknown): AutosaveRecord {
  const fail = (what: string): never => {
    throw new Error(`the autosave in this browser cannot be used: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('it is not a record');
  const r = raw as Partial<AutosaveRecord>;
  if (r.version !== AUTOSAVE_VERSION) fail(`it was written by another version of the page (format ${String(r.version)}, expected ${AUTOSAVE_VERSION})`);
  if (typeof r.savedAt !== 'number') fail('savedAt is missing');
  if (typeof r.values !== 'object' || r.values === null) fail('the configuration is missing');
  for (const f of FIELDS) {
    const problem = fieldError(f, (r.values as unknown as Record<string, string | number>)[f.name]);
    if (problem) fail(`configuration field ${f.name}: ${problem}`);
  }
  if (!Array.isArray(r.runs) || r.runs.length === 0) fail('it holds no runs');
  for (const [i, run] of (r.runs as AutosavedRun[]).entries()) {
    if (typeof run !== 'object' || run === null) fail(`run ${i + 1} is not a record`);
    if (!(run.checkpoint instanceof Uint8Array) || run.checkpoint.length === 0) fail(`run ${i + 1} has no checkpoint bytes`);
    const spec = run.spec as Partial<RunSpec> | null;
    if (typeof spec !== 'object' || spec === null || typeof spec.data?.source?.kind !== 'string' || typeof run.step !== 'number') fail(`run ${i + 1} has no spec or step`);
    if (typeof run.metrics !== 'object' || !Array.isArray(run.metrics?.steps)) fail(`run ${i + 1} has no metrics`);
  }
  if ((r.runs as AutosavedRun[]).some((run) => run.spec.data.source.kind === 'pairs') && !r.imported) fail('its imported corpus is missing');
  return r as AutosaveRecord;
}

/** The step a record resumes at (the slowest run's). */
export function autosaveStep(record: AutosaveRecord): number {
  return Math.min(...record.runs.map((r) => r.step));
}
