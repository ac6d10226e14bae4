// Corpus import: a UTF-8 TSV file (`source<TAB>target[<TAB>ignored...]`, as Tatoeba/Anki exports) in
// bytes → cleaned sentence pairs plus a report. Never throws on bad input and never touches the corpus in
// use: the caller reads `fatal` (nothing usable) or `rejected` and decides. Runs in the browser and Node.
//
// Cleaning per side: Unicode NFC, whitespace runs collapsed to one space, trimmed. Lines are rejected for:
// invalid UTF-8, no tab, empty source/target, control characters, over-long sides, duplicate pairs.
// Whole-file problems (fatal): empty file, over the size limit, binary content, UTF-16 encoding.

export interface Pair {
  source: string;
  target: string;
  /** 1-based line number in the imported file. */
  line: number;
}

export type RejectReason =
  | 'invalid-utf8'
  | 'no-tab'
  | 'empty-source'
  | 'empty-target'
  | 'control-chars'
  | 'too-long'
  | 'duplicate';

export const REASON_TEXT: Record<RejectReason, string> = {
  'invalid-utf8': 'invalid UTF-8',
  'no-tab': 'no tab between source and target',
  'empty-source': 'empty source sentence (or only invisible characters)',
  'empty-target': 'empty target sentence (or only invisible characters)',
  'control-chars': 'control characters (other than tab) in the text',
  'too-long': 'sentence too long',
  duplicate: 'duplicate of an earlier pair',
};

/** REASON_TEXT, with the limits spelled out for 'too-long'. */
export function describeReason(reason: RejectReason, limits?: { maxWords: number; maxChars: number }): string {
  if (reason !== 'too-long' || !limits) return REASON_TEXT[reason];
  return `${REASON_TEXT[reason]} (over ${limits.maxWords} words or ${limits.maxChars} characters on a side)`;
}

export interface ImportOptions {
  /** Max characters (code points) per side after cleaning. Default 400. */
  maxChars?: number;
  /** Max words (space-separated) per side after cleaning. Default 100. */
  maxWords?: number;
  /** Max file size in bytes; a larger file is refused whole. Default 64 MiB. */
  maxBytes?: number;
  /** Max pairs kept; lines after the limit are not read. Default 500 000. */
  maxPairs?: number;
  /** 'reverse' swaps the two columns (target → source). Default 'forward'. */
  direction?: 'forward' | 'reverse';
  /** Keep duplicate pairs instead of rejecting them. Default false. */
  keepDuplicates?: boolean;
  /** Called now and then (every 64 KiB read) with the fraction of the file read, 0..1. */
  onProgress?: (fraction: number) => void;
}

export interface Rejected {
  line: number;
  reason: RejectReason;
}

export interface ImportResult {
  pairs: Pair[];
  rejected: Rejected[];
  /** One line: pairs kept, lines rejected by reason. */
  summary: string;
  /** One message per problem kind, naming the first offending lines. */
  messages: string[];
  /** Set when nothing usable remains (the file must not replace the current corpus). */
  fatal?: string;
  stats: { lines: number; blankLines: number; kept: number; rejected: number; truncatedAtLine?: number };
}

const PROGRESS_BYTES = 1 << 16;

export const IMPORT_DEFAULTS = {
  maxChars: 400,
  maxWords: 100,
  maxBytes: 64 * 1024 * 1024,
  maxPairs: 500_000,
  direction: 'forward' as const,
  keepDuplicates: false,
};

/** Import a TSV corpus from raw bytes (a browser File's arrayBuffer or fs.readFileSync). */
export function importCorpus(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  const opts = { ...IMPORT_DEFAULTS, ...options };
  const fileProblem = checkWholeFile(bytes, opts.maxBytes);
  if (fileProblem) return fatalResult(fileProblem);

  const pairs: Pair[] = [];
  const rejected: Rejected[] = [];
  const seen = new Set<string>();
  let lines = 0, blankLines = 0, truncatedAtLine: number | undefined;
  let reported = 0;
  for (const raw of readLines(bytes)) {
    lines = raw.line;
    if (opts.onProgress && raw.end - reported >= PROGRESS_BYTES) {
      reported = raw.end;
      opts.onProgress(raw.end / bytes.length);
    }
    if (pairs.length >= opts.maxPairs) {
      truncatedAtLine = raw.line;
      break;
    }
    if (raw.text === undefined) {
      rejected.push({ line: raw.line, reason: 'invalid-utf8' });
      continue;
    }
    if (raw.text.trim() === '') {
      blankLines++;
      continue;
    }
    const parsed = parseLine(raw.text, opts);
    if (typeof parsed === 'string') {
      rejected.push({ line: raw.line, reason: parsed });
      continue;
    }
    const key = parsed.source + '\t' + parsed.target;
    if (!opts.keepDuplicates && seen.has(key)) {
      rejected.push({ line: raw.line, reason: 'duplicate' });
      continue;
    }
    seen.add(key);
    pairs.push({ ...parsed, line: raw.line });
  }
  if (truncatedAtLine !== undefined) lines = countLines(bytes);
  opts.onProgress?.(1);
  return buildResult(pairs, rejected, { lines, blankLines, truncatedAtLine, ...opts });
}

