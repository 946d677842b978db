"""The report as CSV: one row per member of each listed story, for a spreadsheet or polars.

Columns, in order (empty cell: unknown):

- ``story_id``, ``story_is_new`` (true/false), ``story_has_copies`` (true/false),
  ``confidence`` (of the origin: high/medium/low), ``first_id``, ``first_outlet``;
- ``position`` (1 is the first publisher), ``id``, ``outlet``, ``url``, ``title``;
- ``published_at``: ISO 8601 with the member's offset (polars ``try_parse_dates``
  reads it as a UTC Datetime); a bare date as its local midnight;
- ``published_date``: the calendar day in the member's own zone (for a bare date, the day
  it names); ``time_precision`` (exact/naive/date/unknown);
- ``lag_seconds`` (float, between two times) or ``lag_days`` (integer, calendar days when
  either is a bare date);
- ``similarity``, ``containment`` (floats), ``relation``, ``credited`` (true/false: names
  the origin), ``credits`` (names, joined by "; ");
- ``reused_share`` (float: the share of its text found in its parent's) and
  ``longest_passage_words`` (the longest verbatim passage they share): for a member whose
  parent is in the corpus (see the JSON report), else empty;
- with ``--source``: ``source`` (its name) and ``credits_source`` (true/false; empty for
  the source's own articles and earlier related texts, which did not use it).

A cell of text that a spreadsheet would run as a formula (starting with =, +, -, @, a
tab or a CR) is prefixed with an apostrophe. Stories beyond the report's limit are not
written: the CLI says how many on standard error (a line here would break the table).
"""

from __future__ import annotations

import csv
import io

from ..model import Member, Report, Story
from ..provenance import has_copies

COLUMNS = (
    "story_id", "story_is_new", "story_has_copies", "confidence", "first_id", "first_outlet",
    "position", "id", "outlet", "url", "title", "published_at", "published_date", "time_precision",
    "lag_seconds", "lag_days", "similarity", "containment", "relation", "credited", "credits",
    "reused_share", "longest_passage_words",
)
SOURCE_COLUMNS = ("source", "credits_source")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def _bool(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


def _row(s: Story, i: int, m: Member) -> list[object]:
    t = m.published_at
    return [
        _text(s.story_id), _bool(s.is_new), _bool(has_copies(s)), s.confidence, _text(s.first.id), _text(s.first.outlet),
        i, _text(m.id), _text(m.outlet), _text(m.url), _text(m.title),
        t.isoformat() if t else "", t.date().isoformat() if t else "", str(m.time_precision),
        "" if m.lag_seconds is None else float(m.lag_seconds), "" if m.lag_span is None else m.lag_span.days,
        float(m.similarity), float(m.containment), m.relation, _bool(m.credited), _text("; ".join(m.credits)),
        "" if m.reuse is None else float(m.reuse.share), "" if m.reuse is None else m.reuse.longest_words,
    ]


def render(r: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS + (SOURCE_COLUMNS if r.source else ()))
    uses = {u.story_id: u for u in r.source_use}
    for s in r.listed:
        use = uses.get(s.story_id)
        for i, m in enumerate(s.members, 1):
            row = _row(s, i, m)
            if r.source:
                credits = None if use is None or m.id not in use.used_by else m.id in use.crediting
                row += [_text(r.source), _bool(credits)]
            w.writerow(row)
    return out.getvalue()
