"""Candidate pairs → verified reuse → union-find → stories with stable ids.

Only articles not yet in a story (new, replaced, or left over by an interrupted
run) are clustered; each joins the stories of the articles it reuses or is
reused by. A story that gains a copy keeps its id; when a new article bridges
two stories, the older story's id survives.

>>> import numpy as np
>>> from dedup.config import ClusterConfig
>>> sim, cab, cba, keep = verify(np.array([[1, 2, 3, 4]], np.uint32), np.array([[1, 2, 3, 9]], np.uint32),
...                               np.array([100]), np.array([100]), ClusterConfig())
>>> float(sim[0]), bool(keep[0])
(0.75, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xxhash

from .config import ClusterConfig
from .index import LSHParams, candidate_pairs
from .store import Store

# Containment estimated from a low Jaccard is noisy for tiny texts: a short
# article only counts as contained in a longer one above this many shingles.
MIN_SHINGLES_FOR_CONTAINMENT = 60
# Containment estimated from Jaccard and set sizes is unreliable when one set is
# many times the other (measured: 7.6-21x ratios gave estimates 0.71-1.00 for
# true containment 0.33-0.46; see benchmarks/SHINGLES.md). Beyond this ratio only
# the Jaccard arm of the rule counts.
MAX_SIZE_RATIO_FOR_CONTAINMENT = 6.0
_VERIFY_CHUNK = 20000


@dataclass(frozen=True, slots=True)
class ClusterResult:
    clustered: int  # articles assigned
    stories_new: int  # new stories with 2+ members
    stories_grown: int  # existing stories that gained members


def containment_both(sim: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimated |A∩B|/|A| and |A∩B|/|B| from estimated Jaccard and set sizes."""
    inter = sim * (size_a + size_b) / (1.0 + sim)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_ab = np.where(size_a > 0, np.minimum(1.0, inter / np.maximum(size_a, 1)), 0.0)
        c_ba = np.where(size_b > 0, np.minimum(1.0, inter / np.maximum(size_b, 1)), 0.0)
    return c_ab, c_ba


def verify(
    sig_a: np.ndarray, sig_b: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, cfg: ClusterConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(similarity, containment a-in-b, containment b-in-a, is_reuse) for aligned rows."""
    sim = (sig_a == sig_b).mean(axis=1)
    c_ab, c_ba = containment_both(sim, size_a.astype(np.float64), size_b.astype(np.float64))
    smaller_contained = np.where(size_a <= size_b, c_ab, c_ba)
    keep = (sim >= cfg.min_similarity) | ((smaller_contained >= cfg.min_containment) & containment_reliable(size_a, size_b))
    return sim, c_ab, c_ba, keep


def containment_reliable(size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Where an estimated containment can be trusted: neither set tiny nor one many times the other."""
    small = np.minimum(size_a, size_b)
    large = np.maximum(size_a, size_b)
    return (small >= MIN_SHINGLES_FOR_CONTAINMENT) & (large <= MAX_SIZE_RATIO_FOR_CONTAINMENT * small)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def new_story_id(article_id: str) -> str:
    return "s" + xxhash.xxh3_64_hexdigest(article_id.encode("utf-8"))[:12]


def verified_pairs(store: Store, docs: list[int], lsh: LSHParams, cfg: ClusterConfig) -> np.ndarray:
    """(n, 2) doc pairs among the candidates of ``docs`` that pass verification."""
    pairs = candidate_pairs(store, docs, lsh)
    if pairs.size == 0:
        return pairs
    involved = np.unique(pairs)
    sigs, sizes = store.signatures(involved.tolist())
    pos = np.searchsorted(involved, pairs)
    kept = []
    for start in range(0, len(pairs), _VERIFY_CHUNK):
        p = pos[start : start + _VERIFY_CHUNK]
        *_, keep = verify(sigs[p[:, 0]], sigs[p[:, 1]], sizes[p[:, 0]], sizes[p[:, 1]], cfg)
        kept.append(pairs[start : start + _VERIFY_CHUNK][keep])
    return np.concatenate(kept)


def cluster_pending(
    store: Store, cfg: ClusterConfig, lsh: LSHParams, now: str, progress: Callable[[int], None] | None = None
) -> ClusterResult:
    """Assign every pending article to a story (possibly its own)."""
    pending = store.pending()
    if not pending:
        return ClusterResult(0, 0, 0)
    edges = verified_pairs(store, pending, lsh, cfg)
    pending_set = set(pending)
    others = {int(d) for d in np.unique(edges)} - pending_set if edges.size else set()
    # For pending docs this is their previous story (kept when a member was replaced).
    story_of = store.stories_of(list(pending_set | others))

    uf = _UnionFind()
    for d in pending:
        uf.find(("doc", d))
    for a, b in edges.tolist():
        na = ("doc", a) if a in pending_set else ("story", story_of[a])
        nb = ("doc", b) if b in pending_set else ("story", story_of[b])
        uf.union(na, nb)
    components: dict[object, list[tuple[str, object]]] = {}
    for node in list(uf.parent):
        components.setdefault(uf.find(node), []).append(node)  # type: ignore[arg-type]

    # A previous story is a candidate id for its old members' component, so
    # re-clustering after a replacement keeps ids stable.
    existing_ids = {str(n[1]) for nodes in components.values() for n in nodes if n[0] == "story" and n[1] is not None}
    existing_ids |= {s for s in (story_of.get(d) for d in pending) if s is not None}
    created_at = store.story_created(existing_ids)
    members = store.story_members(existing_ids)
    rows = {a.doc: a for a in store.articles(pending)}
    article_ids = {d: a.id for d, a in rows.items()}
    # Ids a new story must not take: a story named after a doc that later left it lives on.
    taken = set(store.story_created({new_story_id(i) for i in article_ids.values()}))

    assignments: dict[int, str] = {}
    created: dict[str, str] = {}
    touched: list[str] = []
    dropped: list[str] = []
    used: set[str] = set()
    stories_new = stories_grown = 0
    def _claim_order(nodes: list[tuple[str, object]]) -> tuple[int, str, int]:
        # A previous story id goes to the component holding most of its docs (then the
        # one indexed earliest), not to a replaced member that left the story.
        docs = [int(n[1]) for n in nodes if n[0] == "doc"]  # type: ignore[call-overload]
        return (-len(docs), min(rows[d].indexed_at for d in docs), min(docs))

    for nodes in sorted(components.values(), key=_claim_order):
        docs = sorted(int(n[1]) for n in nodes if n[0] == "doc")  # type: ignore[call-overload]
        linked = {str(n[1]) for n in nodes if n[0] == "story" and n[1] is not None}
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
                stories_grown += 1
        else:
            base, n = article_ids[docs[0]], 0
            keep = new_story_id(base)
            while keep in used or keep in taken:
                n += 1
                keep = new_story_id(f"{base}#{n}")
                if store.story_created([keep]):
                    taken.add(keep)
            created[keep] = now
            if len(docs) > 1:
                stories_new += 1
        used.add(keep)
        for d in docs:
            assignments[d] = keep
    store.assign(assignments, created, touched, dropped, now)
    if progress is not None:
        progress(len(pending))
    return ClusterResult(len(pending), stories_new, stories_grown)