/** NFC, whitespace runs → one space, trimmed. */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** "line 3, 7, 12 (and 40 more)" for a sorted list of line numbers. */
export function formatLineList(lines: readonly number[], show = 5): string {
  if (lines.length === 0) return 'no lines';
  const head = lines.slice(0, show).join(', ');
  const more = lines.length > show ? ` (and ${lines.length - show} more)` : '';
  return `line${lines.length > 1 ? 's' : ''} ${head}${more}`;
}

/** Rejected lines grouped by reason, in first-occurrence order. */
export function groupRejected(rejected: readonly Rejected[]): Map<RejectReason, number[]> {
  const groups = new Map<RejectReason, number[]>();
  for (const r of rejected) {
    const list = groups.get(r.reason);
    if (list) list.push(r.line);
    else groups.set(r.reason, [r.line]);
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------------
// Reading lines: BOM and CRLF tolerant, each line decoded on its own so one bad byte costs one line.

export interface RawLine {
  line: number;
  /** Decoded text without the line terminator; undefined when the line is not valid UTF-8. */
  text: string | undefined;
  /** Byte offset just past the line's text (progress). */
  end: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Lines of a UTF-8 byte buffer; terminators \n, \r\n and lone \r; a leading BOM is skipped. */
export function* readLines(bytes: Uint8Array): Generator<RawLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (const [line, start, end] of lineSpans(bytes)) {
    yield { line, text: decodeOrUndefined(decoder, bytes.subarray(start, end)), end };
  }
}

/** [line number, start, end) byte spans of the lines, terminators excluded. */
function* lineSpans(bytes: Uint8Array): Generator<[number, number, number]> {
  let start = hasPrefix(bytes, UTF8_BOM) ? 3 : 0;
  let line = 0;
  while (start < bytes.length) {
    let end = start;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    yield [++line, start, end];
    start = end + (bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? 2 : 1);
  }
}

/** Decode a whole UTF-8 file into its lines (BOM/CRLF tolerant); undefined entries are invalid lines. */
export function decodeLines(bytes: Uint8Array): (string | undefined)[] {
  return Array.from(readLines(bytes), (l) => l.text);
}

function decodeOrUndefined(decoder: TextDecoder, bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (const _ of lineSpans(bytes)) n++;
  return n;
}

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

// ---------------------------------------------------------------------------------------------------
// Whole-file checks.

const BINARY_SAMPLE = 1 << 16;

function checkWholeFile(bytes: Uint8Array, maxBytes: number): string | undefined {
  if (bytes.length > maxBytes) {
    return `file is ${formatSize(bytes.length)}, over the import limit of ${formatSize(maxBytes)}`;
  }
  const bom = hasPrefix(bytes, UTF8_BOM) ? 3 : 0;
  if (bytes.length === bom || bytes.subarray(bom).every((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d))) {
    return 'file is empty';
  }
  if (hasPrefix(bytes, [0xff, 0xfe]) || hasPrefix(bytes, [0xfe, 0xff])) {
    return 'file is UTF-16 encoded (byte order mark FF FE / FE FF); save it as UTF-8';
  }
  return checkBinary(bytes);
}

/**
 * In the first 64 KiB: more than 0.1% NUL bytes (any NUL in a small file) or more than 10% control
 * bytes mean a binary file. A stray NUL in a large text file only costs its line ('control-chars').
 */
function checkBinary(bytes: Uint8Array): string | undefined {
  const sample = bytes.subarray(0, BINARY_SAMPLE);
  let nul = 0, control = 0;
  for (const b of sample) {
    if (b === 0) nul++;
    else if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
  }
  if (nul <= sample.length * 0.001 && nul + control <= sample.length * 0.1) return undefined;
  const what = nul > 0 ? 'NUL bytes' : `${Math.round((100 * control) / sample.length)}% control bytes`;
  return `looks like a binary file, not UTF-8 text (${what} on ${formatLineList(binaryLines(sample))})`;
}

function binaryLines(sample: Uint8Array): number[] {
  const lines: number[] = [];
  let line = 1, marked = false;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i];
    if (b === 0x0a) {
      line++;
      marked = false;
    } else if (!marked && (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0c) || b === 0x7f)) {
      lines.push(line);
      marked = true;
    }
  }
  return lines;
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// ---------------------------------------------------------------------------------------------------
// One line → a pair or a reject reason.

