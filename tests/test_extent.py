"""The extent of reuse (issue 14, item 7): shared runs, the longest passage and the share
of a copy found in its parent, on texts small enough to count by hand."""

from __future__ import annotations

import difflib
import random
from dataclasses import replace
from datetime import datetime, timezone

from dedup.config import ShingleConfig
from dedup.extent import MIN_PASSAGE_WORDS, longest_run, shared_runs, with_reuse, words
from dedup.model import Member, ParentRef, Story, TimePrecision
from dedup.store import StoredArticle

# Word 3-grams, so the shares below can be counted by hand.
WORD3 = ShingleConfig(kind="word", size=3)
SHARED = "harbour cranes stood idle as dock workers began a strike"  # 10 words
WIRE = f"Rotterdam port: {SHARED.capitalize()} on Monday."  # 14 words
COPY = f"{SHARED.capitalize()}, & unions said."  # 12 words: the 10 shared, then 2 of its own
RECOPY = f"{SHARED.capitalize()}, unions said. Ships waited offshore."  # 15 words: COPY's 12, then 3


def _art(doc: int, ident: str, text: str, stripped: tuple[str, ...] = ()) -> StoredArticle:
    return StoredArticle(  # type: ignore[call-arg]
        doc=doc, id=ident, url=f"https://{ident}.example/x", outlet=f"{ident}.example", title=f"Title {ident}",
        text=text, published_at=None, time_precision="unknown", published_raw=None, record_hash="h",
        n_shingles=0, stripped=stripped, indexed_at="2026-12-05T00:00:00+00:00", story_id="s1",
    )


def _member(ident: str, parent: str | None) -> Member:
    return Member(
        ident, f"{ident}.example", f"https://{ident}.example/x", f"Title {ident}",
        datetime(2026, 12, 5, tzinfo=timezone.utc), TimePrecision.EXACT, None, 1.0, 1.0,
        "original" if parent is None else "uncredited_copy",
        parent=None if parent is None else ParentRef(id=parent, name=f"{parent}.example", in_corpus=True),
    )


def test_words_fold_case_and_punctuation_and_keep_offsets() -> None:
    w = words(COPY)
    assert w.keys == SHARED.split() + ["unions", "said"]
    assert [COPY[a:b] for a, b in w.spans][:2] == ["Harbour", "cranes"]


def test_runs_and_longest_passage_counted_by_hand() -> None:
    copy, wire = words(COPY).keys, words(WIRE).keys
    # The 10 shared words start at word 0 of the copy and word 2 of the wire.
    assert shared_runs(copy, wire, MIN_PASSAGE_WORDS) == [(0, 2, 10)]
    assert longest_run(copy, wire, MIN_PASSAGE_WORDS) == 10
    assert shared_runs(copy, wire, 11) == [] and longest_run(copy, wire, 11) == 10  # found below the floor too


def test_a_moved_paragraph_is_a_run_of_its_own() -> None:
    """Runs are not a monotone alignment: a copy that swaps two passages shares both."""
    one, two = "a b c d e f g h i j".split(), "k l m n o p q r".split()
    assert shared_runs(two + one, one + ["x"] + two, 8) == [(0, 11, 8), (8, 0, 10)]


def test_longest_run_is_the_longest_common_substring() -> None:
    rng = random.Random(14)
    for _ in range(300):
        a = [str(rng.randrange(3)) for _ in range(rng.randrange(40))]
        b = [str(rng.randrange(3)) for _ in range(rng.randrange(40))]
        m = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
        assert longest_run(a, b, 8) == m.size


def test_no_run_spans_a_stripped_line() -> None:
    """A junk line cleaning stripped ("Baca juga: ...") between two shared halves splits the run."""
    first, second = "one two three four five six seven eight", "nine ten eleven twelve thirteen fourteen fifteen sixteen"
    junk = "Baca juga: something else"
    copy = words(f"{first}\n{junk}\n{second}", stripped=(junk,))
    wire = words(f"{first} {second}")
    assert shared_runs(copy.keys, wire.keys, 8) == [(0, 0, 8), (9, 8, 8)]


def test_each_copy_is_measured_against_its_own_parent() -> None:
    """wire <- copy <- recopy: the recopy is measured against the copy (its parent), not
    the story's first member. Word 3-grams: the copy has 10, of which the 8 inside the
    shared 10 words are in the wire; the recopy has 13, of which the copy's 10 are in it."""
    arts = [_art(1, "wire", WIRE), _art(2, "copy", COPY), _art(3, "recopy", RECOPY)]
    story = Story("s1", _member("wire", None), (_member("wire", None), _member("copy", "wire"), _member("recopy", "copy")))
    out = {m.id: m.reuse for m in with_reuse(story, arts, WORD3).members}
    assert out["wire"] is None  # no parent: nothing to measure
    copy, recopy = out["copy"], out["recopy"]
    assert copy is not None and recopy is not None
    assert (copy.share, copy.longest_words) == (0.8, 10)
    assert (recopy.share, recopy.longest_words) == (round(10 / 13, 4), 12)
    (p,) = copy.passages
    assert (p.words, COPY[p.start:p.end], WIRE[p.source_start:p.source_end]) == (
        10, SHARED.capitalize(), SHARED.capitalize())
    # Another parent, another measure: the recopy against the wire shares only the 10 words.
    moved = replace(story, members=story.members[:2] + (_member("recopy", "wire"),))
    assert next(m for m in with_reuse(moved, arts, WORD3).members if m.id == "recopy").reuse.longest_words == 10  # type: ignore[union-attr]


def test_a_parent_outside_the_corpus_is_not_measured() -> None:
    member = replace(_member("copy", None), parent=ParentRef(id=None, name="EFE", in_corpus=False))
    story = Story("s1", member, (member,))
    assert with_reuse(story, [_art(2, "copy", COPY)], WORD3).members[0].reuse is None


def test_an_ngram_the_source_repeats_many_times_starts_no_run() -> None:
    """Rows of zeros in two market tables would pair every row with every row (the pairs grow
    as the product of the counts): an 8-gram the source holds more than MAX_REPEATS times
    is not followed, while the same text repeated a few times still is."""
    from dedup.extent import MAX_REPEATS

    row = "0 0 0 0 0 0 0 total".split()
    many, few = row * (MAX_REPEATS + 4), row * 3
    assert shared_runs(many, many, 8) == []
    assert (0, 0, 24) in shared_runs(few, few, 8)
