from __future__ import annotations

import numpy as np
import pytest

from dedup.clean import normalise
from dedup.config import ShingleConfig
from dedup.shingle import ShingleBatch, is_no_space_script, ngram_hashes, shingle, shingle_batch, token_hashes

TEXT = normalise(
    "Harga beras medium di Pasar Induk Cipinang naik Rp 600 per kilogram dalam sepekan, "
    "kata pedagang yang mengeluhkan pasokan dari Karawang berkurang."
)


def _assert_sorted_unique_uint32(s: np.ndarray) -> None:
    assert s.dtype == np.uint32
    assert s.ndim == 1
    assert np.all(np.diff(s.astype(np.int64)) > 0), "not sorted and unique"


@pytest.mark.parametrize(("kind", "size"), [("char", 5), ("char", 3), ("word", 1), ("word", 2), ("word", 3)])
def test_output_is_sorted_unique_uint32(kind: str, size: int) -> None:
    s = shingle(TEXT, ShingleConfig(kind=kind, size=size))  # type: ignore[arg-type]
    _assert_sorted_unique_uint32(s)
    assert s.size > 5


def test_word_shingle_counts() -> None:
    words = "harga beras naik lagi di pasar"  # 6 distinct words
    assert shingle(words, ShingleConfig(kind="word", size=1)).size == 6
    assert shingle(words, ShingleConfig(kind="word", size=2)).size == 5
    assert shingle(words, ShingleConfig(kind="word", size=3)).size == 4


def test_char_shingle_counts() -> None:
    text = "abcdefghij"  # 10 distinct characters
    assert shingle(text, ShingleConfig(kind="char", size=5)).size == 6
    assert shingle(text, ShingleConfig(kind="char", size=1)).size == 10


def test_repeated_ngrams_are_counted_once() -> None:
    assert shingle("aaaaaaaaaa", ShingleConfig(kind="char", size=3)).size == 1
    assert shingle("naik naik naik naik", ShingleConfig(kind="word", size=2)).size == 1


def test_word_order_matters() -> None:
    cfg = ShingleConfig(kind="word", size=2)
    a = shingle("beras naik", cfg)
    b = shingle("naik beras", cfg)
    assert a.size == b.size == 1
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(("kind", "size", "text"), [("word", 5, "harga naik"), ("char", 5, "abc"), ("word", 3, "tunggal")])
def test_text_shorter_than_one_shingle_gives_one_shingle(kind: str, size: int, text: str) -> None:
    s = shingle(text, ShingleConfig(kind=kind, size=size))  # type: ignore[arg-type]
    assert s.size == 1
    assert s.dtype == np.uint32


def test_empty_text_gives_no_shingles() -> None:
    s = shingle("", ShingleConfig())
    assert s.size == 0
    assert s.dtype == np.uint32


def test_char_and_word_kinds_differ() -> None:
    char = shingle(TEXT, ShingleConfig(kind="char", size=5))
    word = shingle(TEXT, ShingleConfig(kind="word", size=5))
    assert char.size > word.size
    assert word.size == len(TEXT.split()) - 4


def test_deterministic_across_calls() -> None:
    for cfg in (ShingleConfig(), ShingleConfig(kind="word", size=3)):
        first = shingle(TEXT, cfg)
        again = shingle(str(TEXT), cfg)
        assert np.array_equal(first, again)


def test_shingles_of_a_copy_are_a_subset() -> None:
    cfg = ShingleConfig(kind="word", size=2)
    full = shingle(TEXT, cfg)
    part = shingle(" ".join(TEXT.split()[:8]), cfg)
    assert np.isin(part, full).all()


CHINESE = "北京市政府今天上午宣布明年将扩建地铁网络新增三条线路总长度约一百二十公里预计耗资六百亿元"
THAI = "กรุงเทพมหานครประกาศขยายเส้นทางรถไฟฟ้าสายใหม่อีกสามสายภายในปีหน้าเพื่อลดปัญหาการจราจรติดขัด"


@pytest.mark.parametrize("text", [CHINESE, THAI], ids=["chinese", "thai"])
def test_no_space_script_falls_back_to_char_shingles_in_word_mode(text: str) -> None:
    assert is_no_space_script(text)
    s = shingle(text, ShingleConfig(kind="word", size=3))
    # The whole text is one \w+ "word": word shingles would give a single shingle.
    assert s.size > 30
    assert s.size == len({text[i : i + 3] for i in range(len(text) - 2)})
    assert np.array_equal(s, shingle(text, ShingleConfig(kind="char", size=3)))
    _assert_sorted_unique_uint32(s)
    # A verbatim half of it shares its shingles.
    half = shingle(text[: len(text) // 2], ShingleConfig(kind="word", size=3))
    assert np.isin(half, s).all()


def test_spaced_text_is_not_a_no_space_script() -> None:
    assert not is_no_space_script(TEXT)
    assert not is_no_space_script("pendek")  # too short to judge


def test_astral_characters_are_hashed() -> None:
    # Code points above the BMP take the slow path; they must still be distinct tokens.
    h = token_hashes("a\U0001F600b\U0001F601", "char")
    assert h.dtype == np.uint64
    assert h.size == 4
    assert len(set(h.tolist())) == 4


def test_ngram_hashes_of_nothing() -> None:
    out = ngram_hashes(np.empty(0, dtype=np.uint64), 5)
    assert out.size == 0 and out.dtype == np.uint32


EDGE_TEXTS = [
    "",
    "!!!",
    "a",
    "  leading and trailing spaces  ",
    "punctuation, everywhere... (really) — yes!",
    "emoji \U0001F600 and \U0001F601 beyond the bmp",
    CHINESE,
    "harga beras naik lagi di pasar induk cipinang",
]


@pytest.mark.parametrize("n_copies", [1, 6], ids=["numpy", "compiled"])
@pytest.mark.parametrize(("kind", "size"), [("char", 5), ("char", 3), ("word", 2)])
def test_shingle_batch_equals_one_by_one(news, n_copies: int, kind: str, size: int) -> None:  # type: ignore[no-untyped-def]
    texts = [normalise(n.body) for n in news.values()] + EDGE_TEXTS
    texts = texts * n_copies  # 6 x 16 texts takes the compiled path for char shingles
    cfg = ShingleConfig(kind=kind, size=size)  # type: ignore[arg-type]
    batch = shingle_batch(texts, cfg)
    assert len(batch) == len(texts)
    _assert_same_sets(batch, texts, cfg)


def _assert_same_sets(batch: ShingleBatch, texts: list[str], cfg: ShingleConfig) -> None:
    """Each batch set holds what :func:`shingle` gives, once each, in whatever order."""
    for i, t in enumerate(texts):
        got = batch.get(i)
        assert np.unique(got).size == got.size
        assert np.array_equal(np.sort(got), shingle(t, cfg)), (i, t[:40])


def test_compiled_sets_of_long_and_repetitive_texts_equal_numpy() -> None:
    rng = np.random.default_rng(7)
    words = ["harga", "beras", "naik", "di", "pasar", "induk", "cipinang", "kata", "pedagang", "rp"]
    texts = [" ".join(rng.choice(words, size=n)) for n in (3, 50, 2_000, 20_000)] + ["ab " * 5_000] * 40
    cfg = ShingleConfig(kind="char", size=7)
    _assert_same_sets(shingle_batch(texts, cfg), texts, cfg)  # 44 texts: the compiled path
