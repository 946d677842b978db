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
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
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
# Fewer texts than this are shingled with numpy: not worth loading the compiled kernel.
_COMPILED_MIN_TEXTS = 32


def _is_word_char(cp: int) -> bool:
    c = chr(cp)
    return c.isalnum() or c == "_" or unicodedata.category(c) in ("Mn", "Mc")


@lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """xxh3-64 of every BMP code point's UTF-8 bytes, computed once per process.

    Everything that is not part of a word (punctuation, symbols, white space)
    maps to the hash of a space, so that punctuation differences between copies
    do not count and runs of separators fold into one.
    """
    space = xxhash.xxh3_64_intdigest(b" ")
    out = np.full(0x10000, space, dtype=np.uint64)
    for cp in range(0x10000):
        if _is_word_char(cp):
            # Surrogates cannot be encoded; they never survive NFKC anyway.
            out[cp] = xxhash.xxh3_64_intdigest(chr(cp).encode("utf-8", "surrogatepass"))
    return out


_ASTRAL_SALT = np.uint64(0x5851F42D4C957F2D)
_SPACE_HASH = np.uint64(xxhash.xxh3_64_intdigest(b" "))


def _fold_separators(h: np.ndarray) -> np.ndarray:
    """Drop leading, trailing and repeated separator hashes."""
    word = h != _SPACE_HASH
    if not word.any():
        return h[:0]
    keep = word.copy()
    keep[1:] |= word[:-1]  # the first separator after a word stays…
    keep[int(np.flatnonzero(word)[-1]) + 1 :] = False  # …unless no word follows
    keep[: int(word.argmax())] = False
    return h[keep]


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
        # Beyond the BMP (emoji, rare CJK): every code point is a word character,
        # hashed by mixing the code point (the compiled batch path does the same).
        with np.errstate(over="ignore"):
            out[big] = _splitmix(cps[big].astype(np.uint64) + _ASTRAL_SALT)
    else:
        out = table[cps]
    return _fold_separators(out)


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


# Languages written without spaces between words (ISO 639-1): they always get
# character shingles, whatever the text's share of spaces (a Chinese article
# quoting English names can have many).
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})


def is_no_space_script(text: str, language: str = "") -> bool:
    """A no-space language (when known), or a text with few spaces.

    >>> is_no_space_script("ข่าว ล่าสุด วันนี้ " * 3, "th"), is_no_space_script("harga beras naik " * 3)
    (True, False)
    """
    if language in NO_SPACE_LANGUAGES:
        return True
    return len(text) > 20 and text.count(" ") < _NO_SPACE_RATIO * len(text)


def shingle(text: str, cfg: ShingleConfig, language: str = "") -> np.ndarray:
    """The set of shingle hashes of a normalised text, as sorted unique uint32.

    ``language`` (ISO 639-1, "" when unknown) decides whether a word-shingle
    config falls back to characters (see :data:`NO_SPACE_LANGUAGES`).
    """
    if cfg.kind == "word" and is_no_space_script(text, language):
        hashes = ngram_hashes(token_hashes(text, "char"), _CJK_CHAR_SIZE)
    else:
        hashes = ngram_hashes(token_hashes(text, cfg.kind), cfg.size)
    return _sorted_unique(hashes)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique (hash-based in numpy 2.x) is ~10x slower than sort + mask here.
    if values.size < 2:
        return values
    values = np.sort(values)
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


# -- batch path (compiled) -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ShingleBatch:
    """Shingle sets of many texts in one flat array: set ``i`` is
    ``values[starts[i] : starts[i] + counts[i]]`` (unique; sorted only when
    built by :meth:`of` from sorted sets, not by the compiled path)."""

    values: np.ndarray  # uint32
    starts: np.ndarray  # int64
    counts: np.ndarray  # int64

    def __len__(self) -> int:
        return int(self.counts.size)

    def get(self, i: int) -> np.ndarray:
        return self.values[self.starts[i] : self.starts[i] + self.counts[i]]

    @classmethod
    def of(cls, sets: Sequence[np.ndarray]) -> ShingleBatch:
        counts = np.array([s.size for s in sets], dtype=np.int64)
        starts = np.zeros(len(sets), dtype=np.int64)
        if len(sets) > 1:
            np.cumsum(counts[:-1], out=starts[1:])
        values = np.concatenate(sets).astype(np.uint32, copy=False) if sets else np.empty(0, np.uint32)
        return cls(values, starts, counts)


def shingle_batch(texts: Sequence[str], cfg: ShingleConfig, languages: Sequence[str] | None = None) -> ShingleBatch:
    """Shingle many normalised texts at once; the same sets as ``[shingle(t, cfg, lang) for t, lang in …]``."""
    if cfg.kind != "char" or len(texts) < _COMPILED_MIN_TEXTS:
        langs = languages if languages is not None else [""] * len(texts)
        return ShingleBatch.of([shingle(t, cfg, lang) for t, lang in zip(texts, langs, strict=True)])
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    out = np.empty(max(int(offsets[-1]), 1), dtype=np.uint32)
    counts = np.empty(len(texts), dtype=np.int64)
    from ._kernels import char_shingles

    char_shingles(cps, offsets, _char_table(), cfg.size, out, counts)
    return ShingleBatch(out, offsets[:-1].copy(), counts)
