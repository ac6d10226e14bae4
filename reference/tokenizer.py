"""The product's byte-level BPE tokenizer (src/data/tokenizer.ts), encoding in Python exactly as the
TypeScript one does, so that train_dist.py turns text into the same ids as the page and `cli train`.

The tokenizer travels as JSON, {"type": "byte-bpe", "version": 1, "vocabSize": V, "merges": [l0, r0, ...]},
in a checkpoint's __metadata__ under "tokenizer" (a JSON string). Ids: 0 PAD, 1 BOS, 2 EOS, 3 UNK,
4..259 the 256 byte values, then merge i creates id 260 + i.

Encoding (as tokenizer.ts):
  1. pre-tokenize with the regex  / ?\\p{L}[\\p{L}\\p{M}]*| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+/gu
     (re-implemented below as a scanner: Python's `re` has no \\p{..}; JavaScript's \\s set is used);
  2. each chunk -> its UTF-8 bytes (a lone surrogate becomes U+FFFD, as TextEncoder does) + 4;
  3. repeatedly merge the adjacent pair of lowest rank, every non-overlapping occurrence left to right.

Unicode categories come from Python's unicodedata (Unicode 14 on Debian's Python 3.11; Node 20 uses a
later version): a character assigned only in a later Unicode version may be chunked differently.

  /usr/bin/python3 reference/tokenizer.py encode --tokenizer T.(json|safetensors) --strings S.json --out OUT.json
writes {"ids": [ids of each string], "chunks": [pre-tokenizer chunks of each string]} (for the tests).
"""
import argparse
import json
import os
import sys
import unicodedata

PAD, BOS, EOS, UNK = 0, 1, 2, 3
BYTE_OFFSET = 4
BASE_VOCAB = BYTE_OFFSET + 256
MAX_VOCAB = 1 << 16

# JavaScript's \s (WhiteSpace and LineTerminator of ECMA-262, with the Zs of Unicode).
_JS_SPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
                      + "".join(chr(c) for c in range(0x2000, 0x200B)))


def _is_space(ch):
    return ch in _JS_SPACE


def _is_letter(ch):
    return unicodedata.category(ch)[0] == "L"


def _is_mark(ch):
    return unicodedata.category(ch)[0] == "M"


def _is_number(ch):
    return unicodedata.category(ch)[0] == "N"


def _is_other(ch):  # [^\s\p{L}\p{N}]
    return not _is_space(ch) and not _is_letter(ch) and not _is_number(ch)


def pretokenize(text):
    """Chunks of text, as `text.match(CHUNK)` in tokenizer.ts; they concatenate back to text."""
    chunks, i, n = [], 0, len(text)

    def run(j, pred):
        while j < n and pred(text[j]):
            j += 1
        return j

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else None
        # each alternative: first with its optional leading space, then without
        if c == " " and nxt is not None and _is_letter(nxt):
            j = run(i + 2, lambda x: _is_letter(x) or _is_mark(x))
        elif _is_letter(c):
            j = run(i + 1, lambda x: _is_letter(x) or _is_mark(x))
        elif c == " " and nxt is not None and _is_number(nxt):
            j = run(i + 2, _is_number)
        elif _is_number(c):
            j = run(i + 1, _is_number)
        elif c == " " and nxt is not None and _is_other(nxt):
            j = run(i + 2, _is_other)
        elif _is_other(c):
            j = run(i + 1, _is_other)
        else:  # whitespace: \s+(?!\S) leaves the run's last character to a following word, else \s+
            k = run(i + 1, _is_space)
            j = k if k == n or k - i == 1 else k - 1
        chunks.append(text[i:j])
        i = j
    return chunks


