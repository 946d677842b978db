"""Candidate pairs → verified reuse → union-find → stories with stable ids.

Only articles not yet in a story (new, replaced, or left over by an interrupted
run) are clustered; each joins the stories of the articles it reuses or is
reused by. A story that gains a copy keeps its id; when a new article bridges
two stories, the older story's id survives.

>>> import numpy as np
>>> components(5, np.array([0, 3]), np.array([1, 4])).tolist()  # stories of links 0-1 and 3-4
[0, 0, 2, 3, 3]
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import xxhash

from .config import ClusterConfig, ShingleConfig
from .credits import CreditRules, load_rules
from .index import ScannedSignatures, candidate_pairs, prefilter_of
from .store import Store, StoredArticle
from .verify import SetCache, containment_both, judge, judge_estimated

_VERIFY_CHUNK = 20000
# Candidate pairs whose signatures are read at once (at most twice as many docs,
# 512 bytes each): a bulk load's pairs involve most of the store.
_VERIFY_BLOCK = 1 << 17
# Pairs judged exactly at once: their docs' shingle sets are gathered into one array.
_EXACT_CHUNK = 1 << 14


@dataclass(frozen=True, slots=True)
class ClusterResult:
    clustered: int  # articles assigned
    # Stories with copies (members from 2+ outlets: Store.multi_outlet_stories), new or grown
    # (existing ones that gained members); a group of one outlet's own texts is in neither.
    stories_new: int
    stories_grown: int


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of nodes 0..n-1 joined by edges (a[i], b[i]): each node's
    label is the smallest node of its component.

    Hook and shortcut, vectorised: every root is hooked under the smallest root
    it shares an edge with, then every node jumps to its root; repeated until no
    edge joins two roots (a few rounds: story graphs are shallow).

    >>> components(5, np.array([3, 1]), np.array([1, 0])).tolist()
    [0, 0, 2, 0, 4]
    """
    parent = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while a.size:
        ra, rb = parent[a], parent[b]
        split = ra != rb
        if not split.any():
            break
        ra, rb = ra[split], rb[split]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # shortcut: parent[x] < x always holds, so this ends
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return parent


def new_story_id(article_id: str) -> str:
    return "s" + xxhash.xxh3_64_hexdigest(article_id.encode("utf-8"))[:12]


@dataclass(frozen=True, slots=True)
class Edges:
    """Verified reuse between doc pairs (a, b) = pairs[i]: whether a may be derived from b and
    b from a (dedup.verify.Verdicts), with the evidence each way."""

    pairs: np.ndarray  # (n, 2) int64
    a_from_b: np.ndarray  # bool
    b_from_a: np.ndarray  # bool
    score_ab: np.ndarray  # float64
    score_ba: np.ndarray  # float64

    @classmethod
    def empty(cls) -> Edges:
        no = np.empty(0, dtype=bool)
        return cls(np.empty((0, 2), dtype=np.int64), no, no, np.empty(0), np.empty(0))

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        if not parts:
            return cls.empty()
        return cls(np.concatenate([e.pairs for e in parts]).reshape(-1, 2),
                   *(np.concatenate([getattr(e, f) for e in parts]) for f in ("a_from_b", "b_from_a", "score_ab", "score_ba")))


def _prefilter(sim: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, cfg: ClusterConfig) -> np.ndarray:
    """Pairs worth exact verification: their MinHash estimates leave a chance to pass.

    The estimated containment either way must reach ``PREFILTER_SHARE`` of the lowest bar
    (or the Jaccard its own): exact work is spent on the pairs near a threshold, not on
    the many chance candidates a wide LSH proposes.
    """
    c_ab, c_ba = containment_both(sim, size_a.astype(np.float64), size_b.astype(np.float64))
    low = PREFILTER_SHARE * min(_bars(cfg))
    return (sim >= PREFILTER_SHARE * cfg.min_similarity) | (np.maximum(c_ab, c_ba) >= low)


def _bars(cfg: ClusterConfig) -> list[float]:
    return [cfg.min_containment, *(bar for _, bar in cfg.derived)]


# An estimated Jaccard this high settles a pair without exact work: with 128 permutations its
# standard error is ~0.044, so the exact Jaccard is above min_similarity (0.3) by 4 of them.
SURE_SIMILARITY = 0.5

# Share of a threshold a MinHash estimate must reach for the exact check to run: with 128
# permutations an estimated containment of 0.3 is within ±0.1 of the exact one (benchmarks/QUALITY.md).
PREFILTER_SHARE = 0.6


