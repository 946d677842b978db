"""The record types that flow through the pipeline.

All are frozen, slotted dataclasses: a stage never mutates what an earlier stage
produced; it returns a new record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class TimePrecision(StrEnum):
    """How much of ``published_at`` the source actually gave us."""

    EXACT = "exact"  # date, time and UTC offset
    NAIVE = "naive"  # date and time, zone assumed from --tz
    DATE = "date"  # a bare date; time of day unknown
    UNKNOWN = "unknown"  # missing or unparseable: never guessed


@dataclass(frozen=True, slots=True)
class Article:
    """One scraped article as read from the input.

    >>> Article(id="a1", url="https://www.example.com/x", outlet="example.com", title="T", text="Body")
    Article(id='a1', ...)
    """

    id: str
    url: str
    outlet: str
    title: str
    text: str
    # Timezone-aware when known: UTC, except a bare date (DATE): its local midnight with the
    # offset of the zone it was read in, so that its calendar day is kept.
    published_at: datetime | None = None
    time_precision: TimePrecision = TimePrecision.UNKNOWN
    published_raw: str | None = None
    source: str = ""  # "file:line" the record came from, for messages
    language: str = ""  # ISO 639-1 code when known (pages: identified from the text); drives shingling
    digest: str = ""  # xxh3-128 of the raw page for articles extracted from HTML; "" otherwise
    page_key: str = ""  # read.html.page_key of that page: the page and what it was given; "" otherwise

    def __repr__(self) -> str:  # keep doctest output and logs short
        return f"Article(id={self.id!r}, ...)"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be used, with the reason. Counted, never silently dropped."""

    source: str  # "file:line" (or "file" when the whole file is unusable)
    reason: str  # short, stable category, e.g. "malformed JSON"
    detail: str = ""

    def message(self) -> str:
        return f"{self.source}: {self.reason}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that is no article and never claimed to be one: the image, script or
    redirect a crawl archive holds beside its pages. Counted, not an error."""

    source: str
    reason: str  # short, stable category, e.g. "not an HTML page"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A page stored before as article ``id`` from the same bytes (and the same given
    fields): counted as unchanged without being extracted again."""

    source: str
    id: str
    digest: str  # the raw page's digest, as Article.digest
    # The page itself, while in the reader (read/__init__.py extracts it after all when its id
    # was read earlier in the run); dropped before the item leaves the reader.
    page: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Notice:
    """A record that was used, but with a caveat (e.g. unparseable time stored as unknown)."""

    source: str
    reason: str
    detail: str = ""

    def message(self) -> str:
        return f"{self.source}: {self.reason}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class Cleaned:
    """An article's text after normalisation and junk stripping."""

    text: str  # normalised text that is shingled
    stripped: tuple[str, ...] = ()  # what was removed, for audit


@dataclass(frozen=True, slots=True)
class Match:
    """One result of a query."""

    id: str
    outlet: str
    url: str
    published_at: datetime | None
    title: str
    similarity: float  # Jaccard of the shingle sets (exact: scored on the stored texts)
    containment: float  # share of the query contained in this article
    containment_reverse: float  # share of this article contained in the query
    story_id: str | None
    score: float = 0.0  # what the results are ranked by: √(similarity × containment), halved for the query's own outlet


@dataclass(frozen=True, slots=True)
class LagSpan:
    """A lag that involves a bare date: a date is a whole day in its zone, so the lag
    is an interval, told in calendar days of that zone (never an hour-level figure).

    >>> LagSpan(0.0, 52200.0, 0).label, LagSpan(27000.0, 113400.0, 1).label, LagSpan(-86400.0, 0.0, -1).label
    ('same day', '+1 day', '-1 day')
    """

    min_seconds: float  # the shortest lag the two times allow (a copy follows its origin: >= 0 when days >= 0)
    max_seconds: float  # the longest
    days: int  # calendar days from the first publisher's day to this member's, in the date's zone

    @property
    def label(self) -> str:
        if self.days == 0:
            return "same day"
        return f"{self.days:+d} day{'s' if abs(self.days) != 1 else ''}"


@dataclass(frozen=True, slots=True)
class ParentRef:
    """Where a member most likely came from: an earlier member (``id`` set, ``in_corpus``
    true) or a source outside the corpus that it credits (``id`` None: "EFE", not in corpus)."""

    id: str | None
    name: str  # the parent member's outlet, or the external source's name
    in_corpus: bool


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a story starts: its first member (``in_corpus``), or an agency its members
    credit that is not in the corpus (then the first member is a copy of it)."""

    name: str
    in_corpus: bool
    evidence: tuple[str, ...] = ()
    confidence: str = ""  # "high" | "medium" | "low"


@dataclass(frozen=True, slots=True)
class Passage:
    """A verbatim run of words a copy shares with its source: character spans
    (code points, end exclusive) in each one's stored text."""

    words: int
    start: int  # in the copy's text
    end: int
    source_start: int  # in the source's text
    source_end: int


@dataclass(frozen=True, slots=True)
class Reuse:
    """How much of a member's text is its parent's (dedup.extent), measured on the stored
    texts when a report is built; the texts are kept for the HTML's side-by-side view."""

    share: float  # share of the member's shingles found in its parent's (``reused_share``)
    longest_words: int  # the longest verbatim passage they share, in words (``longest_passage_words``)
    passages: tuple[Passage, ...] = ()  # every shared run of MIN_PASSAGE_WORDS words or more
    text: str = field(default="", repr=False, compare=False)  # the member's stored text
    source_text: str = field(default="", repr=False, compare=False)  # its parent's