def utf8(text):
    """UTF-8 bytes as TextEncoder makes them: a lone surrogate is encoded as U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text).encode("utf-8")


class Tokenizer:
    def __init__(self, merges):
        self.merges = list(merges)
        self.ranks = {(self.merges[2 * i], self.merges[2 * i + 1]): i for i in range(len(self.merges) // 2)}
        self._cache = {}

    @property
    def vocab_size(self):
        return BASE_VOCAB + len(self.merges) // 2

    @staticmethod
    def from_json(obj, where="tokenizer"):
        """Validates like Tokenizer.fromJSON in tokenizer.ts; ValueError naming `where` and the problem."""
        def fail(msg):
            raise ValueError(f"{where}: {msg}")
        if not isinstance(obj, dict):
            fail("expected an object")
        if obj.get("type") != "byte-bpe":
            fail(f"type must be \"byte-bpe\", got {json.dumps(obj.get('type'))}")
        if obj.get("version") != 1:
            fail(f"unsupported version {json.dumps(obj.get('version'))} (expected 1)")
        merges = obj.get("merges")
        if not isinstance(merges, list):
            fail("merges must be an array of integers")
        if len(merges) % 2:
            fail(f"merges must hold pairs (even length), got length {len(merges)}")
        for i, m in enumerate(merges):
            limit = BASE_VOCAB + i // 2
            if isinstance(m, bool) or not isinstance(m, int) or m < BYTE_OFFSET or m >= limit:
                fail(f"merges[{i}] = {json.dumps(m)} is not a byte or earlier merge id in [{BYTE_OFFSET}, {limit})")
        size = BASE_VOCAB + len(merges) // 2
        if size > MAX_VOCAB:
            fail(f"vocabulary of {size} exceeds {MAX_VOCAB}")
        if obj.get("vocabSize") != size:
            fail(f"vocabSize {json.dumps(obj.get('vocabSize'))} does not match {len(merges) // 2} merges (expected {size})")
        return Tokenizer(merges)

    def to_json(self):
        return {"type": "byte-bpe", "version": 1, "vocabSize": self.vocab_size, "merges": list(self.merges)}

    def encode(self, text):
        """Token ids of text (no BOS/EOS)."""
        out = []
        for chunk in pretokenize(text):
            out.extend(self._encode_chunk(chunk))
        return out

    def _encode_chunk(self, chunk):
        hit = self._cache.get(chunk)
        if hit is not None:
            return hit
        ids = [b + BYTE_OFFSET for b in utf8(chunk)]
        ranks = self.ranks
        while len(ids) > 1:
            best, best_rank = -1, None
            for i in range(len(ids) - 1):
                r = ranks.get((ids[i], ids[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best < 0:
                break
            a, b, merged = ids[best], ids[best + 1], BASE_VOCAB + best_rank
            out, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        if len(self._cache) < 200_000:
            self._cache[chunk] = ids
        return ids


def load_tokenizer(path):
    """A tokenizer from a checkpoint (its __metadata__ "tokenizer") or from a tokenizer JSON file."""
    if path.endswith(".json"):
        try:
            with open(path, encoding="utf-8") as f:
                obj = json.load(f)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: cannot read a tokenizer JSON ({err})") from err
        return Tokenizer.from_json(obj, path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import safetensors_io as st
    try:
        _, meta = st.load(path)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read a checkpoint ({err})") from err
    if "tokenizer" not in meta:
        raise ValueError(f"{path}: no \"tokenizer\" in __metadata__, so its token ids cannot be read")
    try:
        obj = json.loads(meta["tokenizer"])
    except ValueError as err:
        raise ValueError(f"{path}: __metadata__.tokenizer is not valid JSON") from err
    return Tokenizer.from_json(obj, f"{path}: __metadata__.tokenizer")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("encode", help="encode a JSON list of strings: their ids and pre-tokenizer chunks")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--strings", required=True)
    e.add_argument("--out", required=True)
    a = p.parse_args(argv)
    tok = load_tokenizer(a.tokenizer)
    with open(a.strings, encoding="utf-8", errors="surrogatepass") as f:
        strings = json.load(f)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"ids": [tok.encode(s) for s in strings], "chunks": [pretokenize(s) for s in strings]}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
