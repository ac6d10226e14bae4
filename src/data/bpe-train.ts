// BPE training core for src/data/tokenizer.ts: learn merges over distinct chunks ("words") weighted by
// their corpus frequency. Deterministic: each step merges the most frequent adjacent pair, ties going to
// the smallest (left id, right id). Incremental: pair counts live in one map; a merge only visits the
// words that hold the pair (an index pair → words) and only updates the pairs next to a merge site;
// a lazy max-heap (stale entries skipped on pop) finds the best pair. Cost ~ O(merge sites · log).

const KEY = 1 << 16; // pair key = left * KEY + right; ids < 65536

export interface TrainWords {
  /** Symbol ids of each distinct word (initially its bytes + byte offset). */
  symbols: number[][];
  /** Corpus frequency of each word. */
  freq: number[];
}

/**
 * Learn up to `maxMerges` merges; merge i creates id `firstId + i`. Returns the merges flattened
 * [left0, right0, left1, right1, ...]. Stops early when the best pair occurs < minFrequency times.
 * `words.symbols` is rewritten in place.
 */
export function learnMerges(words: TrainWords, firstId: number, maxMerges: number, minFrequency: number): Int32Array {
  if (firstId + maxMerges > KEY) throw new Error(`learnMerges: ids must stay below ${KEY}`);
  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  for (let w = 0; w < words.symbols.length; w++) {
    const s = words.symbols[w], f = words.freq[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * KEY + s[i + 1];
      counts.set(key, (counts.get(key) ?? 0) + f);
      addWhere(where, key, w);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of counts) heap.push(count, key);

  const merges: number[] = [];
  while (merges.length / 2 < maxMerges) {
    const best = popBest(heap, counts);
    if (best === undefined || best.count < minFrequency) break;
    const a = Math.floor(best.key / KEY), b = best.key % KEY, merged = firstId + merges.length / 2;
    merges.push(a, b);
    const touched = new Set<number>();
    for (const w of where.get(best.key) ?? []) mergeInWord(words, w, a, b, merged, counts, where, touched);
    where.delete(best.key);
    counts.delete(best.key);
    for (const key of touched) {
      const c = counts.get(key) ?? 0;
      if (c > 0) heap.push(c, key);
      else counts.delete(key);
    }
  }
  return Int32Array.from(merges);
}

function addWhere(where: Map<number, number[]>, key: number, w: number): void {
  const list = where.get(key);
  if (!list) where.set(key, [w]);
  else if (list[list.length - 1] !== w) list.push(w); // words are added in runs, so this dedupes
}

/** Replace every (a, b) in word w by `merged`, updating only the pairs that touch a merge site. */
function mergeInWord(
  words: TrainWords,
  w: number,
  a: number,
  b: number,
  merged: number,
  counts: Map<number, number>,
  where: Map<number, number[]>,
  touched: Set<number>,
): void {
  const s = words.symbols[w], f = words.freq[w];
  const out: number[] = [];
  const consumed: boolean[] = new Array(s.length).fill(false);
  for (let i = 0; i < s.length; i++) {
    if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
      out.push(merged);
      consumed[i] = consumed[i + 1] = true;
      i++;
    } else out.push(s[i]);
  }
  if (out.length === s.length) return; // stale index entry: the word no longer holds the pair
  const bump = (key: number, by: number) => {
    counts.set(key, (counts.get(key) ?? 0) + by);
    touched.add(key);
  };
  for (let i = 0; i + 1 < s.length; i++) if (consumed[i] || consumed[i + 1]) bump(s[i] * KEY + s[i + 1], -f);
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i] !== merged && out[i + 1] !== merged) continue;
    const key = out[i] * KEY + out[i + 1];
    bump(key, f);
    addWhere(where, key, w);
  }
  words.symbols[w] = out;
}

/** Pop heap entries until one matches the live count (lazy deletion of stale entries). */
function popBest(heap: PairHeap, counts: Map<number, number>): { count: number; key: number } | undefined {
  for (;;) {
    const top = heap.pop();
    if (top === undefined) return undefined;
    if (top.count > 0 && counts.get(top.key) === top.count) return top;
  }
}

/** Max-heap on (count desc, key asc): equal counts pop the smallest (left, right) pair first. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { count: number; key: number } | undefined {
    const n = this.keys.length;
    if (n === 0) return undefined;
    const top = { count: this.counts[0], key: this.keys[0] };
    this.swap(0, n - 1);
    this.counts.pop();
    this.keys.pop();
    const size = n - 1;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && this.before(l, m)) m = l;
      if (r < size && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i], cj = this.counts[j];
    return ci > cj || (ci === cj && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i], k = this.keys[i];
    this.counts[i] = this.counts[j];
    this.keys[i] = this.keys[j];
    this.counts[j] = c;
    this.keys[j] = k;
  }
}
