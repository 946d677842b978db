"""The provenance tree in every rendering (issue #12 item 1): JSON ``parent`` and ``origin``,
the HTML and Markdown members each under its parent, an agency outside the corpus above them."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from dedup.config import ClusterConfig
from dedup.model import Report, Story
from dedup.provenance import build_story
from dedup.report import render
from dedup.store import StoredArticle

BODY = ("El Gobierno de Chile anunció este martes un plan de reconstrucción para las zonas afectadas "
        "por los incendios forestales en la región de Valparaíso.")


def _art(doc: int, outlet: str, hour: int, text: str) -> StoredArticle:
    return StoredArticle(  # type: ignore[call-arg]
        doc=doc, id=outlet.split(".")[0], url=f"https://www.{outlet}/x", outlet=outlet, title=f"Title {outlet}",
        text=text, published_at=f"2026-11-24T{hour:02d}:00:00+00:00", time_precision="exact",
        published_raw=None, record_hash="h", n_shingles=500, stripped=(), indexed_at="2026-11-25T00:00:00+00:00",
        story_id="s1",
    )


def _story() -> Story:
    """cooperativa.cl rewrote EFE uncredited; 24horas.cl credits EFE; lanacion.cl copied cooperativa's text."""
    arts = [_art(1, "cooperativa.cl", 12, BODY), _art(2, "24horas.cl", 13, "Por Agencia EFE\n" + BODY),
            _art(3, "lanacion.cl", 14, BODY + "\nMás noticias.")]
    base = np.arange(128, dtype=np.uint32)
    other = base.copy()
    other[100:] += 1000
    sigs = np.stack([base, other, base])
    return build_story("s1", arts, sigs, np.array([500, 500, 500]), ClusterConfig())


def _report() -> Report:
    return Report(generated_at=datetime(2026, 11, 25, tzinfo=timezone.utc), since=None, stories=(_story(),), outlets=())


def test_json_members_have_parents_and_the_story_its_origin() -> None:
    story = json.loads(render(_report(), "json"))["stories"][0]
    parents = {m["id"]: m["parent"] for m in story["members"]}
    assert parents == {
        "cooperativa": {"id": None, "name": "EFE", "in_corpus": False},
        "24horas": {"id": None, "name": "EFE", "in_corpus": False},
        "lanacion": {"id": "cooperativa", "name": "cooperativa.cl", "in_corpus": True},
    }
    assert story["origin"]["name"] == "EFE" and story["origin"]["in_corpus"] is False
    assert story["origin"]["confidence"] == "medium" and story["origin"]["evidence"]
    assert story["first"]["id"] == "cooperativa"  # existing keys stay


def test_html_lists_each_member_under_its_parent_below_the_outside_origin() -> None:
    html = render(_report(), "html")
    table = html[html.index("<tr class='origin-row'>"):]
    assert "<b>EFE</b>" in table[:200] and "not in corpus" in table[:200]
    rows = table.split("<tr")[1:]
    outlets = [next(o for o in ("cooperativa.cl", "lanacion.cl", "24horas.cl") if o in r) for r in rows[1:4]]
    assert outlets == ["cooperativa.cl", "lanacion.cl", "24horas.cl"]  # lanacion under cooperativa, not in time order
    assert "padding-left:1.9em'>↳" in rows[1] and "padding-left:3.3em'>↳" in rows[2] and "padding-left:1.9em'>↳" in rows[3]


def test_markdown_lists_each_member_under_its_parent() -> None:
    md = render(_report(), "md")
    assert "Origin: **EFE** (not in corpus" in md
    rows = [line for line in md.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |") or line.startswith("| 3 |")]
    assert rows[0].startswith("| 1 | ↳ cooperativa.cl |")
    assert rows[1].startswith("| 2 | &nbsp;&nbsp;↳ lanacion.cl |")
    assert rows[2].startswith("| 3 | ↳ 24horas.cl |")
