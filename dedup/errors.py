"""One exception tree for the whole pipeline.

Every stage raises a subclass of :class:`DedupError`; the CLI turns them into
one-line messages and exit codes at a single boundary (``cli.py``).
"""

from __future__ import annotations


class DedupError(Exception):
    """Base class of every error dedup raises on purpose."""

    exit_code: int = 1


class ConfigError(DedupError):
    """An option or setting is out of range or contradicts another one."""

    exit_code = 2


class InputError(DedupError):
    """An input file cannot be read at all (not one bad record: those are Rejected)."""

    exit_code = 3


class StoreError(DedupError):
    """The store is missing, corrupt, or was built with incompatible settings."""

    exit_code = 4


class QueryError(DedupError):
    """A query names an article that is not in the store, or has no usable text."""

    exit_code = 5


class OutputError(DedupError):
    """An output file (``--out``) cannot be written."""

    exit_code = 6
