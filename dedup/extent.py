"""How much of a copy is its source (issue 14, item 7): measured on the stored texts at report time.

For each member with a parent in the corpus (``Member.parent``; nothing else is
assumed about how the parent was chosen):

- ``share``: the share of the member's shingles found in its parent's
  (:func:`dedup.verify.containment` on :func:`dedup.verify.text_shingles`: the
  exact sets, cleaned as the index cleans them);
- ``longest_words``: the longest verbatim passage the two texts share, in words
  (the longest common run of normalised words);
- ``passages``: every maximal shared run of at least :data:`MIN_PASSAGE_WORDS`
  words, as character spans in both stored texts, for display.

Words are runs of word characters as the shingle stage reads them (letters, digits,
combining marks), case-folded and NFKC-normalised, so punctuation, case and spacing
never break a run; lines that cleaning stripped (junk, repeated titles) take no
part, and no run spans one.

>>> src = "The central bank raised its key rate by half a point on Tuesday, its third rise this year."
>>> cp = "Officials said the Central Bank raised its key rate by half a point on Tuesday."
>>> a, b = words(cp), words(src)
>>> r = shared_runs(a.keys, b.keys, 8)
>>> [(i, j, n) for i, j, n in r], longest_run(a.keys, b.keys, 8)
([(2, 0, 13)], 13)
>>> s = a.spans[2][0], a.spans[14][1]
>>> cp[s[0]:s[1]]
'the Central Bank raised its key rate by half a point on Tuesday'
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .config import ShingleConfig
from .model import Passage, Reuse, Story
from .shingle import _is_word_char  # one definition of a word character
from .store import StoredArticle
from .verify import containment, text_shingles

# Shortest run shown as a reused passage. Independent reports of one event share names,
# titles and set phrases ("the prime minister said on Tuesday" is 6 words). On COUNTER's
# labelled pairs (benchmarks/EXTENT.md) runs of 8+ words cover 2.0% of an independent text
# (5+: 3.9%) and 46% of a wholly derived copy (5+: 53%); longer floors barely lower the former.
MIN_PASSAGE_WORDS = 8

MAX_REPEATS = 16  # see shared_runs

_LINE = re.compile(r"[^\n]+")
_BARRIERS = itertools.count()
# Odd 64-bit multipliers (fixed: the runs do not depend on them, equality is checked).
_POWERS = np.random.default_rng(14).integers(1, 2**63, 64, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


@lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """A word as compared: case-folded, NFKC (news repeats its words: cached)."""
    return unicodedata.normalize("NFKC", word.casefold())


@dataclass(frozen=True, slots=True)
class Words:
    """A text's words: normalised keys and their character spans in the text."""

    keys: list[str]
    spans: list[tuple[int, int]]


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """Whether each BMP code point is part of a word, as the shingle stage decides (letters,
    digits, "_" and combining marks: an Urdu word keeps its diacritics)."""
    return np.fromiter((_is_word_char(cp) for cp in range(0x10000)), bool, 0x10000)


