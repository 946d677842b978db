"""The only module that knows the whole chain:
read → clean → shingle → sign → index → cluster → provenance → report.

No formatting and no CLI here: every entry point returns data.

>>> import tempfile
>>> cfg = Config(store=Path(tempfile.mkdtemp()) / "store", progress=False, workers=1)
>>> index_corpus(["examples/sample/night1.jsonl"], cfg).added
81
>>> info, matches = query(cfg, QueryTarget(id="korannews-0001"), k=3)
>>> [(m.outlet, m.similarity) for m in matches]
[('kompas.com', 1.0), ('infoviral.co', 0.972), ('beritaterkini.id', 1.0)]
>>> report = build_report(cfg, since="all")
>>> report.totals["stories"], report.stories[0].first.outlet
(14, 'tempo.co')
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeVar

import numpy as np
import xxhash

from .boilerplate import learn as learn_boilerplate
from .boilerplate import outlets as outlet_boilerplate
from .boilerplate import tally as tally_boilerplate
from .clean import clean_text
from .cluster import cluster_pending
from .config import DEFAULT_REPORT_LIMIT, ClusterConfig, Config, ReportFilter
from .credits import CreditRules, load_rules
from .errors import ConfigError, InputError, QueryError, StoreError
from .index import band_keys, ensure_params, store_settings
from .model import (
    Article, Cleaned, IndexSummary, Match, Member, Notice, OutletInfo, OutletTotals, Rejected, Report, Skipped, Story, TimePrecision,
    Unchanged,
)
from .outlets import outlet_key, parse_alias
from .extent import with_reuse
from .provenance import build_story, has_copies, is_copy, parse_stored_time
from .read import Item, Records, check_inputs, detect_format, read_paths
from .read.html import Page, extract_page
from .read.background import BackgroundReader, can_read_in_background, read_in_background
from .read.timeparse import parse_time
from .shingle import shingle, shingle_batch
from .sign import set_threads, sign_batch, sign_one
from .store import (
    Finding, NewArticle, PruneResult, Store, StoredArticle, discard_if_empty, expired, is_server, open_store, store_exists, store_name,
)
from .store.faults import DATABASE_ADVICE
from .store.interface import SignatureScan
from .verify import containment, containment_both, containment_reliable, text_shingles
from .views import keeps, member_matches, source_name, source_use

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")

Progress = Callable[[str, int], None]
"""Called as ``progress(phase, n)`` when ``n`` more items of ``phase`` are done."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def record_hash(a: Article) -> str:
    """What makes a re-read record "the same": every stored field."""
    # language is appended only when known, so that records read before it
    # existed keep their hash. The raw-page digest is left out on purpose: a
    # re-crawled page whose HTML changed (ads, widgets) but whose article did
    # not is unchanged, not a replacement. Each part is followed by a NUL: one
    # call over the joined parts, the same digest as feeding them one by one.
    parts = (a.url, a.outlet, a.title, a.text, a.published_raw or "", *((a.language,) if a.language else ()), "")
    return xxhash.xxh3_128_hexdigest("\x00".join(parts).encode("utf-8", "surrogatepass"))


def _clean_all(articles: Sequence[Article], boilerplate: dict[str, frozenset[str]]) -> list[Cleaned]:
    """The clean stage over a batch, in this process: a process pool measured no
    faster end to end (30k articles, 2 cores, within ±5% noise) since every text is
    pickled both ways, and forking beside numba's threads is a risk for nothing."""
    none: frozenset[str] = frozenset()
    return [clean_text(a.text, title=a.title, boilerplate=boilerplate.get(outlet_key(a.outlet), none)) for a in articles]


