"""Report renderers: one module per format, each ``render(Report) -> str``."""

from __future__ import annotations

from typing import Literal

from ..model import Report
from . import html, json, markdown

Format = Literal["md", "json", "html"]
_RENDERERS = {"md": markdown.render, "json": json.render, "html": html.render}


def render(report: Report, fmt: Format) -> str:
    """Render a report as Markdown, JSON or HTML."""
    return _RENDERERS[fmt](report)
