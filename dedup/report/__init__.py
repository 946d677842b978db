"""Report renderers: one module per format, each ``render(Report) -> str``."""

from __future__ import annotations

from typing import Literal

from ..model import Report

Format = Literal["md", "json", "html"]


def render(report: Report, fmt: Format) -> str:
    """Render a report as Markdown, JSON or HTML."""
    # Imported here: commands that render nothing (query, stats) should not load them.
    from . import html, json, markdown

    renderers = {"md": markdown.render, "json": json.render, "html": html.render}
    return renderers[fmt](report)