def index_corpus(paths: Iterable[str | Records], cfg: Config, progress: Progress | None = None) -> IndexSummary:
    """Read, sign and index ``paths`` into the store at ``cfg.store``, then cluster;
    a path may also be :class:`~dedup.read.Records` (JSON Lines in memory).

    Incremental: stored articles with the same id and content are skipped; the
    same id with new content replaces the old one. Each batch is committed
    atomically, so an interrupted run is completed by the next one.

    Settings: a new store records ``cfg``'s shingle, sign, index and cluster
    settings. An existing store refuses a ``cfg`` that differs from them,
    unless ``cfg.chosen`` names the settings that were chosen on purpose (the
    others are then taken from the store): ``Config(chosen=frozenset())``
    indexes with whatever the store was built with, as the CLI does.
    """
    started = time.perf_counter()
    # one path given as a string is one path, not its characters
    paths = [str(paths)] if isinstance(paths, (str, Path)) else [p if isinstance(p, Records) else str(p) for p in paths]
    check_inputs(paths, cfg.read)  # a mistyped path must not create the store with default settings
    created = not is_server(cfg.store) and not store_exists(cfg.store)  # (for discard_if_empty: directories only)
    store = open_store(cfg.store)
    try:
        store.lock_writer()
    except BaseException:
        store.close()
        raise
    try:
        cfg, lsh = ensure_params(store, cfg)
    except BaseException:
        store.close()
        discard_if_empty(cfg.store)  # refused settings (too few bands…) on a new store: leave nothing behind
        raise
    workers = cfg.effective_workers()
    pages = (lambda n: progress("pages", n)) if progress else None
    # Pages stored from the same bytes are not extracted again (read/html.py: page_key).
    stored = store.stored_pages()
    # With a second core, reading runs on its own process (read/background.py),
    # forked here, before the signing stage starts its threads.
    try:
        if workers > 1 and can_read_in_background(paths):
            items: Generator[Item, None, None] | BackgroundReader = read_in_background(
                paths, cfg.read, workers=workers, progress=pages, stored=stored
            )
        else:
            items = read_paths(paths, cfg.read, workers=workers, progress=pages, stored=stored)
    except BaseException:
        stored.close()
        store.close()
        raise
    set_threads(min(workers, os.cpu_count() or 1))
    # (position in the input, problem): a record found to be junk only is rejected
    # after the records read behind it, and is listed in its place all the same.
    problems: list[tuple[int, Rejected | Notice]] = []
    skipped: dict[str, int] = {}  # by reason: a crawl's images and redirects, only counted
    # A record the store's retention removed (dedup prune) is not taken back: indexing a
    # folder again every night would otherwise bring the pruned articles back as new stories.
    pruned_cut = store.get_meta(PRUNED_BEFORE)
    retained = datetime.fromisoformat(pruned_cut) if pruned_cut else None
    counts = {"read": 0, "added": 0, "replaced": 0, "unchanged": 0}

    def flush(batch: list[Article], positions: list[int]) -> None:
        known = store.known([a.id for a in batch])
        todo: list[tuple[Article, str]] = []
        where: list[int] = []
        page_keys: dict[int, str] = {}  # an unchanged article read from other bytes (a re-crawl): its page now
        for a, pos in zip(batch, positions, strict=True):
            h = record_hash(a)
            old = known.get(a.id)
            if old is not None and old[1] == h:
                counts["unchanged"] += 1
                if a.page_key:
                    page_keys[old[0]] = a.page_key
            else:
                todo.append((a, h))
                where.append(pos)
        if page_keys:
            store.set_page_keys(page_keys)
        # Outlet boilerplate: count the new articles' lines, strip what recurs (dedup/boilerplate.py).
        counted_at = _now()
        new = [a for a, _ in todo if a.id not in known]
        learned, line_counts = learn_boilerplate(store, new, {outlet_key(a.outlet) for a, _ in todo}, cfg.boilerplate, counted_at)
        cleaned = _clean_all([a for a, _ in todo], learned)
        shingles = shingle_batch([c.text for c in cleaned], cfg.shingle, [a.language for a, _ in todo])
        keep = [i for i in range(len(todo)) if shingles.counts[i] > 0]
        rejected: set[str] = set()
        for i in range(len(todo)):
            if shingles.counts[i] == 0:
                a = todo[i][0]
                rejected.add(a.id)
                problems.append((where[i], Rejected(a.source, "no text after cleaning", f"id {a.id!r}: only junk lines ({len(cleaned[i].stripped)} stripped)")))
        if rejected & {a.id for a in new}:
            # Only the articles written are counted in the store: a rerun reads the rejected ones again.
            line_counts = tally_boilerplate(store, [a for a in new if a.id not in rejected], cfg.boilerplate, counted_at)
        if keep:
            sigs = sign_batch(shingles, cfg.sign)[keep]
            keys = band_keys(sigs, lsh)
            rows = [
                NewArticle(
                    id=a.id, url=a.url, outlet=a.outlet, title=a.title, text=a.text,
                    published_at=a.published_at.isoformat() if a.published_at else None,
                    time_precision=str(a.time_precision), published_raw=a.published_raw,
                    record_hash=h, n_shingles=int(shingles.counts[j]), stripped=cleaned[j].stripped,
                    signature=sigs[i], band_keys=keys[i], page_key=a.page_key,
                )
                for i, j in enumerate(keep)
                for a, h in (todo[j],)
            ]
            replace_docs = {todo[j][0].id: known[todo[j][0].id][0] for j in keep if todo[j][0].id in known}
            store.write_articles(rows, replace_docs, _now(), line_counts)
            counts["replaced"] += len(replace_docs)
            counts["added"] += len(rows) - len(replace_docs)
        if progress:
            progress("index", len(batch))

    try:
        bulk = store.is_empty()
        if bulk:
            store.begin_bulk()
        batch: list[Article] = []
        positions: list[int] = []
        for pos, item in enumerate(items):
            if isinstance(item, Rejected):
                problems.append((pos, item))
                if progress:
                    progress("reject", 1)
            elif isinstance(item, Notice):
                problems.append((pos, item))
            elif isinstance(item, Skipped):
                skipped[item.reason] = skipped.get(item.reason, 0) + 1
            elif isinstance(item, Unchanged):
                counts["read"] += 1
                counts["unchanged"] += 1
                if progress:
                    progress("index", 1)
            elif retained is not None and item.published_at is not None and expired(
                item.published_at.isoformat(), str(item.time_precision), item.published_raw, _now(), retained
            ):
                skipped[_PRUNED_REASON] = skipped.get(_PRUNED_REASON, 0) + 1
            else:
                counts["read"] += 1
                batch.append(item)
                positions.append(pos)
                if len(batch) >= cfg.batch_size:
                    flush(batch, positions)
                    batch, positions = [], []
        if batch:
            flush(batch, positions)
        if bulk:
            store.end_bulk()
        # Sealed first, so that clustering looks the new articles up in segments
        # only (one sort of their keys, not two). Damaged segments are rebuilt here.
        for f in store.seal_index():
            problems.append((sys.maxsize, Notice(f.where, "damaged LSH segment file rebuilt from the database", f.problem)))
        if isinstance(store, SignatureScan):
            store.save_signatures()  # what a query scores: every signature, apart from the rows
        result = cluster_pending(store, cfg.cluster, _now(), progress=(lambda n: progress("cluster", n)) if progress else None,
                                 shingle_cfg=cfg.shingle)
    finally:
        # Whatever ended the run (an error in a later stage, Ctrl-C), the reader
        # and its page workers end with it: none is left waiting on a full queue.
        try:
            items.close()
        finally:
            stored.close()
            store.close()
    summary = IndexSummary(
        read=counts["read"], added=counts["added"], replaced=counts["replaced"], unchanged=counts["unchanged"],
        problems=tuple(p for _, p in sorted(problems, key=lambda pp: pp[0])), skipped=tuple(sorted(skipped.items())),
        stories_new=result.stories_new,
        stories_grown=result.stories_grown, seconds=time.perf_counter() - started,
    )
    if summary.nothing_indexed and created:
        discard_if_empty(cfg.store, keep_settings=False)  # a store of settings only, for input that held nothing
    return summary