def words(text: str, stripped: Sequence[str] = ()) -> Words:
    """The words of ``text`` outside the lines cleaning stripped (``StoredArticle.stripped``)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    is_word = _word_table()[np.minimum(cps, 0xFFFF)]
    astral = np.flatnonzero(cps > 0xFFFF)
    is_word[astral] = [_is_word_char(int(cps[i])) for i in astral]
    barriers: list[tuple[int, int]] = []
    skip = frozenset(stripped)
    if skip and any(line in text for line in skip):
        for m in _LINE.finditer(text):
            if m.group(0).strip() in skip:
                is_word[m.start():m.end()] = False
                barriers.append(m.span())
    edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
    spans = list(zip(edges[::2].tolist(), edges[1::2].tolist()))
    folded = text.casefold()
    # Most texts are NFKC already and fold letter for letter: then the folded text's words
    # are the keys, at the original's offsets, without normalising word by word.
    if len(folded) == len(text) and unicodedata.is_normalized("NFKC", folded):
        keys = [folded[i:j] for i, j in spans]
    else:
        keys = [_key(text[i:j]) for i, j in spans]
    if barriers:
        # A barrier no other word equals: a run never spans a stripped line ("Baca juga: …").
        marked = sorted([(span, key) for span, key in zip(spans, keys)]
                        + [(span, f"\0{next(_BARRIERS)}") for span in barriers])
        spans, keys = [sp for sp, _ in marked], [k for _, k in marked]
    return Words(keys, spans)


def shared_runs(a: Sequence[str], b: Sequence[str], n: int) -> list[tuple[int, int, int]]:
    """Every maximal run shared by ``a`` and ``b`` of ``n`` or more items, as (start in a,
    start in b, length), by start in ``a`` (an ``n``-gram ``b`` holds more than
    :data:`MAX_REPEATS` times starts no run).

    Exact and vectorised: items become integers, each ``n``-gram a 64-bit polynomial
    hash; ``n``-grams of ``a`` found among ``b``'s (sorted, searched) are kept only when
    their items are equal (no collision survives), and consecutive pairs on one diagonal
    (i - j) join into one run. difflib's matching blocks would be monotone: a paragraph
    moved in the copy would be lost; its longest match alone takes 2.5 ms on two 2,000-word
    texts, this 1 ms for all runs (benchmarks/EXTENT.md)."""
    if n < 1 or len(a) < n or len(b) < n:
        return []
    vocab: dict[str, int] = {}
    ia = np.fromiter((vocab.setdefault(w, len(vocab)) for w in a), np.uint64, len(a))
    ib = np.fromiter((vocab.setdefault(w, len(vocab)) for w in b), np.uint64, len(b))
    wa, wb = sliding_window_view(ia, n), sliding_window_view(ib, n)
    with np.errstate(over="ignore"):  # the hash wraps modulo 2**64 on purpose
        ha, hb = wa @ _POWERS[:n], wb @ _POWERS[:n]
    order = np.argsort(hb, kind="stable")
    sorted_b = hb[order]
    lo, hi = np.searchsorted(sorted_b, ha, "left"), np.searchsorted(sorted_b, ha, "right")
    # An n-gram the source repeats more than MAX_REPEATS times (a table's rows of zeros) is
    # not followed: its pairs would grow as the product of the two counts.
    count = np.where(hi - lo > MAX_REPEATS, 0, hi - lo)
    i = np.repeat(np.arange(len(ha)), count)
    # Each i's matches: positions lo[i] .. hi[i]-1 of the sorted hashes.
    within = np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)
    j = order[np.repeat(lo, count) + within]
    same = (wa[i] == wb[j]).all(axis=1)
    i, j = i[same], j[same]
    if not len(i):
        return []
    d = i - j
    by = np.lexsort((i, d))
    i, j, d = i[by], j[by], d[by]
    start = np.ones(len(i), bool)
    start[1:] = (d[1:] != d[:-1]) | (i[1:] != i[:-1] + 1)
    first = np.flatnonzero(start)
    last = np.append(first[1:], len(i)) - 1
    return sorted(zip(i[first].tolist(), j[first].tolist(), (i[last] - i[first] + n).tolist()))


def _share_gram(a: Sequence[str], b: Sequence[str], k: int) -> bool:
    grams = {tuple(b[j:j + k]) for j in range(len(b) - k + 1)}
    return any(tuple(a[i:i + k]) in grams for i in range(len(a) - k + 1))


def longest_run(a: Sequence[str], b: Sequence[str], n: int, runs: Sequence[tuple[int, int, int]] | None = None) -> int:
    """The longest run of items ``a`` and ``b`` share (their longest common substring):
    the longest of ``shared_runs(a, b, n)``, else the largest k < n for which they share
    a k-gram (bisected: sharing a k-gram implies sharing every shorter one)."""
    runs = shared_runs(a, b, n) if runs is None else runs
    if runs:
        return max(length for _, _, length in runs)
    lo, hi = 0, min(n - 1, len(a), len(b))  # lo: known shared (0 trivially); hi: the most it can be
    while lo < hi:
        k = (lo + hi + 1) // 2
        if _share_gram(a, b, k):
            lo = k
        else:
            hi = k - 1
    return lo


def reuse(copy: StoredArticle, source: StoredArticle, cfg: ShingleConfig,
          cache: dict[int, tuple[Words, np.ndarray]] | None = None) -> Reuse:
    """How much of ``copy`` is found in ``source`` (see the module doc). ``cache`` keeps
    each article's words and shingles by ``doc`` across the members of a story."""
    cache = {} if cache is None else cache

    def parsed(a: StoredArticle) -> tuple[Words, np.ndarray]:
        if a.doc not in cache:
            cache[a.doc] = (words(a.text, a.stripped), text_shingles(a.text, a.title, cfg))
        return cache[a.doc]

    (wa, sa), (wb, sb) = parsed(copy), parsed(source)
    runs = shared_runs(wa.keys, wb.keys, MIN_PASSAGE_WORDS)
    passages = tuple(
        Passage(words=n, start=wa.spans[i][0], end=wa.spans[i + n - 1][1],
                source_start=wb.spans[j][0], source_end=wb.spans[j + n - 1][1])
        for i, j, n in runs
    )
    return Reuse(
        share=round(containment(sa, sb), 4),
        longest_words=longest_run(wa.keys, wb.keys, MIN_PASSAGE_WORDS, runs),
        passages=passages, text=copy.text, source_text=source.text,
    )


def with_reuse(story: Story, articles: Sequence[StoredArticle], cfg: ShingleConfig) -> Story:
    """``story`` with each member whose parent is in the corpus measured against that parent."""
    by_id = {a.id: a for a in articles}
    cache: dict[int, tuple[Words, np.ndarray]] = {}
    members = tuple(
        replace(m, reuse=reuse(by_id[m.id], by_id[m.parent.id], cfg, cache))
        if m.parent is not None and m.parent.id is not None and m.id in by_id and m.parent.id in by_id else m
        for m in story.members
    )
    first = next((m for m in members if m.id == story.first.id), story.first)
    return replace(story, members=members, first=first)
