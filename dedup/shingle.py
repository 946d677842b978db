"""Text → set of 32-bit shingle hashes, built with array arithmetic.

Tokens (words, or characters) are hashed once with xxhash; n-gram hashes are
then combined from token hashes with numpy, so no Python loop runs per shingle.
Scripts written without spaces (Chinese, Japanese, Thai…) always get character
shingles, whatever ``kind`` says.

>>> from dedup.config import ShingleConfig
>>> s = shingle("harga beras naik lagi", ShingleConfig(kind="word", size=2))
>>> len(s)   # three word bigrams
3
>>> s.dtype
dtype('uint32')
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import xxhash

from .config import ShingleConfig

_WORD = re.compile(r"\w+")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# A text with fewer spaces than this per character is treated as a no-space script.
_NO_SPACE_RATIO = 0.05
_CJK_CHAR_SIZE = 3


@lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """xxh3-64 of every BMP code point's UTF-8 bytes, computed once per process."""
    out = np.empty(0x10000, dtype=np.uint64)
    for cp in range(0x10000):
        # Surrogates cannot be encoded; they never survive NFKC anyway.
        out[cp] = xxhash.xxh3_64_intdigest(chr(cp).encode("utf-8", "surrogatepass"))
    return out


_word_cache: dict[str, int] = {}
_WORD_CACHE_MAX = 2_000_000


def _word_hash(token: str) -> int:
    # News vocabularies are Zipfian: a dict hit is cheaper than encoding and hashing.
    h = _word_cache.get(token)
    if h is None:
        if len(_word_cache) >= _WORD_CACHE_MAX:
            _word_cache.clear()
        h = _word_cache[token] = xxhash.xxh3_64_intdigest(token.encode("utf-8"))
    return h


def token_hashes(text: str, kind: str) -> np.ndarray:
    """64-bit xxh3 hashes of the tokens of an already normalised text."""
    if kind == "word":
        tokens = _WORD.findall(text)
        return np.fromiter(map(_word_hash, tokens), dtype=np.uint64, count=len(tokens))
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = _char_table()
    if cps.size and int(cps.max()) >= 0x10000:
        big = cps >= 0x10000
        out = table[np.where(big, 0, cps)]
        out[big] = [xxhash.xxh3_64_intdigest(chr(c).encode("utf-8")) for c in cps[big]]
        return out
    return table[cps]


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def ngram_hashes(tokens: np.ndarray, size: int) -> np.ndarray:
    """Order-sensitive n-gram hashes from token hashes, folded to 32 bits (not deduplicated)."""
    if tokens.size == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(size, tokens.size)  # a text shorter than one shingle is one shingle
    m = tokens.size - n + 1
    acc = tokens[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, n):
            acc = acc * _GOLDEN + tokens[j : j + m]
        acc = _splitmix(acc)
    return (acc >> np.uint64(32)).astype(np.uint32)


def is_no_space_script(text: str) -> bool:
    return len(text) > 20 and text.count(" ") < _NO_SPACE_RATIO * len(text)


def shingle(text: str, cfg: ShingleConfig) -> np.ndarray:
    """The set of shingle hashes of a normalised text, as sorted unique uint32."""
    if cfg.kind == "word" and is_no_space_script(text):
        hashes = ngram_hashes(token_hashes(text, "char"), _CJK_CHAR_SIZE)
    else:
        hashes = ngram_hashes(token_hashes(text, cfg.kind), cfg.size)
    return np.unique(hashes)