# -- query -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueryTarget:
    """What a query is about: exactly one of text, file, id or url."""

    text: str | None = None
    file: Path | None = None
    id: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.file, str):
            object.__setattr__(self, "file", Path(self.file))
        given = [n for n in ("text", "file", "id", "url") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ConfigError("give exactly one of --text, --file, --id or --url" + (f" (got {', '.join(given)})" if given else ""))


def _query_file(path: Path) -> tuple[str, str, str]:
    """(text, title, language) of a query file: a web page is extracted as
    ``dedup index`` extracts it (its markup would be compared otherwise), any
    other file is read as UTF-8 text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"--file {path}: cannot read ({exc.strerror or exc})") from exc
    if detect_format(path) == "html":
        items = extract_page(Page(source=str(path), html=raw))
        article = next((i for i in items if isinstance(i, Article)), None)
        if article is None:
            problem = next((i for i in items if isinstance(i, Rejected)), None)
            raise QueryError(f"--file {path}: no article text in the page ({problem.reason if problem else 'nothing extracted'})")
        return article.text, article.title, article.language
    try:
        return raw.decode("utf-8"), "", ""
    except UnicodeDecodeError as exc:
        raise InputError(f"--file {path}: not UTF-8 text at byte {exc.start} (give a text or .html file)") from exc


def _epoch(published_at: str | None) -> float:
    return float("inf") if published_at is None else datetime.fromisoformat(published_at).timestamp()


# The reporting floor: a stored article is a result only when it holds at least this share
# of the query's shingles. Below it two texts share common phrases, not reused text; above
# it stand 98% of COUNTER's partially derived texts' sources (benchmarks/QUALITY.md, Query).
QUERY_FLOOR = 0.05
# Articles scored exactly on their stored texts: the most similar by MinHash over every
# stored signature (COUNTER: the source is among the 50 most similar for 135 of 135 wholly
# and 284 of 288 partially derived texts), and the ones estimated to contain most of the query.
_POOL, _POOL_CONTAINED = 50, 20
# An outlet's own texts share its house style (datelines, bylines, stock phrases), which
# its boilerplate is only stripped of once dedup has seen many of them: another outlet's
# article with half the evidence ranks with it. A source is another outlet's text.
_SAME_OUTLET = 0.5
# Scores within this share of the best one left are ties, ordered by publication time.
_NEAR_TIE = 0.05


def _pool(store: Store, sig: np.ndarray, size: int, lsh: Any, exclude: int | None, want: int) -> list[int]:
    """The docs worth scoring exactly: the most similar by MinHash estimate, from every stored
    signature when the store hands them over, otherwise from the query's LSH candidates (a
    store without a signature scan). Either way at most ``max(_POOL, want) + _POOL_CONTAINED``:
    the low LSH bands' buckets are large, and each doc scored costs a text read and shingled."""
    if isinstance(store, SignatureScan):
        docs, sigs, sizes = store.all_signatures()
        if not (docs.size and sigs.shape[1] == sig.size):
            docs = np.empty(0, dtype=np.int64)
    else:
        docs = np.empty(0, dtype=np.int64)
    if not docs.size:
        found = [d for d in store.candidates_for_keys(band_keys(sig[None, :], lsh)[0]) if d != exclude]
        if len(found) <= max(_POOL, want) + _POOL_CONTAINED:
            return found
        docs = np.asarray(found, dtype=np.int64)
        sigs, sizes = store.signatures(found)
    same = np.count_nonzero(sigs == sig, axis=1)
    # Containment is estimated for the articles sharing a minimum only: the others' is 0.
    some = np.flatnonzero(same)
    sim = same[some] / float(sig.size)
    c_query, _ = containment_both(sim, np.full(some.size, float(size)), sizes[some].astype(np.float64))
    c_query = np.where(containment_reliable(np.full(some.size, size), sizes[some]), c_query, -1.0)
    picked = [_top(same, max(_POOL, want) + 1), some[_top(c_query, _POOL_CONTAINED + 1)]]
    # (+1: the queried article itself may be among them.) Not np.unique: it imports numpy.ma, 80 ms cold.
    return sorted({int(d) for d in docs[np.concatenate(picked)]} - {exclude})


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest values (any order)."""
    return np.arange(values.size) if values.size <= n else np.argpartition(-values, n)[:n]


def _ranked(scores: np.ndarray, times: np.ndarray) -> list[int]:
    """Positions by score, best first; those within ``_NEAR_TIE`` of the best left are ties, the
    earliest published first, so that a copy's original leads the copies of it."""
    left = sorted(range(scores.size), key=lambda i: -scores[i])
    out: list[int] = []
    while left:
        bar = scores[left[0]] * (1 - _NEAR_TIE)
        tied = [i for i in left if scores[i] >= bar]
        out += sorted(tied, key=lambda i: (times[i], -scores[i]))
        left = left[len(tied):]
    return out


