"""The product's batching (src/data/batching.ts, with the options src/train/data.ts gives it), in Python:
the same length buckets, token budget, seeded shuffles and epochs, so that train_dist.py trains on the
batches `cli train` and the page would form from the same pairs.

Rules (batching.ts): a pair (src ids, tgt ids) is kept with srcN = min(len(src), maxLen - 1) tokens (the
product trains with overflow 'truncate'); its padded lengths are S = pad(srcN + 1), T = pad(tgtN + 1) with
pad(n) = min(ceil(n / 16) * 16, maxLen). An epoch e: a mulberry32 generator seeded with mix32(seed, e)
shuffles the pairs (Fisher-Yates), the pairs are grouped by (S, T) in order of first appearance, buckets
are visited by ascending key S * 65536 + T, each is cut into batches of B = max(1, floor(maxTokens /
(S + T))) pairs, and the batch list is shuffled with the same generator. Batch k of the endless stream is
batch k mod perEpoch of epoch k div perEpoch.

  /usr/bin/python3 reference/batching.py plan --tokenizer T --data pairs.tsv --max-tokens N --max-len L --seed S [--epochs E]
prints {"perEpoch": n, "epochs": [[{"S":..,"T":..,"indices":[..]}, ...], ...]} (for the tests).
"""
import argparse
import json
import math
import os
import sys

PAD, BOS, EOS = 0, 1, 2
LENGTH_MULTIPLE = 16  # src/train/data.ts: lengthMultiple 16
M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def mulberry32(seed):
    """tiny 32-bit generator of src/util/random.ts: a function returning floats in [0, 1)."""
    state = [seed & M32]

    def rand():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        t = state[0]
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0
    return rand


def mix32(seed, epoch):
    h = (_imul(seed & M32, 0x9E3779B1) ^ _imul(epoch & M32, 0x85EBCA6B)) & M32
    h ^= h >> 16
    h = _imul(h, 0x7FEB352D)
    h ^= h >> 15
    h = _imul(h, 0x846CA68B)
    return (h ^ (h >> 16)) & M32


def shuffle_in_place(a, rand):
    for i in range(len(a) - 1, 0, -1):
        j = int(math.floor(rand() * (i + 1)))
        a[i], a[j] = a[j], a[i]


class Batcher:
    """batching.ts's Batcher with overflow 'truncate' and lengthMultiple 16. pairs: [(src ids, tgt ids)]."""

    def __init__(self, pairs, max_tokens, max_len, seed, shuffle=True):
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"batching: max tokens must be a positive integer, got {max_tokens}")
        if not isinstance(max_len, int) or max_len < 2:
            raise ValueError(f"batching: maxLen must be an integer >= 2, got {max_len}")
        self.pairs, self.max_tokens, self.max_len, self.seed, self.shuffle = pairs, max_tokens, max_len, seed, shuffle
        self.prepared = []  # (index, srcN, tgtN, S, T)
        self.truncated = 0
        for index, (src, tgt) in enumerate(pairs):
            if len(src) + 1 > max_len or len(tgt) + 1 > max_len:
                self.truncated += 1
            src_n, tgt_n = min(len(src), max_len - 1), min(len(tgt), max_len - 1)
            self.prepared.append((index, src_n, tgt_n, self._padded(src_n + 1), self._padded(tgt_n + 1)))
        self.by_index = {p[0]: p for p in self.prepared}

    def _padded(self, n):
        return min(-(-n // LENGTH_MULTIPLE) * LENGTH_MULTIPLE, self.max_len)

    def batch_size(self, S, T):
        return max(1, self.max_tokens // (S + T))

    def plan(self, epoch):
        """The batches of one epoch: [(S, T, [pair indices])]."""
        rand = mulberry32(mix32(self.seed, epoch))
        order = list(self.prepared)
        if self.shuffle:
            shuffle_in_place(order, rand)
        buckets = {}
        for p in order:
            buckets.setdefault(p[3] * 65536 + p[4], []).append(p[0])
        groups = []
        for key in sorted(buckets):
            lst, S, T = buckets[key], key // 65536, key % 65536
            B = self.batch_size(S, T)
            for i in range(0, len(lst), B):
                groups.append((S, T, lst[i:i + B]))
        if self.shuffle:
            shuffle_in_place(groups, rand)
        return groups

    def batches_per_epoch(self):
        counts = {}
        for p in self.prepared:
            counts[(p[3], p[4])] = counts.get((p[3], p[4]), 0) + 1
        return sum(-(-c // self.batch_size(S, T)) for (S, T), c in counts.items())

    def iterate_from(self, position):
        """(epoch, step in epoch, (S, T, indices)) from global batch `position` on, endlessly."""
        if not self.prepared:
            return
        per = self.batches_per_epoch()
        epoch, skip = divmod(position, per)
        while True:
            groups = self.plan(epoch)
            for k in range(skip, len(groups)):
                yield epoch, k, groups[k]
            skip = 0
            epoch += 1


def fill_batch(pairs, by_index, indices, S, T):
    """Rows of one batch as lists: src (tokens + EOS), tgt_in (BOS + tokens), tgt_out (tokens + EOS), PAD 0;
    and the non-PAD target count."""
    src, tgt_in, tgt_out, tokens = [], [], [], 0
    for i in indices:
        _, src_n, tgt_n, _, _ = by_index[i]
        s, t = pairs[i]
        src.append(list(s[:src_n]) + [EOS] + [PAD] * (S - src_n - 1))
        tgt_in.append([BOS] + list(t[:tgt_n]) + [PAD] * (T - tgt_n - 1))
        tgt_out.append(list(t[:tgt_n]) + [EOS] + [PAD] * (T - tgt_n - 1))
        tokens += tgt_n + 1
    return {"src": src, "tgt_in": tgt_in, "tgt_out": tgt_out}, tokens


def read_tsv(path):
    """source<TAB>target per line (further columns ignored, blank lines skipped), text used as it is."""
    pairs = []
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n").rstrip("\r")
                if line.strip() == "":
                    continue
                cols = line.split("\t")
                if len(cols) < 2:
                    raise ValueError(f"{path}:{n}: no tab: a line must be source<TAB>target")
                pairs.append((cols[0], cols[1]))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err})") from err
    except OSError as err:
        raise ValueError(f"{path}: cannot read it ({err.strerror})") from err
    if not pairs:
        raise ValueError(f"{path}: no sentence pairs")
    return pairs


def main(argv=None):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tokenizer as tk
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("plan")
    s.add_argument("--tokenizer", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--max-tokens", type=int, required=True)
    s.add_argument("--max-len", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--epochs", type=int, default=1)
    a = p.parse_args(argv)
    tok = tk.load_tokenizer(a.tokenizer)
    pairs = [(tok.encode(x), tok.encode(y)) for x, y in read_tsv(a.data)]
    b = Batcher(pairs, a.max_tokens, a.max_len, a.seed)
    epochs = [[{"S": S, "T": T, "indices": idx} for S, T, idx in b.plan(e)] for e in range(a.epochs)]
    json.dump({"perEpoch": b.batches_per_epoch(), "epochs": epochs}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
