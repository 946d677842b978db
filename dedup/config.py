"""One frozen, validated configuration tree.

Every option has one name, used alike in the API, the CLI flags and the docs.
The part that decides what a signature means (:class:`ShingleConfig`,
:class:`SignConfig`, the LSH threshold) is fingerprinted into the store, which
refuses to mix incompatible settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from .errors import ConfigError

ShingleKind = Literal["char", "word"]
Scheme = Literal["affine32"]

DEFAULT_STORE = "./dedup-store"
# A --store (or $DEDUP_STORE) starting with one of these is a PostgreSQL server, not a directory.
SERVER_PREFIXES = ("postgresql://", "postgres://")


def store_location(value: str | Path) -> Path | str:
    """A store's location as given: a server address (kept as text: a Path would fold its
    ``//``), else a directory.

    >>> store_location("postgresql://db.example/news"), store_location("./s")
    ('postgresql://db.example/news', PosixPath('s'))
    """
    if isinstance(value, str) and value.startswith(SERVER_PREFIXES):
        return value
    return Path(value)
# The largest record read: a JSON line, a CSV or Parquet row's text, a page's
# HTML. A news article is a few KB, a heavy page a few MB: a record beyond
# this is broken or hostile (a 1.5 MB gzip can hold one 1.5 GB line), and
# holding it would cost gigabytes downstream.
DEFAULT_MAX_BYTES = 10_000_000
# Time one page's extraction may take: ~0.1 s is usual, a few seconds rare.
DEFAULT_PAGE_SECONDS = 30.0


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """How input records are read.

    ``field_map`` maps dedup's field names to the input's column names,
    e.g. ``{"text": "body"}``. ``max_bytes`` bounds one record (a line, a
    row's text, a page); ``page_seconds`` one page's extraction. A record
    beyond either is rejected, and the run goes on.
    """

    field_map: tuple[tuple[str, str], ...] = ()
    tz: str = "UTC"  # zone for naive timestamps
    fmt: Literal["auto", "jsonl", "csv", "parquet", "html", "warc"] = "auto"
    max_bytes: int = DEFAULT_MAX_BYTES
    page_seconds: float = DEFAULT_PAGE_SECONDS
    # The outlet of records that neither name one nor have a URL to derive it from
    # (``index --outlet``); without it each such record is an outlet of its own.
    outlet: str = ""

    # "html": a row's raw page, extracted when the row has no text.
    FIELDS = ("id", "url", "outlet", "published_at", "title", "text", "html")

    def __post_init__(self) -> None:
        for ours, _theirs in self.field_map:
            _check(ours in self.FIELDS, f"--map {ours}=...: unknown field {ours!r}; fields are {', '.join(self.FIELDS)}")
        _check(self.max_bytes >= 1024, f"--max-bytes {self.max_bytes}: must be at least 1024 (default {DEFAULT_MAX_BYTES:,})")
        _check(self.page_seconds > 0, f"page_seconds {self.page_seconds}: must be more than 0")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.tz)
        except Exception as exc:  # ZoneInfo raises several types for bad keys
            raise ConfigError(f"--tz {self.tz!r}: not a known time zone; use a zone name such as UTC or Asia/Jakarta (an offset like +07:00 is not a zone)") from exc

    def column(self, name: str) -> str:
        for ours, theirs in self.field_map:
            if ours == name:
                return theirs
        return name


@dataclass(frozen=True, slots=True)
class ShingleConfig:
    """What a shingle is.

    Character 7-grams by default: measured on COUNTER (real rewritten wire copy),
    character n-grams rank the true source first far more often than word
    5-grams, and 7-grams make far fewer chance LSH candidates than 5-grams
    (see benchmarks/SHINGLES.md).
    """

    kind: ShingleKind = "char"
    size: int = 0  # 0: the kind's default, DEFAULT_SIZE[kind]

    # Word 3-grams: the best of word 1-5 on COUNTER's reuse pairs at few chance
    # candidates (benchmarks/SHINGLES.md); word 5-grams separate reuse poorly there.
    DEFAULT_SIZE = {"char": 7, "word": 3}

    def __post_init__(self) -> None:
        _check(self.kind in ("char", "word"), f"shingle kind {self.kind!r}: use 'char' or 'word'")
        if self.size == 0:
            object.__setattr__(self, "size", self.DEFAULT_SIZE[self.kind])
        _check(1 <= self.size <= 16, f"shingle size {self.size}: must be between 1 and 16 (char 4-6 or word 2-3 suit news)")


@dataclass(frozen=True, slots=True)
class SignConfig:
    """MinHash parameters; datasketch's default scheme (affine32) and seed."""

    num_perm: int = 128
    seed: int = 1
    scheme: Scheme = "affine32"

    def __post_init__(self) -> None:
        _check(16 <= self.num_perm <= 1024, f"num_perm {self.num_perm}: must be between 16 and 1024 (128 is the usual choice)")
        _check(self.scheme == "affine32", f"scheme {self.scheme!r}: only datasketch's default 'affine32' is supported")


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """The candidate stage: LSH banding, then a MinHash prefilter.

    ``threshold`` is the Jaccard at which a pair becomes an LSH candidate with
    about even chance; bands x rows are chosen the way datasketch's MinHashLSH
    does for twice the permutations, each permutation serving two bands
    (0.11 → 96 x 2 over 128 permutations; ``dedup.index.band_layout``). ``prefilter``: a candidate
    pair goes on to verification only when its MinHash-estimated containment of
    the smaller text in the larger reaches it (0: every LSH candidate). Low
    banding reaches rewritten copy (exact Jaccard 0.1-0.3); the prefilter drops
    most of the chance candidates it brings (benchmarks/QUALITY.md, "Candidate stage").
    A store records both at creation; one created before the prefilter has none.
    """

    threshold: float = 0.11
    prefilter: float = 0.2

    def __post_init__(self) -> None:
        _check(0.05 <= self.threshold <= 0.95, f"threshold {self.threshold}: must be between 0.05 and 0.95")
        _check(0.0 <= self.prefilter <= 1.0, f"prefilter {self.prefilter}: must be between 0 and 1 (0: none)")


# The calibrated thresholds of the "derived from" verifier (ClusterConfig.derived).
DERIVED_THRESHOLDS: tuple[tuple[str, float], ...] = (("arabic", 0.32), ("latin", 0.55))


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """When a verified candidate pair counts as reuse.

    A pair is reuse when its estimated Jaccard reaches ``min_similarity``, or when
    the smaller article is at least ``min_containment`` contained in the larger
    (abridged and embedded copies).
    """

    min_similarity: float = 0.3
    min_containment: float = 0.7
    # Per script (dedup.verify.script_of), the share of the later text's shingles found
    # in the earlier text that makes it derived from it, measured exactly on the stored
    # texts. Chosen against each script's independent same-event reports (hard
    # negatives): see benchmarks/QUALITY.md for the data and the held-out figures. A
    # script not listed has only the strict rule above.
    derived: tuple[tuple[str, float], ...] = DERIVED_THRESHOLDS
    # Report-time only: a copy that reproduces less than this share of the
    # origin (an abridged copy) is a partial_copy. Measured on the sample
    # corpus, abridged copies cover 0.39-0.55 of the origin, edited whole
    # copies 0.85 or more.
    min_coverage: float = 0.7

    def __post_init__(self) -> None:
        if isinstance(self.derived, dict):  # ClusterConfig(derived={"latin": 0.6}) from code or a store
            object.__setattr__(self, "derived", tuple(sorted((str(k), float(v)) for k, v in self.derived.items())))
        for script, bar in self.derived:
            _check(0.0 < bar <= 1.0, f"derived threshold {bar} for script {script!r}: must be in (0, 1]")
        _check(0.0 < self.min_similarity <= 1.0, f"min_similarity {self.min_similarity}: must be in (0, 1]")
        _check(0.0 < self.min_containment <= 1.0, f"min_containment {self.min_containment}: must be in (0, 1]")
        _check(0.0 < self.min_coverage <= 1.0, f"min_coverage {self.min_coverage}: must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class BoilerplateConfig:
    """When a line is one outlet's furniture, learned from the corpus.

    A line (at most ``max_line`` characters) is boilerplate of an outlet once it
    occurs in at least ``min_articles`` of the outlet's counted articles and in
    at least ``min_share`` of them. An outlet's first ``warmup`` articles are
    counted, then one in ``sample_every`` (chosen by id): a line on a fifth of
    the pages is still seen, at a fraction of the writes. Learned lines are
    stripped before shingling from the articles indexed after they qualify
    (see dedup/boilerplate.py).
    """

    enabled: bool = True
    min_articles: int = 4
    min_share: float = 0.2
    max_line: int = 200
    warmup: int = 30
    sample_every: int = 20

    def __post_init__(self) -> None:
        _check(self.min_articles >= 2, f"boilerplate min_articles {self.min_articles}: must be at least 2")
        _check(0.0 < self.min_share <= 1.0, f"boilerplate min_share {self.min_share}: must be in (0, 1]")
        _check(self.max_line >= 10, f"boilerplate max_line {self.max_line}: must be at least 10")
        _check(self.warmup >= 0 and self.sample_every >= 1, "boilerplate warmup must be >= 0 and sample_every >= 1")


# The settings a store is built with, each by its place in Config and its CLI flag.
STORE_SETTINGS = {
    "shingle.kind": "--shingle",
    "shingle.size": "--shingle-size",
    "sign.num_perm": "--num-perm",
    "index.threshold": "--threshold",
    "cluster.min_similarity": "--min-similarity",
    "cluster.min_containment": "--min-containment",
}


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration.

    ``chosen`` names the store settings (keys of :data:`STORE_SETTINGS`) this
    run asks for; an existing store supplies the others. ``None`` (a Config
    built in code) means all of them: a store built otherwise is refused.

    >>> Config().shingle.kind
    'char'
    >>> Config(store=Path("/tmp/s")).store
    PosixPath('/tmp/s')
    """

    store: Path | str = field(default_factory=lambda: store_location(os.environ.get("DEDUP_STORE", DEFAULT_STORE)))
    read: ReadConfig = field(default_factory=ReadConfig)
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    sign: SignConfig = field(default_factory=SignConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    workers: int = field(default_factory=lambda: int(os.environ.get("DEDUP_WORKERS", "0") or 0))
    batch_size: int = 2000
    strict: bool = False
    progress: bool = True
    chosen: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.store, Path):  # Config(store="/data/store") from code; a server address stays text
            object.__setattr__(self, "store", store_location(self.store))
        unknown = set(self.chosen or ()) - set(STORE_SETTINGS)
        _check(not unknown, f"chosen: unknown store settings {sorted(unknown)}; known: {', '.join(STORE_SETTINGS)}")
        _check(self.workers >= 0, f"workers {self.workers}: must be 0 (all cores) or more")
        _check(self.batch_size >= 1, f"batch_size {self.batch_size}: must be at least 1")

    def effective_workers(self) -> int:
        return self.workers or (os.cpu_count() or 1)

    def setting(self, name: str) -> object:
        """A store setting by its dotted name, e.g. ``setting("sign.num_perm")``."""
        part, attr = name.split(".")
        return getattr(getattr(self, part), attr)

    def signature_params(self) -> dict[str, object]:
        """What a stored signature depends on; the store refuses a mismatch."""
        return {
            "shingle": asdict(self.shingle),
            "sign": asdict(self.sign),
            "threshold": self.index.threshold,
            "prefilter": self.index.prefilter,
            # What decides stories; report-only settings (min_coverage) stay out.
            "cluster": {"min_similarity": self.cluster.min_similarity, "min_containment": self.cluster.min_containment,
                        "derived": dict(self.cluster.derived)},
        }


# What a member's ``relation`` may be (dedup/provenance.py); the first is no copy, nor are the last two.
RELATIONS = ("original", "credited_copy", "uncredited_copy", "partial_copy", "same_outlet", "related")
# Stories a look back or a filtered report lists unless told otherwise (``dedup report
# --limit``); the totals count them all. The nightly report lists every story: it moves the
# mark, so a story it left unlisted would be in no nightly report at all.
DEFAULT_REPORT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which stories a report, an export or a query is about (the views a desk asks for).

    A story is kept when ONE of its members meets every member filter given
    (published within ``published_from``..``published_to``, by one of ``outlets``,
    with one of ``relations``), it has at least ``min_copies`` copies, and it derives
    from ``source`` (the source is a member, or a member credits it). A kept story is
    shown whole: its other members are its context. A query keeps an article when the
    article itself meets the member filters and its story the others.

    Times are aware datetimes, both ends inclusive (:meth:`window` reads a bare date as
    its whole day); a member with a bare date is in the window when its day overlaps it,
    a member with no known time is in none. ``outlets`` and ``source`` are compared
    case-insensitively and by the name they are credited by (``reuters.com`` is
    ``Reuters``).

    >>> ReportFilter().active, ReportFilter(outlets=("Detik.com",)).active
    (False, True)
    """

    published_from: datetime | None = None
    published_to: datetime | None = None
    outlets: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    min_copies: int = 0
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outlets", tuple(o.strip() for o in self.outlets if o.strip()))
        object.__setattr__(self, "relations", tuple(r.strip().lower() for r in self.relations))
        bad = [r for r in self.relations if r not in RELATIONS]
        _check(not bad, f"--relation {', '.join(bad)}: unknown; relations are {', '.join(RELATIONS)}")
        _check(self.min_copies >= 0, f"--min-copies {self.min_copies}: must be 0 or more")
        for name in ("published_from", "published_to"):
            t = getattr(self, name)
            _check(t is None or t.tzinfo is not None, f"{name} {t}: give a time with its zone (a naive time could be any)")
        if self.published_from and self.published_to:
            _check(self.published_from <= self.published_to,
                   f"--published-from {self.published_from.isoformat()} is after --published-to {self.published_to.isoformat()}")
        if self.source is not None:
            _check(bool(self.source.strip()), "--source: give an outlet or agency name, e.g. AFP or reuters.com")
            object.__setattr__(self, "source", self.source.strip())

    @property
    def active(self) -> bool:
        """Whether anything is filtered out."""
        return bool(self.published_from or self.published_to or self.outlets or self.relations or self.min_copies
                    or self.source)

    @property
    def member_level(self) -> bool:
        """Whether a member filter (time, outlet, relation) is given."""
        return bool(self.published_from or self.published_to or self.outlets or self.relations)

    @classmethod
    def of_text(cls, published_from: str | None = None, published_to: str | None = None, tz: str = "UTC",
                outlets: Iterable[str] = (), relations: Iterable[str] = (), min_copies: int = 0,
                source: str | None = None, prefix: str = "--") -> ReportFilter:
        """The filter as a command line or a query string gives it: the window's ends as text
        (:meth:`window`, in ``tz``), named ``prefix`` + ``published-from`` in an error.

        >>> ReportFilter.of_text("2026-11-25", "2026-11-25", outlets=["kompas.com"]).published_to.isoformat()
        '2026-11-25T23:59:59.999999+00:00'
        """
        return cls(
            published_from=cls.window(published_from, tz, flag=f"{prefix}published-from"),
            published_to=cls.window(published_to, tz, end=True, flag=f"{prefix}published-to"),
            outlets=tuple(outlets), relations=tuple(relations), min_copies=min_copies, source=source,
        )

    @staticmethod
    def window(value: str | None, tz: str = "UTC", end: bool = False, flag: str = "--published-from") -> datetime | None:
        """A window's end from the command line: an ISO 8601 date or time (in ``tz`` unless
        it has an offset). A bare date is its whole day: its first instant as a start, its
        last as an ``end``.

        >>> ReportFilter.window("2026-11-25", "Asia/Jakarta").isoformat()
        '2026-11-25T00:00:00+07:00'
        >>> ReportFilter.window("2026-11-25", end=True).isoformat()
        '2026-11-25T23:59:59.999999+00:00'
        """
        if value is None:
            return None
        from .read.timeparse import parse_time

        when, precision = parse_time(value, tz)
        if when is None:
            raise ConfigError(f"{flag} {value!r}: give a date like 2026-11-25 or a time like 2026-11-25T18:00+07:00")
        if end and precision == "date":
            when += timedelta(days=1) - timedelta(microseconds=1)
        return when