def query(
    cfg: Config, target: QueryTarget, k: int = 10, where: ReportFilter | None = None
) -> tuple[dict[str, object], list[Match]]:
    """The ``k`` stored articles most similar to the target, best first; with ``where``,
    the ``k`` best of those it keeps (the article itself meets the member filters,
    its story the others: :class:`ReportFilter`). Nothing below the reporting floor
    (:data:`QUERY_FLOOR`) is a result: when nothing passes, ``info["closest"]`` says
    which article came closest and how much of the query it holds.

    Every stored signature is compared with the query's (a rewrite shares too little
    for the LSH buckets); the most similar are scored exactly on their stored texts:
    by √(similarity × containment), Jaccard times the share of the query found in the
    article, so that both a rewrite's source and an abridged copy's original (which
    contains it) come first, and a long article that happens to contain the query's
    phrases does not. Another outlet's article counts fully, the query's own outlet's
    at half (``_SAME_OUTLET``); near-ties are ordered by publication time, earliest first.
    """
    if k < 1:
        raise ConfigError(f"--top {k}: must be at least 1")
    store = open_store(cfg.store, create=False)
    try:
        built, lsh = store_settings(store, cfg)
        shingle_cfg, sign_cfg = built.shingle, built.sign
        exclude: int | None = None
        own_outlet = ""
        info: dict[str, object]
        if target.id is not None or target.url is not None:
            art = store.article_by(id=target.id, url=target.url)
            if art is None:
                what = f"id {target.id!r}" if target.id is not None else f"url {target.url!r}"
                raise QueryError(f"no article with {what} in the store {store_name(cfg.store)}")
            sig = store.signature_of(art.doc)
            size = art.n_shingles
            shingles = text_shingles(art.text, art.title, shingle_cfg)
            exclude, own_outlet = art.doc, art.outlet
            info = {"id": art.id, "outlet": art.outlet, "url": art.url, "title": art.title}
        else:
            title, language = "", ""
            if target.file is not None:
                text, title, language = _query_file(target.file)
                info = {"file": str(target.file)}
            else:
                text = target.text or ""
                info = {"text": text[:200]}
            shingles = shingle(clean_text(text, title=title).text, shingle_cfg, language)
            if shingles.size == 0:
                raise QueryError("the query has no text left after cleaning")
            sig = sign_one(shingles, sign_cfg)
            size = int(shingles.size)
        info["shingles"] = size
        active = where is not None and where.active
        # With filters, four times as many are scored: the best that they keep may rank lower.
        docs = _pool(store, sig, size, lsh, exclude, max(_POOL, k) * 4 if active else k)
        arts = list(store.articles(docs))  # docs replaced since the signatures were read drop out
        if not arts or shingles.size == 0:
            return info, []
        sim, c_query, c_result = (np.empty(len(arts)) for _ in range(3))
        for i, a in enumerate(arts):
            theirs = text_shingles(a.text, a.title, shingle_cfg)
            c_query[i] = containment(shingles, theirs)
            shared = c_query[i] * shingles.size
            sim[i] = shared / max(1.0, shingles.size + theirs.size - shared)
            c_result[i] = shared / theirs.size if theirs.size else 0.0
        aliases = {outlet_key(n): t for n, t in store.outlet_aliases().items()}

        def house(outlet: str) -> str:
            return outlet_key(aliases.get(outlet_key(outlet), outlet))

        own = house(own_outlet) if own_outlet.strip() else None
        penalty = np.array([_SAME_OUTLET if own is not None and house(a.outlet) == own else 1.0 for a in arts])
        score = np.sqrt(sim * c_query) * penalty
        order = [i for i in _ranked(score, np.array([_epoch(a.published_at) for a in arts])) if c_query[i] >= QUERY_FLOOR]
        if not order:
            best = int(np.argmax(c_query))
            info["closest"] = {"id": arts[best].id, "outlet": arts[best].outlet, "containment": round(float(c_query[best]), 4),
                               "similarity": round(float(sim[best]), 4), "floor": QUERY_FLOOR}
            return info, []
        kept = np.array(order)
        if active and where is not None:
            kept = _kept_matches(store, cfg, [arts[i] for i in kept], where, k, kept)
        matches = []
        for i in kept[:k]:
            a = arts[i]
            matches.append(
                Match(
                    id=a.id, outlet=a.outlet, url=a.url, published_at=parse_stored_time(a.published_at), title=a.title,
                    similarity=round(float(sim[i]), 4), containment=round(float(c_query[i]), 4),
                    containment_reverse=round(float(c_result[i]), 4), story_id=a.story_id, score=round(float(score[i]), 4),
                )
            )
        return info, matches
    finally:
        store.close()


def _kept_matches(store: Store, cfg: Config, ranked: list[StoredArticle], where: ReportFilter, k: int,
                  order: np.ndarray) -> np.ndarray:
    """The positions in ``order`` of the first ``k`` ranked articles ``where`` keeps."""
    cluster_cfg = store_settings(store, cfg)[0].cluster
    stories: dict[str, Story] = {}
    story_level = bool(where.relations or where.min_copies or where.source)
    story_only = replace(where, published_from=None, published_to=None, outlets=(), relations=())
    rules = store_rules(store)
    kept = []
    for pos, a in enumerate(ranked):
        if len(kept) == k:
            break
        if not story_level:
            if member_matches(_as_member(a), where, rules=rules):
                kept.append(pos)
            continue
        if a.story_id is None:  # not clustered yet: in no story, so no relation
            continue
        if a.story_id not in stories:
            stories[a.story_id] = _story(store, a.story_id, cluster_cfg, rules)
        st = stories[a.story_id]
        mine = next((m for m in st.members if m.id == a.id), None)
        if mine is not None and member_matches(mine, where, rules=rules) and keeps(st, story_only, rules):
            kept.append(pos)
    return order[kept]


