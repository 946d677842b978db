"""Exact evidence of reuse between stored texts (the verify stage: after index, before cluster).

MinHash estimates similarity; this stage measures it on the texts the store
keeps, so a rewritten copy is judged on its real overlap, not an estimate.
Direction matters (benchmarks/QUALITY.md): what counts is the share of the
*later* text found in the *earlier* one.

>>> from dedup.config import ShingleConfig
>>> cfg = ShingleConfig()
>>> wire = text_shingles("The central bank raised its key rate by half a point on Tuesday.", "", cfg)
>>> copy = text_shingles("The central bank raised its key rate by half a point on Tuesday, officials said.", "", cfg)
>>> round(containment(copy, wire), 2), round(containment(wire, copy), 2)
(0.79, 1.0)
"""

from __future__ import annotations

import numpy as np

from .clean import clean_text
from .config import ShingleConfig
from .shingle import shingle


def text_shingles(text: str, title: str, cfg: ShingleConfig, language: str = "") -> np.ndarray:
    """The exact shingle set (sorted unique) of a stored article, cleaned as the index cleans it."""
    return shingle(clean_text(text, title=title).text, cfg, language)


def containment(part: np.ndarray, whole: np.ndarray) -> float:
    """|part ∩ whole| / |part| for sorted unique shingle sets: the share of ``part`` found in ``whole``."""
    if part.size == 0:
        return 0.0
    return float(np.intersect1d(part, whole, assume_unique=True).size) / float(part.size)