// C0 controls except tab, DEL, C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/u;

// Something a reader can see: not whitespace, not a format character (zero-width space and joiners,
// direction marks, word joiner, BOM, soft hyphen: \p{Cf}), not a mark on its own (variation selectors,
// the combining grapheme joiner: \p{M}), not a Hangul filler or the Braille blank.
const VISIBLE = /[^\s\p{Cf}\p{M}\u115f\u1160\u2800\u3164\uffa0]/u;

function parseLine(
  text: string,
  opts: { maxChars: number; maxWords: number; direction: 'forward' | 'reverse' },
): { source: string; target: string } | RejectReason {
  const tab = text.indexOf('\t');
  if (tab < 0) return 'no-tab';
  const cells = text.split('\t');
  if (CONTROL.test(cells[0]) || CONTROL.test(cells[1])) return 'control-chars';
  let source = cleanText(cells[0]);
  let target = cleanText(cells[1]);
  if (opts.direction === 'reverse') [source, target] = [target, source];
  if (!VISIBLE.test(source)) return 'empty-source';
  if (!VISIBLE.test(target)) return 'empty-target';
  if (tooLong(source, opts) || tooLong(target, opts)) return 'too-long';
  return { source, target };
}

function tooLong(text: string, opts: { maxChars: number; maxWords: number }): boolean {
  if (text.length > opts.maxChars && [...text].length > opts.maxChars) return true;
  let words = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x20) words++;
  return words > opts.maxWords;
}

// ---------------------------------------------------------------------------------------------------
// Report.

function fatalResult(fatal: string): ImportResult {
  return {
    pairs: [],
    rejected: [],
    summary: `nothing imported: ${fatal}`,
    messages: [fatal],
    fatal,
    stats: { lines: 0, blankLines: 0, kept: 0, rejected: 0 },
  };
}

function buildResult(
  pairs: Pair[],
  rejected: Rejected[],
  info: { lines: number; blankLines: number; truncatedAtLine?: number; maxPairs: number; maxWords: number; maxChars: number },
): ImportResult {
  const groups = groupRejected(rejected);
  const messages = [...groups].map(([reason, lines]) => `${formatLineList(lines)}: ${describeReason(reason, info)}`);
  if (info.truncatedAtLine !== undefined) {
    const ignored = info.lines - info.truncatedAtLine + 1;
    messages.push(`pair limit of ${info.maxPairs} reached: line ${info.truncatedAtLine} and the ${ignored - 1} after it were not read`);
  }
  const byReason = [...groups].map(([reason, lines]) => `${REASON_TEXT[reason]}: ${lines.length}`).join(', ');
  const summary =
    `kept ${pairs.length} pair${pairs.length === 1 ? '' : 's'} of ${info.lines} line${info.lines === 1 ? '' : 's'}` +
    (rejected.length > 0 ? `; rejected ${rejected.length} (${byReason})` : '; nothing rejected');
  const stats = { lines: info.lines, blankLines: info.blankLines, kept: pairs.length, rejected: rejected.length };
  const result: ImportResult = { pairs, rejected, summary, messages, stats };
  if (info.truncatedAtLine !== undefined) result.stats.truncatedAtLine = info.truncatedAtLine;
  if (pairs.length === 0) {
    result.fatal = `no usable sentence pairs` + (messages.length > 0 ? `: ${messages.join('; ')}` : '');
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Identity of a corpus: a content hash of its pairs (not its file name), stored in a run's spec.

/**
 * FNV-1a 64 over the pairs as `src \t tgt \n`, each UTF-16 code unit fed as two bytes (low, high), as 16
 * hex digits. Two corpora with the same pairs in the same order hash alike whatever their file names.
 */
export function corpusHash(pairs: readonly { src: string; tgt: string }[]): string {
  // 64-bit state in two 32-bit halves; prime 2^40 + 0x1b3: h * p = h * 0x1b3 + (lo << 40).
  let hi = 0xcbf29ce4, lo = 0x84222325;
  const feed = (byte: number) => {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3;
    const carry = Math.floor(low / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = low >>> 0;
  };
  const text = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      feed(c & 0xff);
      feed(c >>> 8);
    }
  };
  for (const p of pairs) {
    text(p.src);
    feed(0x09);
    feed(0);
    text(p.tgt);
    feed(0x0a);
    feed(0);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