def _as_member(a: StoredArticle) -> Member:
    """A stored article as a member of no story (for the filters on its own time and outlet)."""
    when = parse_stored_time(a.published_at, a.time_precision, a.published_raw)
    return Member(a.id, a.outlet, a.url, a.title, when, TimePrecision(a.time_precision), None, 0.0, 0.0, "")


def _story(store: Store, story_id: str, cluster_cfg: ClusterConfig, rules: CreditRules | None = None) -> Story:
    """One stored story, built."""
    return _built(store, story_id, store.story_members([story_id])[story_id], cluster_cfg, rules or store_rules(store))


def story(cfg: Config, story_id: str) -> Story | None:
    """The stored story ``story_id``, built as a report builds it; None when there is none."""
    store = open_store(cfg.store, create=False)
    try:
        with store.reading():  # its members and their rows from one committed state
            docs = store.story_members([story_id])[story_id]
            if not docs:
                return None
            settings = store_settings(store, cfg)[0]
            built = _built(store, story_id, docs, settings.cluster, store_rules(store))
            return with_reuse(built, list(store.articles(docs)), settings.shingle)  # as a report lists it
    finally:
        store.close()


def _built(store: Store, story_id: str, docs: list[int], cluster_cfg: ClusterConfig, rules: CreditRules, is_new: bool = False) -> Story:
    """The story of stored ``docs``: their rows and signatures through provenance."""
    arts = list(store.articles(docs))
    sigs, sizes = store.signatures([a.doc for a in arts])
    return build_story(story_id, arts, sigs, sizes, cluster_cfg, is_new=is_new, rules=rules)


def store_rules(store: Store) -> CreditRules:
    """The credit rules with the store's outlet aliases (``dedup outlets --alias``)."""
    return load_rules().with_outlet_aliases(store.outlet_aliases())


# -- report ------------------------------------------------------------------

Since = Literal["last", "all"] | datetime


def parse_since(value: str, tz: str = "UTC") -> Since:
    """'last', 'all', or a date/time (ISO 8601)."""
    if value in ("last", "all"):
        return value  # type: ignore[return-value]
    when, _ = parse_time(value, tz)
    if when is None:
        raise ConfigError(f"--since {value!r}: use 'last', 'all' or a date like 2026-11-24 or 2026-11-24T18:00+07:00")
    return when


def build_report(
    cfg: Config, since: Since | str = "last", mark: bool = True, progress: Progress | None = None,
    where: ReportFilter | None = None, limit: int | None = None,
) -> Report:
    """Stories that are new or grew since ``since``; when ``mark`` and ``since`` is
    "last" (the nightly report), remembers this report as the last one: a look back
    (``since`` "all" or a time) moves nothing, nor does a filtered report (``where``:
    it leaves stories out, which the next nightly report must still hold).

    ``where`` keeps the stories a desk asks for (:class:`ReportFilter`; with a
    ``source``, ``Report.source_use`` says how each story used it); ``limit`` is how
    many stories a rendering lists (``Report.listed``; 0: all), while the totals count
    every story kept (``totals["more"]``: those not listed). By default (None) the
    nightly report (``since`` "last", unfiltered) lists every story, since it moves the
    mark past them all, and any other lists :data:`DEFAULT_REPORT_LIMIT`.

    The nightly report holds exactly the story changes committed before it began
    (after the previous one's): it reads the stories and the store's change sequence
    in one read transaction, and its mark is that sequence number (``Report.mark``),
    not a time. A look back by time uses the index runs' clock (``updated_at``).

    ``progress("stories", 1)`` is called as each story is built (credits are
    sought in every member's text: ~1 ms per article). ``since`` may also be
    given as text, as on the command line (:func:`parse_since`)."""
    if limit is not None and limit < 0:
        raise ConfigError(f"--limit {limit}: must be 0 (all) or more")
    if isinstance(since, str):
        since = parse_since(since)
    elif since.tzinfo is None:
        raise ConfigError(f"since {since.isoformat()}: give a time with its zone (a naive time could be any)")
    if limit is None:
        limit = 0 if since == "last" and (where is None or not where.active) else DEFAULT_REPORT_LIMIT
    store = open_store(cfg.store, create=False)
    try:
        generated = datetime.now(timezone.utc)
        settings = store_settings(store, cfg)[0]
        cluster_cfg = settings.cluster
        stories: list[Story] = []
        rules = store_rules(store)
        if where is not None and not where.active:
            where = None
        with store.reading():  # one committed state: the stories, their members and the mark agree
            seq = store.change_seq()
            changed: list[tuple[str, bool]]
            if since == "last":
                last, last_seq = store.get_meta("last_report_at"), store.get_meta("last_report_seq")
                cutoff = datetime.fromisoformat(last) if last else None
                changed = store.stories_changed_after(int(last_seq or 0))
            else:
                cutoff = None if since == "all" else since  # type: ignore[assignment]
                cut_iso = cutoff.isoformat(timespec="microseconds") if cutoff else None
                changed = [(s, cut_iso is None or c > cut_iso) for s, c, _ in store.stories_changed_since(cut_iso)]
            members = store.story_members([s for s, _ in changed])
            for story_id, is_new in changed:
                story = _built(store, story_id, members[story_id], cluster_cfg, rules, is_new)
                if where is None or keeps(story, where, rules):
                    stories.append(story)
                if progress:
                    progress("stories", 1)
            counts = store.counts()
            # Stories with copies first; a group with none (its origin's own outlet again, or
            # earlier related texts) is listed after them and counted in no total of stories.
            stories.sort(key=lambda s: (not has_copies(s), -len(s.members), s.story_id))
            # How much of each copy is its parent's, for the stories listed (read in this transaction).
            for n, s in enumerate(stories[: limit or None]):
                stories[n] = with_reuse(s, list(store.articles(members[s.story_id])), settings.shingle)
        with_copies = [s for s in stories if has_copies(s)]
        totals: dict[str, list[Any]] = {}
        aliases = {outlet_key(k): v for k, v in store.outlet_aliases().items()}
        for s in stories:
            for m in s.members:
                # One row per outlet however its name is cased or aliased: shown as first seen, or the alias target.
                name = aliases.get(outlet_key(m.outlet), m.outlet)
                t = totals.setdefault(outlet_key(name), [name, 0, 0, 0])
                t[1] += 1
                if m.relation == "original":
                    t[2] += 1
                elif is_copy(m.relation):  # an outlet's own text again, or an earlier related text, is none
                    t[3] += 1
        outlets = tuple(
            OutletTotals(outlet=o, articles=a, original=orig, copies=c)
            for o, a, orig, c in sorted(totals.values(), key=lambda t: (-t[1], t[0]))
        )
        if mark and since == "last" and where is None:
            store.mark_reported(seq, _iso(generated))
        shown = len(stories) if not limit else min(limit, len(stories))
        source = where.source if where is not None else None
        return Report(
            generated_at=generated, since=cutoff, stories=tuple(stories), outlets=outlets,
            totals={
                "stories": len(with_copies),
                "new_stories": sum(s.is_new for s in with_copies),
                "copies": sum(is_copy(m.relation) for s in stories for m in s.members),
                "articles_in_store": counts["articles"],
                "more": len(stories) - shown,  # stories (and groups without a copy) not listed
            },
            # a look back by time may leave changes out, a filtered report leaves stories out
            mark=None if isinstance(since, datetime) or where is not None else seq,
            limit=limit or None, source=source_name(source, rules) if source else None,
            source_use=tuple(source_use(s, source, rules) for s in stories) if source else (),  # type: ignore[misc]
        )
    finally:
        store.close()


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