def verified_edges(store: Store, docs: list[int], cfg: ClusterConfig, shingle_cfg: ShingleConfig | None = None) -> Edges:
    """The candidate pairs of ``docs`` that pass the exact verifier (dedup.verify.judge), with
    their evidence and direction. MinHash signatures first drop the pairs that cannot pass;
    the rest are judged on the stored texts, re-shingled once per run (SetCache)."""
    scan = ScannedSignatures.of(store, len(docs))  # (a bulk load: read once, for both stages)
    pairs = candidate_pairs(store, docs, scan)
    if pairs.size == 0:
        return Edges.empty()
    # Every pair's estimate from the scan at once, then the scan goes: its pages are half a GB
    # at 1M articles, and the exact stage's texts must not come on top of them.
    estimates = _estimates(scan, pairs) if scan is not None else None
    del scan
    cache = SetCache(store, shingle_cfg or ShingleConfig())
    loaded: list[CreditRules] = []

    def rules() -> CreditRules:  # loaded when a pair first needs them: compiling them costs seconds
        if not loaded:
            loaded.append(load_rules().with_outlet_aliases(store.outlet_aliases()))
        return loaded[0]
    rows: dict[int, StoredArticle] = {}

    def article(doc: int) -> StoredArticle:
        # Pair evidence reads few texts (credits in the grey band, one outlet's kept pairs): fetched as asked.
        if doc not in rows:
            rows.update((a.doc, a) for a in store.articles([doc]))
        return rows[doc]

    kept: list[Edges] = []
    # The candidate stage's own prefilter (dedup.index) may already be as strict as this one.
    prefiltered = prefilter_of(store) >= PREFILTER_SHARE * min(_bars(cfg))
    for block_start in range(0, len(pairs), _VERIFY_BLOCK):
        block = pairs[block_start : block_start + _VERIFY_BLOCK]
        if estimates is not None:
            sim, size_a, size_b = (e[block_start : block_start + _VERIFY_BLOCK] for e in estimates)
        else:
            sim, size_a, size_b = _estimates_of(*_block_signatures(store, block))
        hopeful = np.ones(len(block), dtype=bool) if prefiltered else _prefilter(sim, size_a, size_b, cfg)
        # Pairs the estimate settles are not re-shingled: about half of a bulk load's (synthetic 20k).
        sure = hopeful & (sim >= SURE_SIMILARITY)
        if sure.any():
            chunk = block[sure]
            members = np.unique(chunk)
            ia, ib = np.searchsorted(members, chunk[:, 0]), np.searchsorted(members, chunk[:, 1])
            v = judge_estimated(cache.meta(members), ia, ib, sim[sure], size_a[sure], size_b[sure], article, rules)
            kept.append(Edges(chunk[v.keep], v.a_from_b[v.keep], v.b_from_a[v.keep], v.score_ab[v.keep], v.score_ba[v.keep]))
        block = block[hopeful & ~sure]
        for start in range(0, len(block), _EXACT_CHUNK):
            chunk = block[start : start + _EXACT_CHUNK]
            members = np.unique(chunk)
            sets, slots = cache.positions(members)
            ia, ib = slots[np.searchsorted(members, chunk[:, 0])], slots[np.searchsorted(members, chunk[:, 1])]
            v = judge(sets, ia, ib, cfg, article, rules)
            k = v.keep
            kept.append(Edges(chunk[k], v.a_from_b[k], v.b_from_a[k], v.score_ab[k], v.score_ba[k]))
    out = Edges.concat(kept)
    order = np.lexsort((out.pairs[:, 1], out.pairs[:, 0]))  # the same edges in the same order, however judged
    return Edges(out.pairs[order], out.a_from_b[order], out.b_from_a[order], out.score_ab[order], out.score_ba[order])


def _block_signatures(store: Store, block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signatures, sizes) of the docs of ``block``'s pairs, from the rows, and each pair's two rows in them."""
    involved = np.unique(block)
    sigs, sizes = store.signatures(involved.tolist())
    return sigs, sizes, np.searchsorted(involved, block)


def _estimates(scan: ScannedSignatures, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(MinHash similarity, size of a, size of b) of each pair, from ``scan``; None when it lacks a doc."""
    at, found = scan.rows(pairs)
    if not found.all():
        return None
    return _estimates_of(scan.sigs, scan.sizes, at)


