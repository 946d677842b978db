"""Report renderers: one module per format, each ``render(Report) -> str``."""

from __future__ import annotations

from typing import Literal

from ..errors import ConfigError
from ..model import Report

Format = Literal["md", "json", "html", "csv"]


def render(report: Report, fmt: Format) -> str:
    """Render a report as Markdown, JSON, HTML or CSV (one row per member)."""
    # Imported here: commands that render nothing (query, stats) should not load them.
    from . import csv, html, json, markdown

    renderers = {"md": markdown.render, "json": json.render, "html": html.render, "csv": csv.render}
    if fmt not in renderers:
        raise ConfigError(f"report format {fmt!r}: choose one of {', '.join(renderers)}")
    return renderers[fmt](report)