def mark_reported(cfg: Config, report: Report) -> None:
    """Remember ``report`` (a nightly one, built with ``mark=False``) as the last one,
    which ``--since last`` starts from: call this once it was delivered, so that a
    failed write loses nothing."""
    if report.mark is None:
        raise ConfigError("only an unfiltered report of every change since the last one ('last' or 'all') can be marked as the last one")
    store = open_store(cfg.store, create=False)
    try:
        store.mark_reported(report.mark, _iso(report.generated_at))
    finally:
        store.close()


# -- check ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoreCheck:
    """What ``dedup check`` found."""

    store: str
    articles: int  # -1: could not be counted
    segments: int | None  # None: a PostgreSQL store (its bands table is the index)
    findings: tuple[Finding, ...]

    @property
    def damaged(self) -> tuple[Finding, ...]:
        """The damage left (not repaired)."""
        return tuple(f for f in self.findings if f.damage and not f.repaired)


def check(cfg: Config, repair: bool = False) -> StoreCheck:
    """Verify the store at ``cfg.store``: SQLite's quick_check, the store's invariants,
    every LSH segment against its checksum; with ``repair``, rebuild the damaged LSH
    index from the articles (as a writer: not while an index run holds the store).
    A PostgreSQL store: the invariants of its tables only (nothing is derived outside
    the database; the server verifies its own storage)."""
    try:
        store = open_store(cfg.store, create=False)
    except StoreError as exc:
        if is_server(cfg.store) or not store_exists(cfg.store) or DATABASE_ADVICE in str(exc):
            raise
        raise StoreError(f"{exc}: {DATABASE_ADVICE}") from exc
    try:
        if repair:
            store.lock_writer()
        findings = store.check(repair)
        try:
            articles = store.article_count()
            segments = None if is_server(cfg.store) else len(store.lsh_segments())  # type: ignore[attr-defined]
        except (sqlite3.DatabaseError, ValueError):  # a damaged database: the findings say why
            articles, segments = -1, 0
    finally:
        store.close()
    return StoreCheck(store_name(cfg.store), articles, segments, tuple(findings))


# -- retention -------------------------------------------------------------------

# The store's meta key of the latest retention cut: index_corpus takes back no record before it.
PRUNED_BEFORE = "pruned_before"
_PRUNED_REASON = "published before the store's retention cut (dedup prune)"


