// The runs' autosaves in this browser (IndexedDB): every few hundred steps the page asks the worker for
// each run's checkpoint and stores them with the configuration and the metrics so far, as one record.
// Each session (a start, a load, a resume) writes its own slot, named by its tab (sessionStorage) and a
// stamp, so two tabs never overwrite each other and an autosave offered for resuming is never written
// over; the MAX_AUTOSAVES newest are kept. After a reload the page offers this tab's newest, and lists the
// others; after a lost GPU device it resumes this session's own slot. A record is validated in full when
// read; one that cannot be used is reported by its problem and offered for deletion.
import type { RunSpec } from '../train/protocol.ts';
import { defaultValues, FIELDS, fieldError, type ConfigValues, type ImportedCorpus } from './schema.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint } from '../model/checkpoint.ts';
import { checkRunSpec, MAX_STEP } from '../train/spec.ts';
import { corpusHash } from '../data/import.ts';
import type { RunMetrics } from './store.ts';

const DB_NAME = 'weighted-transformer-playground';
const STORE = 'autosave';
/** Imported corpora by hash, stored once (not cloned into every autosave: 456k pairs take the page's main thread). */
const CORPORA = 'corpora';
export const AUTOSAVE_VERSION = 1;
/** Autosaves kept in this browser (the newest; older ones are deleted when a newer one is written). */
export const MAX_AUTOSAVES = 5;
const TAB_KEY = 'weighted-transformer-playground.tab';

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
  /** The tab that wrote it (sessionStorage: a reload of that tab finds its own autosave first). */
  tabId?: string;
}

/** One stored autosave: usable (checked in full) or not, with what is wrong. */
export type AutosaveEntry = { key: string; record: AutosaveRecord; problem: null } | { key: string; record: null; problem: string };