@dataclass(frozen=True, slots=True)
class Member:
    """An article's place in a story."""

    id: str
    outlet: str
    url: str
    title: str
    published_at: datetime | None
    time_precision: TimePrecision
    # From the first publisher; None when either time is unknown, or when either is a bare
    # date (then ``lag_span`` holds the lag as an interval of days).
    lag_seconds: float | None
    similarity: float  # estimated Jaccard with the first publisher
    containment: float  # estimated share of this member contained in the first publisher
    # "original" | "credited_copy" | "uncredited_copy" | "partial_copy", or one of two that are no copy:
    # "same_outlet" (the origin's own outlet again) | "related" (an earlier related text)
    relation: str
    first_line: str = ""
    credits: tuple[str, ...] = ()  # names this article credits ("Reuters", "kompas.com")
    credited: bool = False  # a copy that names the origin's outlet (or the member it copied)
    lag_span: LagSpan | None = None  # the lag when either time is a bare date
    # The provenance tree: the member (or external source) this one came from; None for the
    # story's root (its first member when the origin is in the corpus) and an earlier related text.
    parent: ParentRef | None = None
    # How much of its text is its parent's: set by a report for a member whose parent is in the corpus.
    reuse: Reuse | None = None


@dataclass(frozen=True, slots=True)
class CreditRef:
    """A source the origin credits, and whether that source's own version is in the story."""

    name: str
    in_corpus: bool = False


@dataclass(frozen=True, slots=True)
class Story:
    """An original and its copies."""

    story_id: str
    first: Member
    members: tuple[Member, ...]  # in time order, first included; unknown times last
    flags: tuple[str, ...] = ()  # e.g. "unknown time: kompas-0003"
    is_new: bool = False  # created since the report's cut-off (else: grew)
    credits: tuple[CreditRef, ...] = ()  # what the origin credits
    confidence: str = ""  # "high" | "medium" | "low" that the origin is right
    conflicts: tuple[str, ...] = ()  # evidence that disagrees or is missing (also in flags)
    evidence: tuple[str, ...] = ()  # why the origin was chosen
    origin: Origin | None = None  # the first member, or the out-of-corpus agency it derives from


@dataclass(frozen=True, slots=True)
class OutletTotals:
    outlet: str
    articles: int
    original: int  # first publisher of a story, or not copied from anyone
    copies: int


@dataclass(frozen=True, slots=True)
class BoilerplateLine:
    """A line learned as one outlet's furniture (stripped before shingling)."""

    line: str  # as first seen
    articles: int  # of the outlet's articles that contain it
    share: float  # articles / the outlet's articles
    first_seen: str  # when it was first counted (ISO 8601)


@dataclass(frozen=True, slots=True)
class OutletInfo:
    """What the store knows about one outlet (``dedup outlets``)."""

    outlet: str
    articles: int  # articles whose lines were counted
    boilerplate: tuple[BoilerplateLine, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceUse:
    """How one story used a source (``dedup report --source``): every member not published
    by the source used it (the first in the corpus too, when the source is not that);
    ``crediting`` are those that name it."""

    story_id: str
    in_corpus: bool  # the source's own article is a member
    used_by: tuple[str, ...]  # member ids, in story order
    crediting: tuple[str, ...]  # of ``used_by``, those that credit the source

    @property
    def share_credited(self) -> float | None:
        return len(self.crediting) / len(self.used_by) if self.used_by else None


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    since: datetime | None
    stories: tuple[Story, ...]  # every story of the report; renderers list ``listed``
    outlets: tuple[OutletTotals, ...]
    totals: dict[str, int] = field(default_factory=dict)
    # The store's change sequence number the report was read at, which a nightly report
    # marks; None for a look back by time (it may leave changes out), a filtered report,
    # or a report not built from a store.
    mark: int | None = None
    limit: int | None = None  # stories listed (biggest first); None or 0: all. Totals count all.
    source: str | None = None  # ``--source``: the name the stories derive from
    source_use: tuple[SourceUse, ...] = ()  # with ``source``: one per story, in story order

    @property
    def listed(self) -> tuple[Story, ...]:
        """The stories a rendering lists: the first ``limit``."""
        return self.stories[: self.limit] if self.limit else self.stories

    @property
    def more(self) -> int:
        """Stories in the report that are not listed."""
        return len(self.stories) - len(self.listed)


@dataclass(frozen=True, slots=True)
class IndexSummary:
    """What an ``index`` run did."""

    read: int
    added: int
    replaced: int
    unchanged: int
    problems: tuple[Rejected | Notice, ...]  # rejects and warnings, in input order
    stories_new: int
    stories_grown: int
    seconds: float
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count): records that are no articles

    @property
    def rejected(self) -> tuple[Rejected, ...]:
        return tuple(p for p in self.problems if isinstance(p, Rejected))

    @property
    def nothing_indexed(self) -> bool:
        """Every record was rejected: none was stored, none was found unchanged (``dedup index`` exits 3)."""
        return bool(self.rejected) and self.added + self.replaced + self.unchanged == 0

    @property
    def warnings(self) -> tuple[Notice, ...]:
        return tuple(p for p in self.problems if isinstance(p, Notice))

    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason] = counts.get(r.reason, 0) + 1
        return counts

    def warnings_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for w in self.warnings:
            counts[w.reason] = counts.get(w.reason, 0) + 1
        return counts

    def nothing_indexed_message(self) -> str:
        """Why a run that stored nothing failed (``dedup index`` exits 3, ``dedup serve`` answers 422)."""
        reasons = ", ".join(f"{n:,} × {r}" for r, n in sorted(self.rejected_by_reason().items()))
        return f"nothing in the input could be indexed: every record was rejected ({reasons})"