def prune(cfg: Config, before: datetime | str, tz: str = "UTC", dry_run: bool = False) -> PruneResult:
    """Remove every article published before ``before`` from the store at ``cfg.store``
    (:meth:`Store.prune`: an undated article by when it was indexed; a bare date once its
    day has ended). ``before`` as on the command line is read like ``--published-from``:
    an ISO 8601 date (its first instant, in ``tz``) or time. As a writer: not while an
    index run holds the store; ``dry_run`` only counts, and takes no lock."""
    if isinstance(before, str):
        when = ReportFilter.window(before, tz, flag="--before")
        assert when is not None
        before = when
    elif before.tzinfo is None:
        raise ConfigError(f"--before {before.isoformat()}: give a time with its zone (a naive time could be any)")
    if before > datetime.now(timezone.utc):
        # (a mistyped year would empty the store, tonight's articles with the rest)
        raise ConfigError(f"--before {before.isoformat()} is in the future: retention keeps the recent articles; give a past date")
    store = open_store(cfg.store, create=False)
    try:
        if not dry_run:
            store.lock_writer()
        result = store.prune(before, dry_run=dry_run)
        last = store.get_meta(PRUNED_BEFORE)
        if not dry_run and (last is None or datetime.fromisoformat(last) < before):
            store.set_meta(PRUNED_BEFORE, result.before)  # (after the prune: a rerun of a killed one sets it)
        return result
    finally:
        store.close()


# -- stats and export ---------------------------------------------------------

def stats(cfg: Config) -> dict[str, object]:
    """What is in the store."""
    store = open_store(cfg.store, create=False)
    try:
        params = store.get_meta("params")
        return {
            "store": store_name(cfg.store),
            **store.counts(),
            "size_bytes": store.size_bytes(),
            "settings": json.loads(params) if params else None,
            "last_report_at": store.get_meta("last_report_at"),
        }
    finally:
        store.close()


def health(cfg: Config) -> dict[str, object]:
    """A cheap look at the store (``GET /health``): it opens, and how many articles it holds."""
    store = open_store(cfg.store, create=False)
    try:
        return {"store": store_name(cfg.store), "articles": store.article_count(), "last_report_at": store.get_meta("last_report_at")}
    finally:
        store.close()


def outlet_aliases(cfg: Config, add: Sequence[str] = (), remove: Sequence[str] = ()) -> dict[str, str]:
    """Add ``NAME=OUTLET`` aliases and remove others by name (``dedup outlets --alias/--unalias``);
    the aliases then, name → outlet. Raises ConfigError for a malformed alias or a name to
    remove that is no alias (nothing is changed then)."""
    pairs = [parse_alias(a) for a in add]
    store = open_store(cfg.store, create=False)
    try:
        known = {outlet_key(n) for n in store.outlet_aliases()} | {outlet_key(n) for n, _ in pairs}
        missing = [n for n in remove if outlet_key(n) not in known]
        if missing:
            raise ConfigError(f"--unalias {', '.join(missing)}: no such alias")
        store.set_outlet_aliases(pairs, remove)
        return store.outlet_aliases()
    finally:
        store.close()


def outlets(cfg: Config, only: Sequence[str] = ()) -> list[OutletInfo]:
    """The boilerplate learned per outlet (``dedup outlets``), most articles first."""
    store = open_store(cfg.store, create=False)
    try:
        return outlet_boilerplate(store, cfg.boilerplate, [outlet_key(o) for o in only] or None)
    finally:
        store.close()


# Rows written at once by an export (a Parquet row group each), and the text held
# before a batch is written early: the output is streamed, so memory does not grow
# with the store (the whole frame built at once took 7x its output, 2.4 GB for 1M
# articles). Larger batches and row groups buffer more in polars' Parquet sink
# (100k news articles: 267 MiB peak at 5,000 rows, 333 at 10,000, 637 by default).
_EXPORT_BATCH = 5_000
_EXPORT_BATCH_BYTES = 32 << 20


def _export_schema(what: str) -> dict[str, object]:
    """The export's columns and types: times as UTC datetimes, with the calendar day as
    given (``published_date``: a bare date's own day, which UTC may move) and the
    precision beside them; lists typed even when every one is empty."""
    import polars as pl

    s, f, i, ls, d = pl.String, pl.Float64, pl.Int64, pl.List(pl.String), pl.Date
    utc = pl.Datetime("us", "UTC")
    if what == "articles":
        return {"id": s, "url": s, "outlet": s, "title": s, "text": s, "published_at": utc, "published_date": d,
                "time_precision": s, "n_shingles": i, "stripped": ls, "indexed_at": utc, "story_id": s}
    return {"story_id": s, "first_id": s, "title": s, "origin": s, "confidence": s, "id": s, "outlet": s, "url": s,
            "published_at": utc, "published_date": d, "time_precision": s, "lag_seconds": f, "lag_days": i,
            "similarity": f, "containment": f, "relation": s, "credits": ls}


def _story_origin(st: Story) -> str:
    """The name of where a story starts, for the export: the agency outside the corpus it
    derives from, else its first publisher's outlet (provenance's ``Story.origin``)."""
    return st.origin.name if st.origin is not None else st.first.outlet


def export(
    cfg: Config, what: Literal["articles", "stories"], fmt: Literal["jsonl", "parquet", "csv"], out: Path | BinaryIO,
    progress: Progress | None = None, where: ReportFilter | None = None,
) -> int:
    """Write the rows of :func:`export_frame` to ``out`` (a path or a binary file) as JSON
    Lines, Parquet or CSV, batch by batch (:func:`export_batches`); returns the number of rows.
    In CSV a list is one cell: credits joined by "; ", stripped lines by newlines."""
    if fmt == "parquet":
        from polars.io.plugins import register_io_source

        rows = 0

        def source(with_columns: list[str] | None, predicate: object, n_rows: int | None, batch_size: int | None) -> Iterator[pl.DataFrame]:
            nonlocal rows
            # polars pulls from its own threads, one call here, the next there; a SQLite
            # connection lives on the thread that opened it, so the store is read on one.
            for batch in _on_own_thread(lambda: export_batches(cfg, what, progress, where=where)):
                rows += batch.height
                yield batch

        if what not in ("articles", "stories"):
            raise ConfigError(f"export {what!r}: choose 'articles' or 'stories'")
        # polars' streaming sink pulls the batches and writes row groups as they come.
        register_io_source(source, schema=_export_schema(what)).sink_parquet(out, row_group_size=_EXPORT_BATCH)  # type: ignore[arg-type]
        return rows
    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"export format {fmt!r}: choose jsonl, parquet or csv")
    rows = 0
    with (open(out, "wb") if isinstance(out, (str, Path)) else nullcontext(out)) as fh:
        for n, batch in enumerate(export_batches(cfg, what, progress, where=where)):
            if fmt == "csv":
                _csv_cells(batch).write_csv(fh, include_header=n == 0)
            else:
                batch.write_ndjson(fh)
            rows += batch.height
    return rows