/** This tab's id, kept in sessionStorage (so it survives a reload of this tab, and only of this tab). */
export function tabId(): string {
  try {
    let id = sessionStorage.getItem(TAB_KEY);
    if (!id) {
      id = `tab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      sessionStorage.setItem(TAB_KEY, id);
    }
    return id;
  } catch {
    return 'tab-without-session-storage';
  }
}

/** A new slot for a session's autosaves: a session never writes over another session's autosave. */
export function newAutosaveKey(): string {
  return `${tabId()}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser has no IndexedDB'));
    const request = indexedDB.open(DB_NAME, 2);
    request.onupgradeneeded = () => {
      for (const name of [STORE, CORPORA]) if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest | void, name = STORE): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = request(tx.objectStore(name));
      tx.oncomplete = () => resolve(result ? (result.result as T) : (undefined as T));
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/** Every stored record by key, raw, with its imported corpus' pairs put back from the corpora store. */
async function readAll(): Promise<[string, unknown][]> {
  const raw = await readRaw();
  const values = raw.map(([, v]) => v);
  const keys = raw.map(([k]) => k);
  const corpora = new Map<string, unknown>();
  for (const raw of values) {
    const hash = storedCorpusHash(raw);
    if (hash && !corpora.has(hash)) corpora.set(hash, await withStore<unknown>('readonly', (s) => s.get(hash), CORPORA));
  }
  return keys.map((k, i) => {
    const raw = values[i] as AutosaveRecord;
    const hash = storedCorpusHash(raw);
    const stored = hash ? (corpora.get(hash) as { pairs?: unknown } | undefined) : undefined;
    // A corpus that is gone leaves the record's pairs empty: checkAutosave then says its hash does not match.
    return [String(k), hash && stored ? { ...raw, imported: { ...raw.imported, pairs: stored.pairs } } : raw];
  });
}

/** Every stored record by key, as stored (an imported corpus' pairs apart). */
async function readRaw(): Promise<[string, unknown][]> {
  const [keys, values] = await Promise.all([withStore<IDBValidKey[]>('readonly', (s) => s.getAllKeys()), withStore<unknown[]>('readonly', (s) => s.getAll())]);
  return keys.map((k, i) => [String(k), values[i]]);
}

/** The hash of a record's imported corpus when its pairs are stored apart (pairs: []). */
function storedCorpusHash(raw: unknown): string | null {
  const imported = (raw as Partial<AutosaveRecord> | null)?.imported;
  return imported && typeof imported.hash === 'string' && Array.isArray(imported.pairs) && imported.pairs.length === 0 ? imported.hash : null;
}

/** Corpora this page wrote to the corpora store already (each is written once). */
const writtenCorpora = new Set<string>();

/** Write a session's autosave into its own slot; then only the MAX_AUTOSAVES newest are kept. */
export async function writeAutosave(key: string, record: AutosaveRecord): Promise<void> {
  const imported = record.imported;
  if (imported?.hash && imported.pairs.length > 0) {
    if (!writtenCorpora.has(imported.hash)) {
      await withStore('readwrite', (s) => s.put({ name: imported.name, pairs: imported.pairs }, imported.hash!), CORPORA);
      writtenCorpora.add(imported.hash);
    }
    record = { ...record, imported: { ...imported, pairs: [] } };
  }
  await withStore('readwrite', (s) => s.put(record, key));
  const all = await readRaw();
  const savedAt = (raw: unknown) => (typeof raw === 'object' && raw !== null && typeof (raw as { savedAt?: unknown }).savedAt === 'number' ? (raw as { savedAt: number }).savedAt : 0);
  const old = all.filter(([k]) => k !== key).sort((a, b) => savedAt(b[1]) - savedAt(a[1])).slice(MAX_AUTOSAVES - 1);
  if (old.length > 0) await withStore('readwrite', (s) => void old.forEach(([k]) => s.delete(k)));
  await pruneCorpora();
}

/** Delete the stored corpora no autosave refers to any more. */
async function pruneCorpora(): Promise<void> {
  const records = await withStore<unknown[]>('readonly', (s) => s.getAll());
  const used = new Set(records.map(storedCorpusHash).filter((h): h is string => h !== null));
  const stored = (await withStore<IDBValidKey[]>('readonly', (s) => s.getAllKeys(), CORPORA)).map(String);
  const unused = stored.filter((h) => !used.has(h));
  for (const h of unused) writtenCorpora.delete(h);
  if (unused.length > 0) await withStore('readwrite', (s) => void unused.forEach((h) => s.delete(h)), CORPORA);
}

/** Every autosave in this browser, newest first, each checked in full (a broken one says what is wrong). */
export async function listAutosaves(): Promise<AutosaveEntry[]> {
  const entries = (await readAll()).map(([key, raw]): AutosaveEntry & { savedAt: number } => {
    const savedAt = typeof raw === 'object' && raw !== null && typeof (raw as { savedAt?: unknown }).savedAt === 'number' ? (raw as { savedAt: number }).savedAt : 0;
    try {
      return { key, record: checkAutosave(raw), problem: null, savedAt };
    } catch (err) {
      return { key, record: null, problem: err instanceof Error ? err.message : String(err), savedAt };
    }
  });
  return entries.sort((a, b) => b.savedAt - a.savedAt).map(({ savedAt: _savedAt, ...e }) => e as AutosaveEntry);
}

/** This tab's newest autosave (null when it has none); throws naming the problem when it cannot be used. */
export async function readAutosave(): Promise<AutosaveRecord | null> {
  const own = (await readAll())
    .filter(([key]) => key.startsWith(`${tabId()}/`))
    .sort((a, b) => ((b[1] as { savedAt?: number })?.savedAt ?? 0) - ((a[1] as { savedAt?: number })?.savedAt ?? 0));
  return own.length === 0 ? null : checkAutosave(own[0][1]);
}

/** The autosave in one slot (null when it is gone); throws naming the problem when it cannot be used. */
export async function readAutosaveAt(key: string): Promise<AutosaveRecord | null> {
  const raw = (await readAll()).find(([k]) => k === key)?.[1];
  return raw === undefined || raw === null ? null : checkAutosave(raw);
}

export async function deleteAutosave(key: string): Promise<void> {
  await withStore('readwrite', (s) => s.delete(key));
  await pruneCorpora();
}

/** The slot of this tab's newest autosave (what readAutosave returns), or null. */
export async function ownAutosaveKey(): Promise<string | null> {
  const own = (await readRaw()).filter(([key]) => key.startsWith(`${tabId()}/`));
  own.sort((a, b) => ((b[1] as { savedAt?: number })?.savedAt ?? 0) - ((a[1] as { savedAt?: number })?.savedAt ?? 0));
  return own[0]?.[0] ?? null;
}

/**
 * Validate a record read back (an older version of the page, or a damaged database, may have written it)
 * with the validators of a checkpoint file: every checkpoint decoded (NaN/Inf, simplex, truncation), every
 * run spec through the form's limits, the metrics field by field. Throws naming the first problem.
 */
export function checkAutosave(raw: unknown): AutosaveRecord {
  const fail = (what: string): never => {
    throw new Error(`the autosave in this browser cannot be used: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('it is not a record');
  const r = raw as Partial<AutosaveRecord>;
  if (r.version !== AUTOSAVE_VERSION) fail(`it was written by another version of the page (format ${String(r.version)}, expected ${AUTOSAVE_VERSION})`);
  if (typeof r.savedAt !== 'number' || !Number.isFinite(r.savedAt)) fail('savedAt is missing');
  if (typeof r.values !== 'object' || r.values === null) fail('the configuration is missing');
  // A field the page gained after this autosave was written (e.g. "Repeat over N seeds") takes its
  // default; a field that is there must be valid.
  r.values = { ...defaultValues(), ...r.values };
  for (const f of FIELDS) {
    const problem = fieldError(f, (r.values as unknown as Record<string, string | number>)[f.name]);
    if (problem) fail(`configuration field ${f.name}: ${problem}`);
  }
  if (r.focus !== null && r.focus !== undefined && !Number.isInteger(r.focus)) fail(`its focus ${JSON.stringify(r.focus)} is not a run id`);
  const imported = r.imported === undefined || r.imported === null ? null : checkImported(r.imported, fail);
  if (!Array.isArray(r.runs) || r.runs.length === 0) fail('it holds no runs');
  for (const [i, run] of (r.runs as AutosavedRun[]).entries()) {
    if (typeof run !== 'object' || run === null) fail(`run ${i + 1} is not a record`);
    if (!(run.checkpoint instanceof Uint8Array) || run.checkpoint.length === 0) fail(`run ${i + 1} has no checkpoint bytes`);
    const spec = run.spec as Partial<RunSpec> | null;
    if (typeof spec !== 'object' || spec === null || typeof spec.data?.source?.kind !== 'string' || typeof run.step !== 'number') fail(`run ${i + 1} has no spec or step`);
    checkRun(run, i, imported, fail);
  }
  if ((r.runs as AutosavedRun[]).some((run) => run.spec.data.source.kind === 'pairs') && !imported) fail('its imported corpus is missing');
  return r as AutosaveRecord;
}

function checkRun(run: AutosavedRun, i: number, imported: ImportedCorpus | null, fail: (what: string) => never): void {
  const where = `run ${i + 1}`;
  if (!Number.isInteger(run.id) || run.id < 0) fail(`${where} has no id`);
  if (typeof run.label !== 'string') fail(`${where} has no label`);
  let ckpt;
  try {
    ckpt = decodeCheckpoint(run.checkpoint, `${where}'s checkpoint`);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (ckpt.extras[CHECKPOINT_EXTRAS.tokenizer] === undefined) fail(`${where}'s checkpoint has no tokenizer`);
  if (!Number.isInteger(run.step) || run.step < 0 || run.step > MAX_STEP) fail(`${where}'s step ${run.step} is not a whole number in [0, ${MAX_STEP}]`);
  if (run.step !== ckpt.step) fail(`${where}'s step ${run.step} is not its checkpoint's (${ckpt.step})`);
  let spec: RunSpec;
  try {
    spec = checkRunSpec(run.spec, `${where}'s settings`);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  for (const key of Object.keys(ckpt.config) as (keyof typeof ckpt.config)[]) {
    if (spec.model[key] !== ckpt.config[key]) fail(`${where}'s settings have model.${key} = ${String(spec.model[key])} but its checkpoint ${String(ckpt.config[key])}`);
  }
  const source = spec.data.source;
  if (source.kind === 'pairs' && imported?.hash && source.hash && source.hash !== imported.hash) {
    fail(`${where} was trained on ${source.name} with hash ${source.hash}; the corpus stored with it has hash ${imported.hash}`);
  }
  checkMetrics(run.metrics, `${where}'s metrics`, fail);
}

function checkImported(raw: unknown, fail: (what: string) => never): ImportedCorpus {
  const c = raw as Partial<ImportedCorpus>;
  if (typeof c !== 'object' || typeof c.name !== 'string' || !Array.isArray(c.pairs)) fail('its imported corpus is not a corpus');
  const pairs = c.pairs as unknown[];
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as { src?: unknown; tgt?: unknown } | null;
    if (typeof p !== 'object' || p === null || typeof p.src !== 'string' || typeof p.tgt !== 'string') fail(`pair ${i + 1} of its imported corpus is not a pair of texts`);
  }
  if (c.hash !== undefined) {
    const hash = corpusHash(c.pairs as ImportedCorpus['pairs']);
    if (c.hash !== hash) fail(`its imported corpus ${c.name} has hash ${hash}, not the ${String(c.hash)} recorded`);
  }
  return c as ImportedCorpus;
}

/** Every series an array of numbers of one length (steps whole and increasing), κ/α and dev results as the charts read them. */
export function checkMetrics(raw: unknown, where: string, fail: (what: string) => never): RunMetrics {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as RunMetrics).steps)) fail(`${where.replace(/'s metrics$/, '')} has no metrics`);
  const m = raw as RunMetrics;
  const n = m.steps.length;
  for (const name of ['steps', 'loss', 'lr', 'gradNorm', 'tokens'] as const) {
    const series = m[name] as unknown;
    if (!Array.isArray(series)) fail(`${where}: ${name} is not a list`);
    const list = series as unknown[];
    if (list.length !== n) fail(`${where}: ${name} has ${list.length} values for ${n} steps`);
    const bad = list.findIndex((v) => typeof v !== 'number' || (name !== 'loss' && name !== 'gradNorm' && !Number.isFinite(v)));
    if (bad >= 0) fail(`${where}: ${name}[${bad}] is ${JSON.stringify(list[bad]) ?? String(list[bad])}, not a number`);
  }
  const unordered = m.steps.findIndex((s, i) => !Number.isInteger(s) || s < 1 || (i > 0 && s <= m.steps[i - 1]));
  if (unordered >= 0) fail(`${where}: steps[${unordered}] = ${m.steps[unordered]} is not a step after the one before`);
  if (!Array.isArray(m.branches)) fail(`${where}: branches is not a list`);
  for (const b of m.branches) {
    if (typeof b !== 'object' || b === null || typeof b.layer !== 'string') fail(`${where}: a branch series has no layer`);
    for (const name of ['kappa', 'alpha'] as const) {
      const series = b[name] as unknown;
      if (!Array.isArray(series) || series.length !== n) fail(`${where}: ${b.layer}.${name} has no value for each of the ${n} steps`);
      const bad = (series as unknown[]).findIndex((row) => !Array.isArray(row) || row.some((v) => typeof v !== 'number' || !Number.isFinite(v)));
      if (bad >= 0) fail(`${where}: ${b.layer}.${name}[${bad}] is not a list of finite numbers`);
    }
  }
  if (!Array.isArray(m.dev)) fail(`${where}: dev is not a list`);
  for (const [i, d] of m.dev.entries()) {
    const ok = typeof d === 'object' && d !== null && Number.isInteger(d.step) && typeof d.loss === 'number' && typeof d.bleu === 'number' && Number.isInteger(d.sentences) && Array.isArray(d.samples)
      && d.samples.every((x) => typeof x === 'object' && x !== null && typeof x.src === 'string' && typeof x.hyp === 'string' && typeof x.ref === 'string');
    if (!ok) fail(`${where}: dev result ${i + 1} is not a dev result (step, loss, bleu, sentences, samples)`);
  }
  return m;
}

/** The step a record resumes at (the slowest run's). */
export function autosaveStep(record: AutosaveRecord): number {
  return Math.min(...record.runs.map((r) => r.step));
}