def _estimates_of(sigs: np.ndarray, sizes: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(similarity, size a, size b) of pairs of rows ``at`` (n, 2) of ``sigs`` / ``sizes``, in chunks
    (a chunk's two signature gathers are what memory holds)."""
    sim = np.empty(len(at))
    for start in range(0, len(at), _VERIFY_CHUNK):
        p = at[start : start + _VERIFY_CHUNK]
        sim[start : start + len(p)] = np.count_nonzero(sigs[p[:, 0]] == sigs[p[:, 1]], axis=1) / sigs.shape[1]
    sizes = np.asarray(sizes, dtype=np.int64)
    return sim, sizes[at[:, 0]], sizes[at[:, 1]]


def verified_pairs(store: Store, docs: list[int], cfg: ClusterConfig, shingle_cfg: ShingleConfig | None = None) -> np.ndarray:
    """(n, 2) doc pairs among the candidates of ``docs`` that pass verification."""
    return verified_edges(store, docs, cfg, shingle_cfg).pairs


def best_links(edges: Edges, choosers: np.ndarray) -> np.ndarray:
    """(n, 2) links (doc, source): each doc of ``choosers`` joins through its ONE best source.

    A text carrying two stories joins one, and a chain of weak links cannot glue independent
    stories: every link is some text's strongest evidence of where it came from. A text with
    no source links to nothing itself; its copies link to it.

    >>> e = Edges(np.array([[1, 0], [1, 2], [3, 1]]), np.array([True, True, True]), np.array([False, False, True]),
    ...           np.array([0.9, 0.5, 0.8]), np.array([0.9, 0.5, 0.4]))
    >>> best_links(e, np.array([0, 1, 2, 3])).tolist()
    [[1, 0], [3, 1]]
    """
    a, b = edges.pairs[:, 0], edges.pairs[:, 1]
    who = np.concatenate([a, b])
    source = np.concatenate([b, a])
    score = np.concatenate([edges.score_ab, edges.score_ba])
    ok = np.concatenate([edges.a_from_b, edges.b_from_a]) & np.isin(who, choosers)
    who, source, score = who[ok], source[ok], score[ok]
    if not who.size:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((source, -score, who))  # per doc: the best evidence, then the lowest doc
    who, source = who[order], source[order]
    first = np.r_[True, who[1:] != who[:-1]]
    return np.stack([who[first], source[first]], axis=1).astype(np.int64)


def _components_of(pending: list[int], edges: np.ndarray, story_of: dict[int, str]) -> list[tuple[list[int], AbstractSet[str]]]:
    """The connected components of the verified edges, as (pending docs, existing stories linked).

    Graph nodes are the pending docs (0..P-1) and one node per existing story an
    edge reaches: an edge to a clustered doc is an edge to its whole story.
    """
    pend = np.asarray(pending, dtype=np.int64)  # ascending
    n_pend = len(pending)
    story_node: dict[str, int] = {}
    node_story: list[str] = []

    def node_of(docs: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(pend, docs), n_pend - 1)
        out = pos.copy()
        for i in np.flatnonzero(pend[pos] != docs).tolist():
            s = story_of[int(docs[i])]
            if s not in story_node:
                story_node[s] = n_pend + len(node_story)
                node_story.append(s)
            out[i] = story_node[s]
        return out

    ea = node_of(edges[:, 0]) if edges.size else np.empty(0, dtype=np.int64)
    eb = node_of(edges[:, 1]) if edges.size else np.empty(0, dtype=np.int64)
    labels = components(n_pend + len(node_story), ea, eb)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    out: list[tuple[list[int], AbstractSet[str]]] = []
    none: frozenset[str] = frozenset()  # shared: most components of a bulk load link no story (an empty set is 216 bytes)
    for i in range(len(bounds) - 1):
        nodes = order[bounds[i] : bounds[i + 1]].tolist()
        stories = [node_story[n - n_pend] for n in nodes if n >= n_pend]
        out.append(([pending[n] for n in nodes if n < n_pend], set(stories) if stories else none))
    return out


def _story_origins(store: Store, docs: np.ndarray, story_of: dict[int, str]) -> np.ndarray:
    """The docs among ``docs`` (clustered) that are the first published of their story
    (unknown times last, then the lowest doc): its origin, the one text of a story that
    may still find its own source among new articles."""
    stories = {story_of[int(d)] for d in docs.tolist() if int(d) in story_of}
    if not stories:
        return np.empty(0, dtype=np.int64)
    members = store.story_members(stories)
    when = {a.doc: a.published_at for a in store.articles(sorted({m for ms in members.values() for m in ms}))}
    first = {s: min(ms, key=lambda m: (when.get(m) is None, when.get(m) or "", m)) for s, ms in members.items() if ms}
    return np.array(sorted(d for d in (first.get(s) for s in stories) if d is not None), dtype=np.int64)


def cluster_pending(store: Store, cfg: ClusterConfig, now: str, progress: Callable[[int], None] | None = None,
                    shingle_cfg: ShingleConfig | None = None) -> ClusterResult:
    """Assign every pending article to a story (possibly its own), one run at a time
    (:meth:`~dedup.store.Store.story_lock`: several runs may write a shared store).

    Each pending article joins through its single best verified source (best_links); the
    first of an existing story (its origin) may also link to a new article that is its
    source (copies indexed before their original).
    """
    with store.story_lock():
        return _cluster_pending(store, cfg, now, progress, shingle_cfg)


def _cluster_pending(store: Store, cfg: ClusterConfig, now: str, progress: Callable[[int], None] | None,
                     shingle_cfg: ShingleConfig | None) -> ClusterResult:
    pending = store.pending()
    if not pending:
        return ClusterResult(0, 0, 0)
    verified = verified_edges(store, pending, cfg, shingle_cfg)
    others = np.setdiff1d(np.unique(verified.pairs), pending) if verified.pairs.size else np.empty(0, dtype=np.int64)
    # For pending docs this is their previous story (kept when a member was replaced).
    story_of = store.stories_of([*pending, *others.tolist()])
    origins = _story_origins(store, others, story_of)
    edges = best_links(verified, np.union1d(np.asarray(pending, dtype=np.int64), origins))

    groups = _components_of(pending, edges, story_of)

    # A previous story is a candidate id for its old members' component, so
    # re-clustering after a replacement keeps ids stable.
    existing_ids = {s for _, linked in groups for s in linked} | {s for s in (story_of.get(d) for d in pending) if s is not None}
    created_at = store.story_created(existing_ids)
    members = store.story_members(existing_ids)
    ident = store.identities(pending)
    named = {d: new_story_id(i) for d, (i, _) in ident.items()}  # the id a new story of d would take
    # Ids a new story must not take: a story named after a doc that later left it lives on.
    taken = set(store.story_created(named.values()))

    assignments: dict[int, str] = {}
    created: dict[str, str] = {}
    touched: list[str] = []
    dropped: list[str] = []
    used: set[str] = set()
    new_ids: list[str] = []
    grown_ids: list[str] = []
    comps = []
    for docs, linked in groups:
        # A previous story id goes to the component holding most of its docs (then the
        # one indexed earliest), not to a replaced member that left the story.
        comps.append(((-len(docs), min(ident[d][1] for d in docs), docs[0]), docs, linked))
    del groups  # the components live on in comps
    comps.sort(key=lambda c: c[0])

    for _, docs, linked in comps:
        prev_ids = {s for s in (story_of.get(d) for d in docs) if s is not None}
        choices = sorted((s for s in linked | prev_ids if s in created_at and s not in used), key=lambda s: (created_at[s], s))
        if choices:
            keep = choices[0]
            for s in linked - {keep}:  # merged into the older story
                for d in members.get(s, []):
                    assignments[d] = keep
                dropped.append(s)
            touched.append(keep)
            if any(story_of.get(d) != keep for d in docs) or len(linked) > 1:
                grown_ids.append(keep)
        else:
            base, n = ident[docs[0]][0], 0
            keep = named[docs[0]]
            while keep in used or keep in taken:
                n += 1
                keep = new_story_id(f"{base}#{n}")
                if store.story_created([keep]):
                    taken.add(keep)
            created[keep] = now
            if len(docs) > 1:
                new_ids.append(keep)
        used.add(keep)
        for d in docs:
            assignments[d] = keep
    # A previous story that no component took has no member left: every member of
    # a story is pending again once one of them is replaced.
    dropped.extend({s for s in (story_of.get(d) for d in pending) if s is not None} - used - set(dropped))
    store.assign(assignments, created, touched, dropped, now)
    if progress is not None:
        progress(len(pending))
    with_copies = store.multi_outlet_stories([*new_ids, *grown_ids])
    return ClusterResult(len(pending), sum(s in with_copies for s in new_ids), sum(s in with_copies for s in grown_ids))