def _csv_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame CSV can hold: each list joined into one cell (names by "; ", lines by newlines)."""
    import polars as pl

    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(
        pl.col(c).list.join("\n" if c == "stripped" else "; ") for c in lists
    ) if lists else frame


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def _on_own_thread(make: Callable[[], Iterator[T]], depth: int = 2) -> Iterator[T]:
    """The items of ``make()``, produced on a thread of their own (which owns whatever
    ``make`` opens), at most ``depth`` ahead of the consumer; its error is raised here."""
    import queue
    import threading

    channel: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)  # wakes to see a consumer that left
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in make():
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))

    worker = threading.Thread(target=produce, name="dedup-export", daemon=True)
    worker.start()
    try:
        while (item := channel.get()) is not done:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def export_frame(cfg: Config, what: Literal["articles", "stories"], progress: Progress | None = None) -> pl.DataFrame:
    """Articles (one row each, with story_id) or stories (one row per member), for analysis;
    ``progress("stories", 1)`` is called per story built. The whole store in memory:
    :func:`export_batches` gives the same rows a batch at a time."""
    import polars as pl

    return pl.concat(list(export_batches(cfg, what, progress)), how="vertical")


def export_batches(
    cfg: Config, what: Literal["articles", "stories"], progress: Progress | None = None, batch_rows: int = _EXPORT_BATCH,
    where: ReportFilter | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of :func:`export_frame` as frames of about ``batch_rows`` rows (fewer when
    their text passes 32 MB; a story's members are not split), each with the same
    schema; at least one (maybe empty). ``where`` keeps stories as a report does (each
    kept story whole); articles by their own time and outlet."""
    import polars as pl

    if what not in ("articles", "stories"):
        raise ConfigError(f"export {what!r}: choose 'articles' or 'stories'")
    if where is not None and not where.active:
        where = None
    if where is not None and what == "articles" and (where.relations or where.min_copies or where.source):
        raise ConfigError("--relation, --min-copies and --source select stories: use them with --what stories")
    schema = _export_schema(what)
    cols: dict[str, list[object]] = {c: [] for c in schema}
    held = 0  # text bytes (articles) in the batch

    def frame() -> pl.DataFrame:
        nonlocal held
        out = pl.DataFrame(cols, schema=schema)  # type: ignore[arg-type]
        for c in cols.values():
            c.clear()
        held = 0
        return out

    def full() -> bool:
        return len(cols["id"]) >= batch_rows or held >= _EXPORT_BATCH_BYTES

    store = open_store(cfg.store, create=False)
    try:
        if what == "articles":
            for a in store.articles():
                if where is not None and not member_matches(_as_member(a), where):
                    continue
                when = parse_stored_time(a.published_at, a.time_precision, a.published_raw)
                for c, v in (("id", a.id), ("url", a.url), ("outlet", a.outlet), ("title", a.title), ("text", a.text),
                             ("published_at", when), ("published_date", when.date() if when else None),
                             ("time_precision", a.time_precision), ("n_shingles", a.n_shingles),
                             ("stripped", list(a.stripped)), ("indexed_at", datetime.fromisoformat(a.indexed_at)),
                             ("story_id", a.story_id)):
                    cols[c].append(v)
                held += len(a.text)
                if full():
                    yield frame()
        else:
            cluster_cfg = store_settings(store, cfg)[0].cluster
            rules = store_rules(store)
            changed = store.stories_changed_since(None)
            members = store.story_members([s for s, _, _ in changed])
            for story_id, _, _ in changed:
                st = _built(store, story_id, members.pop(story_id), cluster_cfg, rules)
                if progress:
                    progress("stories", 1)
                if where is not None and not keeps(st, where, rules):
                    continue
                for m in st.members:
                    row: tuple[tuple[str, object], ...] = (
                        ("story_id", story_id), ("first_id", st.first.id), ("title", st.first.title),
                        ("origin", _story_origin(st)), ("confidence", st.confidence),
                        ("id", m.id), ("outlet", m.outlet), ("url", m.url), ("published_at", m.published_at),
                        ("published_date", m.published_at.date() if m.published_at else None),
                        ("time_precision", str(m.time_precision)),
                        # a lag that involves a bare date is in calendar days, not seconds (see report.json)
                        ("lag_seconds", m.lag_seconds), ("lag_days", m.lag_span.days if m.lag_span else None),
                        ("similarity", m.similarity), ("containment", m.containment),
                        ("relation", m.relation), ("credits", list(m.credits)),
                    )
                    for c, value in row:
                        cols[c].append(value)
                if full():
                    yield frame()
    finally:
        store.close()
    yield frame()


def with_store(cfg: Config, store: Path | str | None) -> Config:
    return cfg if store is None else replace(cfg, store=store)
