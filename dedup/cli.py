"""The ``dedup`` command: parse options → build a Config → call one library
function → render. Library errors become one-line messages and exit codes here,
and only here."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, TypeVar, cast

import click

from .config import (
    DEFAULT_REPORT_LIMIT, DEFAULT_STORE, RELATIONS, ClusterConfig, Config, IndexConfig, ReadConfig, ReportFilter, ShingleConfig,
    ShingleKind, SignConfig, store_location,
)
from .errors import ConfigError, DedupError, InputError, OutputError, StoreError
from .model import Rejected
from .report.text import json_text, more_text, plural, visible

F = TypeVar("F", bound=Callable[..., Any])
MAX_REJECT_LINES = 50
# Fewer shingles than this (a few words) rarely share an LSH bucket with anything.
_SHORT_QUERY = 30


def _err(message: str) -> None:
    # Every message is one line, and may quote what the input said (a record's id or
    # url, a file name): its control and bidi characters are shown, never acted on.
    click.echo(visible(message), err=True)


def friendly_errors(fn: F) -> F:
    """Turn DedupError into 'error: …' on stderr and the error's exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DedupError as exc:
            _err(f"error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _err("interrupted: what was committed is kept; run the same command again to complete it")
            sys.exit(130)
        except OSError as exc:
            # polars reports it as a plain OSError("Broken pipe (os error 32)"), without errno
            if exc.errno != errno.EPIPE and not (exc.errno is None and "Broken pipe" in str(exc)):
                _unexpected(exc)
            # The reader of our output went away (`| head`): not an error worth a traceback.
            # Python would complain again when flushing stdout at exit, so point it at devnull.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a process ended by a closed pipe
        except Exception as exc:
            _unexpected(exc)

    return wrapper  # type: ignore[return-value]


def _unexpected(exc: Exception) -> NoReturn:
    """An error dedup did not foresee (a bug): one line naming it, exit 1; the
    traceback with DEDUP_DEBUG=1. Must be called in the ``except`` block."""
    if os.environ.get("DEDUP_DEBUG") or isinstance(exc, click.ClickException):
        raise exc
    what = " ".join(f"{type(exc).__name__}: {exc}".split())
    _err(f"error: unexpected {what[:300]} (a bug in dedup; DEDUP_DEBUG=1 shows the traceback; what was committed is kept)")
    sys.exit(1)


def _base_config(store: Path | str | None, **overrides: Any) -> Config:
    cfg = Config(**overrides)
    return cfg if store is None else replace(cfg, store=store)


def _is_stdout(out: Path | None) -> bool:
    return out is None or str(out) == "-"


def _check_out(out: Path | None) -> None:
    """Fail before the work, not after it, when ``--out`` cannot be written."""
    if not _is_stdout(out) and not out.parent.is_dir():  # type: ignore[union-attr]
        raise OutputError(f"--out {out}: no such directory {out.parent}")  # type: ignore[union-attr]


def _deliver(out: Path | None, write: Callable[[BinaryIO], None]) -> None:
    """What ``write`` writes, to standard output (``--out -`` or none) or to the file.

    A regular file is written whole or not at all, and survives a crash once this
    returns (written beside it, synced, renamed into place, keeping the old file's
    mode); anything else (/dev/stdout, a pipe, a symlink) is written through,
    never replaced."""
    if out is None or _is_stdout(out):
        sys.stdout.flush()  # anything printed before comes first
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    _check_out(out)
    in_place = out.is_symlink() or (out.exists() and not out.is_file())
    target = out if in_place else out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(target, "wb") as fh:
            write(fh)
            if not in_place:
                fh.flush()
                os.fsync(fh.fileno())
        if not in_place:
            if out.exists():
                shutil.copymode(out, target)
            os.replace(target, out)
            _fsync_dir(out.parent)
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if not in_place:
            target.unlink(missing_ok=True)  # after a failure or an interrupt; gone once renamed


def _fsync_dir(directory: Path) -> None:
    # The rename itself must reach the disk before the store's mark moves.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


store_option = click.option(
    "--store", default=None, callback=lambda ctx, param, value: None if value is None else store_location(value),
    help=f"Store directory, or a PostgreSQL server as postgresql://USER@HOST:PORT/DB [default: $DEDUP_STORE or {DEFAULT_STORE}].",
)


def filter_options(fn: F) -> F:
    """The views a desk asks for (report, export, query): parsed into a ReportFilter."""
    options = [
        click.option("--published-from", "published_from", metavar="WHEN", help="Only stories with a member published at or after this date or time (a date: from its start)."),
        click.option("--published-to", "published_to", metavar="WHEN", help="...and at or before this date or time (a date: to its end)."),
        click.option("--tz", "filter_tz", default="UTC", show_default=True, help="Zone of dates and times given without an offset."),
        click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only stories an outlet took part in (repeatable; case-insensitive; reuters.com is Reuters)."),
        click.option("--relation", "relations", multiple=True, type=click.Choice(RELATIONS, case_sensitive=False), help="Only stories with a member in this relation (repeatable)."),
        click.option("--min-copies", "min_copies", type=int, default=0, show_default=True, help="Only stories with at least N copies (credited, uncredited or partial)."),
        click.option("--source", metavar="NAME", help="Only stories that derive from this outlet or agency (a member, or credited by one), e.g. AFP or reuters.com."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _filter(published_from: str | None, published_to: str | None, filter_tz: str, outlets: tuple[str, ...],
            relations: tuple[str, ...], min_copies: int, source: str | None) -> ReportFilter:
    ReadConfig(tz=filter_tz)  # a mistyped zone: one clear line
    for flag, value in (("--published-from", published_from), ("--published-to", published_to), ("--source", source),
                        *(("--outlet", o) for o in outlets)):
        _check_utf8(flag, value)
    return ReportFilter.of_text(published_from, published_to, filter_tz, outlets, relations, min_copies, source)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dedup")
def cli() -> None:
    """Find republished news: index articles, query similar ones, report who copied whom.

    \b
    Examples:
      dedup index --tz Asia/Jakarta examples/sample/  # index a corpus (again every night)
      dedup query --file article.txt                  # articles similar to a text
      dedup report --format html --out r.html         # the nightly report
    """


# -- index -------------------------------------------------------------------

@contextmanager
def _progress(enabled: bool, transient: bool = False) -> Iterator[Callable[[str, int], None] | None]:
    """A progress display on standard error, only when it is a terminal;
    ``transient`` clears it when done (the output is what matters then)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(),
        TextColumn("{task.speed:>8.0f}/s" if False else "[cyan]{task.fields[rate]}"), TimeElapsedColumn(),
        console=console, transient=transient,
    ) as bar:
        tasks: dict[str, Any] = {}
        labels = {"pages": "pages extracted", "index": "articles", "reject": "rejected", "cluster": "clustered", "stories": "stories built"}

        def update(phase: str, n: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=None, rate="")
            bar.advance(tasks[phase], n)
            task = bar.tasks[tasks[phase]]
            if task.speed:
                bar.update(tasks[phase], rate=f"{task.speed:,.0f}/s")

        yield update


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def _parse_size(value: str) -> int:
    """``--max-bytes``: bytes, or with a unit (KB, MB, GB; KiB, MiB, GiB).

    >>> _parse_size("10MB"), _parse_size("512 KiB"), _parse_size("20000")
    (10000000, 524288, 20000)
    """
    number = value.strip().rstrip("bBiIkKmMgG ")
    unit = value.strip()[len(number):].strip().lower()
    try:
        size = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ConfigError(f"--max-bytes {value!r}: give a size such as 10MB, 500KB or 20000000") from None
    return int(size)


def _parse_map(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for v in values:
        field, sep, column = v.partition("=")
        if not sep or not field or not column:
            raise ConfigError(f"--map {v!r}: use FIELD=COLUMN, e.g. --map text=body")
        pairs.append((field.strip(), column.strip()))
    return tuple(pairs)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Read FIELD from another column, e.g. --map text=body (repeatable).")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of naive timestamps, e.g. Asia/Jakarta.")
@click.option("--outlet", default="", metavar="NAME", help="Outlet of records that name none and have no URL to derive it from, e.g. a folder of one site's pages (a record's own outlet wins).")
@click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "csv", "parquet", "html", "warc"]), default="auto", show_default=True, help="Input format (auto: by file extension, else by content for HTML and WARC).")
@click.option("--max-bytes", "max_bytes", default="10MB", show_default=True, metavar="SIZE", help="Largest record (a JSON line, a row's text, a page), e.g. 50MB; larger ones are rejected unread.")
# Store settings: chosen when a store is created; later runs take the store's
# unless one is given (and then it must match). Hence no click defaults here.
@click.option("--shingle", "shingle_kind", type=click.Choice(["char", "word"]), default=None, help=f"Shingle kind.  [new store: {ShingleConfig().kind}]")
@click.option("--shingle-size", type=int, default=None, help="Shingle size in characters or words (0: the kind's default).  [new store: " + ", ".join(f"{n} for {k}" for k, n in ShingleConfig.DEFAULT_SIZE.items()) + "]")
@click.option("--num-perm", type=int, default=None, help=f"MinHash permutations.  [new store: {SignConfig().num_perm}]")
@click.option("--threshold", type=float, default=None, help=f"LSH Jaccard threshold for candidates.  [new store: {IndexConfig().threshold}]")
@click.option("--min-similarity", type=float, default=None, help=f"Estimated Jaccard at which two articles are copies.  [new store: {ClusterConfig().min_similarity}]")
@click.option("--min-containment", type=float, default=None, help=f"Share of the shorter article found in the longer at which it is a (partial) copy.  [new store: {ClusterConfig().min_containment}]")
@click.option("--workers", type=int, default=0, show_default=True, help="Processes/threads to use (0: all cores).")
@click.option("--strict", is_flag=True, help="Exit non-zero when any record is rejected or warned about.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no per-record messages.")
@friendly_errors
def index(paths: tuple[str, ...], store: Path | str | None, maps: tuple[str, ...], tz: str, outlet: str, fmt: str, shingle_kind: str | None,
          shingle_size: int | None, num_perm: int | None, threshold: float | None, min_similarity: float | None,
          min_containment: float | None, max_bytes: str, workers: int, strict: bool, quiet: bool) -> None:
    """Index PATHS (JSONL, CSV, Parquet, HTML pages, WARC/ARC archives, directories, or - for
    JSON Lines on stdin, or WARC with --format warc).

    Incremental: articles already stored with the same id and content are skipped,
    the same id with new content replaces the old. Safe to interrupt: the next run
    completes the work. The store settings (--shingle, --shingle-size,
    --num-perm, --threshold, --min-similarity, --min-containment) are fixed when
    a store is created: later runs use the store's, and refuse other values.

    \b
    Examples:
      dedup index examples/sample/night1.jsonl
      dedup index --map text=body --tz Asia/Jakarta crawl.csv
      cat today.jsonl | dedup index -
      dedup index crawl/pages/ crawl-2026-11-24.warc.gz   # raw pages: text, title, date extracted
      dedup index --outlet "Kabar Kota" saved/kabarkota/   # pages that name no URL
    """
    from .pipeline import index_corpus

    # Store settings not given (None) are the store's, or the defaults for a new store.
    given = (("shingle.kind", shingle_kind), ("shingle.size", shingle_size), ("sign.num_perm", num_perm),
             ("index.threshold", threshold), ("cluster.min_similarity", min_similarity),
             ("cluster.min_containment", min_containment))
    new = Config()
    cfg = _base_config(
        store,
        read=ReadConfig(field_map=_parse_map(maps), tz=tz, fmt=fmt, max_bytes=_parse_size(max_bytes), outlet=outlet),  # type: ignore[arg-type]
        # size 0: the default size of the kind (a word shingle is not 7 words long)
        shingle=ShingleConfig(kind=cast(ShingleKind, shingle_kind or new.shingle.kind), size=shingle_size or 0),
        sign=SignConfig(num_perm=new.sign.num_perm if num_perm is None else num_perm),
        index=IndexConfig(threshold=new.index.threshold if threshold is None else threshold),
        cluster=ClusterConfig(
            min_similarity=new.cluster.min_similarity if min_similarity is None else min_similarity,
            min_containment=new.cluster.min_containment if min_containment is None else min_containment,
        ),
        workers=workers, strict=strict, progress=not quiet,
        chosen=frozenset(name for name, value in given if value is not None),
    )
    with _progress(not quiet) as progress:
        summary = index_corpus(paths, cfg, progress=progress)
    problems = summary.problems
    if not quiet:
        for item in problems[:MAX_REJECT_LINES]:
            _err(f"{'rejected' if isinstance(item, Rejected) else 'warning'} {item.message()}")
        if len(problems) > MAX_REJECT_LINES:
            _err(f"… and {len(problems) - MAX_REJECT_LINES} more (see the counts below)")
    rate = summary.read / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"read {plural(summary.read, 'article', 'articles')}: {summary.added:,} added, {summary.replaced:,} replaced, "
        f"{summary.unchanged:,} unchanged; {len(summary.rejected):,} rejected, {plural(len(summary.warnings), 'warning', 'warnings')} "
        f"({summary.seconds:.1f} s, {rate:,.0f} articles/s)"
    )
    # "stories" everywhere means stories with copies (a lone article is not news of reuse)
    click.echo(f"stories with copies: {summary.stories_new:,} new, {summary.stories_grown:,} grew")
    for reason, n in sorted(summary.rejected_by_reason().items()):
        click.echo(f"  rejected: {n:,} × {reason}")
    for reason, n in sorted(summary.warnings_by_reason().items()):
        click.echo(f"  warning:  {n:,} × {reason}")
    for reason, n in summary.skipped:  # a crawl's images and redirects: counted, not errors, not --strict
        click.echo(f"  skipped:  {n:,} × {reason}")
    if summary.nothing_indexed:
        raise InputError(summary.nothing_indexed_message())
    if strict and problems:
        _err(f"--strict: {len(summary.rejected)} rejected, {plural(len(summary.warnings), 'warning', 'warnings')}")
        sys.exit(1)


# -- query -------------------------------------------------------------------

def _why_nothing(info: dict[str, object], filtered: bool) -> str:
    """One line saying why a query found nothing: what came closest, and below what floor."""
    size = int(info.get("shingles", 0))  # type: ignore[call-overload]
    short = f" (the query is only {plural(size, 'shingle', 'shingles')}: copies are found by about a sentence of shared text or more)"
    closest = info.get("closest")
    if isinstance(closest, dict) and not closest["containment"]:
        why = ": no stored article shares any of the query's text"
    elif isinstance(closest, dict):
        why = (f": no stored article holds {closest['floor']:.0%} or more of the query's text; the closest, "
               f"{visible(str(closest['id']))} ({visible(str(closest['outlet']))}), holds {closest['containment']:.0%}")
    elif filtered:
        why = " the filters keep"
    else:
        why = ": the store holds no other article"
    return "no similar articles" + why + (short if size < _SHORT_QUERY else "")


@cli.command()
@store_option
@click.option("--text", help="Query with this text.")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), help="Query with the text of this file.")
@click.option("--id", "ident", help="Query with a stored article, by id.")
@click.option("--url", help="Query with a stored article, by url (any form of it: with or without scheme, www., trailing slash, fragment, utm_*/fbclid/gclid… parameters).")
@click.option("--top", "-k", "top", type=int, default=10, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@filter_options
@friendly_errors
def query(store: Path | str | None, text: str | None, file: Path | None, ident: str | None, url: str | None, top: int, as_json: bool,
          published_from: str | None, published_to: str | None, filter_tz: str, outlets: tuple[str, ...], relations: tuple[str, ...], min_copies: int, source: str | None) -> None:
    """Articles similar to a text, a file, or a stored article.

    Ranked by the larger of similarity (estimated Jaccard) and containment (the
    share of the query found in the article: an abridged copy is contained in
    its original). The filters keep an article published in the window, by one
    of the outlets, in one of the relations; its story with --min-copies copies
    and deriving from --source.

    \b
    Examples:
      dedup query --file copy.txt
      dedup query --id kompas-0007 --top 5 --json
      dedup query --text "Harga beras di Jakarta naik ..."
      dedup query --id kompas-0007 --relation uncredited_copy --published-from 2026-11-24
    """
    from .pipeline import QueryTarget
    from .pipeline import query as run_query

    for flag, value in (("--text", text), ("--id", ident), ("--url", url)):
        _check_utf8(flag, value)
    cfg = _base_config(store)
    where = _filter(published_from, published_to, filter_tz, outlets, relations, min_copies, source)
    info, matches = run_query(cfg, QueryTarget(text=text, file=file, id=ident, url=url), k=top, where=where)
    if as_json:
        from .report.json import query_dict

        click.echo(json_text(query_dict(info, matches)))
        return
    if not matches:
        click.echo(_why_nothing(info, where.active))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Piped output gets a fixed, generous width instead of rich's 80 columns (unless $COLUMNS says).
    console = Console() if sys.stdout.isatty() or "COLUMNS" in os.environ else Console(width=160)
    # The scores and the time keep their width however narrow the screen: long
    # values are cut (URL ids in the middle), outlet and id may wrap, and the
    # title, the least needed, is left out when there is no room for it.
    table = Table(show_lines=False)
    for name in ("#", "similarity", "containment"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("outlet", overflow="fold")
    table.add_column("published", no_wrap=True, min_width=16)
    table.add_column("id", overflow="fold")
    # What an article says is shown as it is: visible() for control and bidi
    # characters, Text() so that rich reads no markup ("[bold]", "[/]") in it.
    rows = [[str(i), f"{m.similarity:.2f}", f"{m.containment:.2f}", _cut(visible(m.outlet), 24),
             m.published_at.strftime("%Y-%m-%d %H:%M") if m.published_at else "unknown", _cut(visible(m.id), 36)]
            for i, m in enumerate(matches, 1)]
    # What the other columns take: their widest cell or header, 2 of padding each, 8 borders.
    taken = sum(max(c.min_width or 0, len(str(c.header)), *(len(r[j]) for r in rows)) + 2 for j, c in enumerate(table.columns)) + 8
    title_width = min(60, console.width - taken - 2)
    if title_width >= 12:
        table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=title_width)
    for row, m in zip(rows, matches, strict=True):
        table.add_row(*map(Text, row), *([Text(visible(m.title, text=True))] if title_width >= 12 else []))
    console.print(table)


def _check_utf8(flag: str, value: str | None) -> None:
    """Raise InputError for an argument that was not UTF-8: Python keeps such
    bytes as lone surrogates ('\\udcff'), which no text or id can hold."""
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(value[exc.start]) - 0xDC00  # surrogateescape: byte 0xNN became U+DCNN
        shown = f"byte 0x{byte:02x}" if 0x80 <= byte <= 0xFF else f"{ascii(value[exc.start])}"
        raise InputError(f"{flag}: not UTF-8 text ({shown} at character {exc.start + 1}); check the terminal's or the script's encoding") from None


def _cut(value: str, limit: int) -> str:
    """``value`` shortened in the middle: both ends of a URL id tell it apart.

    >>> _cut("https://www.example.com/2026/11/24/a-very-long-slug.html", 30)
    'https://www.ex…-long-slug.html'
    """
    if len(value) <= limit:
        return value
    head = (limit - 1) // 2
    return value[:head] + "…" + value[len(value) - (limit - 1 - head):]


# -- report ------------------------------------------------------------------

@cli.command()
@store_option
@click.option("--since", default="last", show_default=True, help="'last' (since the previous report), 'all', or a date/time (ISO 8601, in --tz unless it has an offset). Only 'last' moves the mark, and only unfiltered.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html", "csv"]), default="md", show_default=True, help="csv: one row per member of each listed story (columns in the README).")
@click.option("--limit", type=int, default=None, help=f"Stories listed, biggest first (0: all); the totals count them all, and the report says how many more. Default: {DEFAULT_REPORT_LIMIT}, but every story in the nightly report (--since last, unfiltered), which moves the mark past them all.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True), help="Write to this file (- or none: standard output).")
@click.option("--no-mark", is_flag=True, help="Do not remember this report as the last one (for a look without using up tonight's report).")
@filter_options
@friendly_errors
def report(store: Path | str | None, since: str, fmt: str, out: Path | None, no_mark: bool, limit: int | None,
           published_from: str | None, published_to: str | None, filter_tz: str, outlets: tuple[str, ...], relations: tuple[str, ...], min_copies: int, source: str | None) -> None:
    """The nightly dedup report: stories new or grown since the last report.

    For each story: the origin with its evidence and confidence, every copy with
    outlet, url, time, lag, similarity, credits and relation (credited, uncredited
    or partial copy); then the outlet table and charts.

    The filters keep a story when ONE member meets every member filter given
    (--published-from/--published-to, --outlet, --relation), the story has at
    least --min-copies copies and derives from --source; a kept story is shown
    whole. --source adds who used the source's copy and the share that credits
    it. A filtered report never moves the mark of the nightly report.

    \b
    Examples:
      dedup report                              # Markdown, since the last report
      dedup report --since all --format json
      dedup report --format html --out tonight.html
      dedup report --since all --source AFP     # who used AFP's copy, crediting or not
      dedup report --since all --outlet korannews.com --relation uncredited_copy
      dedup report --since all --tz Asia/Jakarta --published-from 2026-11-25 --min-copies 2
      dedup report --since all --format csv --limit 0 --out members.csv
    """
    from .pipeline import build_report, mark_reported, parse_since
    from .report import render

    cfg = _base_config(store)
    where = _filter(published_from, published_to, filter_tz, outlets, relations, min_copies, source)
    _check_out(out)
    with _progress(True, transient=True) as progress:
        rep = build_report(cfg, since=parse_since(since, filter_tz), mark=False, progress=progress, where=where, limit=limit)
    text = render(rep, fmt)  # type: ignore[arg-type]
    _deliver(out, lambda fh: fh.write(text.encode("utf-8")))
    # Marked only once delivered, so that a report that could not be written is not
    # lost; and only by the nightly kind: a look back (--since all|TIME) or a filtered
    # report (it leaves stories out) moves nothing.
    if since == "last" and not no_mark and not where.active:
        mark_reported(cfg, rep)
    if not _is_stdout(out):
        without = len(rep.stories) - rep.totals["stories"]  # (totals count only stories with copies)
        _err(f"wrote {out} ({plural(rep.totals['stories'], 'story', 'stories')} with copies"
             + (f", {plural(without, 'group', 'groups')} without a copy" if without else "")
             + (f"; {more_text(rep.more)}" if rep.more else "") + ")")
    elif rep.more and fmt == "csv":  # the table stays a table: the count goes beside it
        _err(more_text(rep.more))


# -- stats / export ------------------------------------------------------------

@cli.command()
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def stats(store: Path | str | None, as_json: bool) -> None:
    """What is in the store: articles, outlets, stories, settings, size.

    \b
    Examples:
      dedup stats
      dedup stats --json --store nightly-store
    """
    from .pipeline import stats as run_stats

    info = run_stats(_base_config(store))
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    params = info.pop("settings") or {}
    for k, v in info.items():
        shown = "never" if v is None and k == "last_report_at" else (f"{v:,}" if isinstance(v, int) else v)
        click.echo(f"{k:>20}: {visible(str(shown))}")  # the store's path is the user's, and may hold anything
    if params:
        sh, sg, cl = params["shingle"], params["sign"], params.get("cluster") or {}
        click.echo(f"{'settings':>20}: {sh['kind']} {sh['size']}-grams, num_perm {sg['num_perm']}, seed {sg['seed']}, "
                   f"{sg['scheme']}, threshold {params['threshold']} ({params['bands']} bands x {params['rows']} rows), "
                   f"prefilter {params.get('prefilter', 0.0)}"
                   + (f", min_similarity {cl['min_similarity']}, min_containment {cl['min_containment']}" if cl else ""))


@cli.command()
@store_option
@click.option("--repair", is_flag=True, help="Rebuild damaged LSH index files and the signature file from the database (not while 'dedup index' runs).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def check(store: Path | str | None, repair: bool, as_json: bool) -> None:
    """Verify the store: the database (SQLite's quick_check and the store's own
    invariants), every LSH index file against its checksum, and the signature
    file a query scores against the articles.

    One line per problem. Exit 0 when nothing is damaged (or all was repaired),
    4 when damage is left. The LSH index and the signature file are derived from
    the articles, so --repair rebuilds them; a damaged database needs a backup or
    a new store.
    On a PostgreSQL store, the invariants of its tables (story members,
    band entries); its storage is the server's to verify (amcheck).

    \b
    Examples:
      dedup check
      dedup check --repair --store nightly-store
    """
    from .pipeline import DATABASE_ADVICE
    from .pipeline import check as run_check

    result = run_check(_base_config(store), repair=repair)
    if as_json:
        click.echo(json_text({
            "store": result.store, "articles": result.articles, "segments": result.segments, "ok": not result.damaged,
            "findings": [{"where": f.where, "problem": f.problem, "damage": f.damage, "derived": f.derived, "repaired": f.repaired}
                         for f in result.findings],
        }))
    else:
        for f in result.findings:
            label = "repaired" if f.repaired else "damaged" if f.damage else "note"
            click.echo(visible(f"{label:<9}{f.where}: {f.problem}"))  # a path, a stored value: shown, not acted on
        articles = "?" if result.articles < 0 else f"{result.articles:,}"
        found = plural(len(result.damaged), "problem", "problems") if result.damaged else "no damage"
        repaired = sum(f.repaired for f in result.findings)
        index = (plural(result.segments, "LSH segment", "LSH segments") if result.segments is not None
                 else "the invariants of the PostgreSQL tables (the server verifies its own storage: amcheck)")
        click.echo(f"checked {articles} articles, {index}: {found}"
                   + (f", {repaired:,} repaired" if repaired else ""))
    if result.damaged:
        advice = [DATABASE_ADVICE] if any(not f.derived for f in result.damaged) else []
        if any(f.derived for f in result.damaged) and not repair:
            advice.insert(0, "run 'dedup check --repair' to rebuild what is derived from the articles (LSH index, signature file)")
        raise StoreError(f"{plural(len(result.damaged), 'problem', 'problems')} left in {result.store}: {'; '.join(advice) or 'see above'}")


@cli.command()
@store_option
@click.option("--before", required=True, metavar="WHEN", help="Remove articles published before this date or time (ISO 8601; a date: before its start).")
@click.option("--tz", "filter_tz", default="UTC", show_default=True, help="Zone of a date or time given without an offset.")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the ids of the stories changed).")
@friendly_errors
def prune(store: Path | str | None, before: str, filter_tz: str, dry_run: bool, as_json: bool) -> None:
    """Retention: remove the articles published before a date, with their signatures,
    LSH entries and story memberships (an undated article goes by when it was indexed).

    A story keeps its id while it keeps a member; its first publisher may change. The
    nightly report does not list the stories a prune changed. Atomic: an interrupted
    prune leaves the store as it was, and the same command completes it.

    \b
    Examples:
      dedup prune --before 2026-06-01 --dry-run
      dedup prune --before 2026-06-01T00:00+07:00 --store nightly-store
    """
    from .pipeline import prune as run_prune

    ReadConfig(tz=filter_tz)  # a mistyped zone: one clear line
    _check_utf8("--before", before)
    result = run_prune(_base_config(store), before, filter_tz, dry_run=dry_run)
    if as_json:
        click.echo(json_text({
            "before": result.before, "dry_run": result.dry_run, "articles": result.articles, "undated": result.undated,
            "stories_dropped": result.stories_dropped, "stories_changed": list(result.stories_changed),
        }))
        return
    verb = "would remove" if dry_run else "removed"
    undated = f" ({result.undated:,} of no known time, indexed before it)" if result.undated else ""
    click.echo(f"{verb} {plural(result.articles, 'article', 'articles')} published before {result.before}{undated}")
    click.echo(f"stories: {result.stories_dropped:,} left with no member ({'to be ' if dry_run else ''}removed), "
               f"{len(result.stories_changed):,} left with fewer members (keeping their ids)")


@cli.command()
@store_option
@click.option("--outlet", "only", multiple=True, help="Only this outlet (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Also list outlets with nothing learned.")
@click.option("--alias", "add", multiple=True, metavar="NAME=OUTLET", help="NAME is OUTLET wherever outlets are compared, credits included (repeatable).")
@click.option("--unalias", "remove", multiple=True, metavar="NAME", help="Remove an alias (repeatable).")
@click.option("--aliases", "list_aliases", is_flag=True, help="List the aliases (also shown after --alias/--unalias).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def outlets(store: Path | str | None, only: tuple[str, ...], show_all: bool, add: tuple[str, ...], remove: tuple[str, ...],
            list_aliases: bool, as_json: bool) -> None:
    """Boilerplate learned per outlet: lines stripped before shingling; and outlet aliases.

    A line that recurs in at least 4 articles and 20% of an outlet's articles
    (footers, anti-copy notices, newsletter pitches) is stripped from that
    outlet's articles indexed from then on; stored articles keep their signatures.

    \b
    Examples:
      dedup outlets
      dedup outlets --outlet korannews.com --json
      dedup outlets --alias news.detik.com=detik.com --alias detikcom=detik.com
      dedup outlets --unalias detikcom
    """
    from .pipeline import outlet_aliases
    from .pipeline import outlets as run_outlets

    if add or remove or list_aliases:
        aliases = outlet_aliases(_base_config(store), add, remove)
        if as_json:
            click.echo(json_text([{"name": n, "outlet": t} for n, t in aliases.items()]))
        else:
            for n, t in aliases.items():
                click.echo(f"{visible(n)} = {visible(t)}")
            click.echo(f"{plural(len(aliases), 'alias', 'aliases')}")
        return

    infos = run_outlets(_base_config(store), only)
    if as_json:
        click.echo(json_text([
            {"outlet": i.outlet, "articles": i.articles,
             "boilerplate": [{"line": b.line, "articles": b.articles, "share": b.share, "first_seen": b.first_seen}
                             for b in i.boilerplate]}
            for i in infos
        ]))
        return
    learned = [i for i in infos if i.boilerplate]
    for i in infos if show_all else learned:
        click.echo(f"{visible(i.outlet)} ({plural(i.articles, 'article', 'articles')} counted)")
        for b in i.boilerplate:
            click.echo(f"  {b.articles:>6,} {b.share:>5.0%}  {visible(b.line, text=True)}")
    click.echo(f"{len(infos):,} outlets counted, {len(learned):,} with boilerplate")


@cli.command()
@store_option
@click.option("--what", type=click.Choice(["articles", "stories"]), default="articles", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet", "csv"]), default="jsonl", show_default=True, help="csv: a list is one cell (credits joined by '; ', stripped lines by newlines).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True), required=True, help="Output file (- for standard output).")
@filter_options
@friendly_errors
def export(store: Path | str | None, what: str, fmt: str, out: Path, published_from: str | None, published_to: str | None, filter_tz: str, outlets: tuple[str, ...], relations: tuple[str, ...], min_copies: int, source: str | None) -> None:
    """Export articles (with their story) or story members, for analysis in polars.

    The filters keep stories as 'dedup report' does (each kept story whole);
    with --what articles, an article by its own time and outlet (--relation,
    --min-copies and --source need --what stories).

    \b
    Examples:
      dedup export --what stories --format parquet --out stories.parquet
      python -c "import polars as pl; print(pl.read_parquet('stories.parquet'))"
      dedup export --what stories --format csv --source AFP --out afp.csv
    """
    from .pipeline import export as run_export

    where = _filter(published_from, published_to, filter_tz, outlets, relations, min_copies, source)
    _check_out(out)
    rows = 0

    def write(fh: BinaryIO) -> None:
        nonlocal rows
        with _progress(True, transient=True) as progress:
            rows = run_export(_base_config(store), what, fmt, fh, progress=progress, where=where)  # type: ignore[arg-type]

    _deliver(out, write)
    if not _is_stdout(out):
        _err(f"wrote {plural(rows, 'row', 'rows')} to {out}")


# -- serve ---------------------------------------------------------------------

@cli.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on. The API has no authentication and can add articles: give 0.0.0.0 only behind a proxy or firewall that guards it.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on (0: any free port, named in the start-up line).")
@click.option("--max-bytes", "max_bytes", default="10MB", show_default=True, metavar="SIZE", help="Largest request body, and largest record in it (as 'dedup index --max-bytes'); a larger body is refused with 413.")
@friendly_errors
def serve(store: Path | str | None, host: str, port: int, max_bytes: str) -> None:
    """Serve the store over HTTP: query, add articles, stories, reports (needs 'dedup[serve]').

    \b
    Endpoints (OpenAPI docs at /docs):
      GET  /health                       the store opens; its article count
      POST /query     {"text"|"url"|"id": ..., "top": 10}   as 'dedup query --json'
      POST /articles  JSON array or JSON Lines              as 'dedup index', its summary
      GET  /stories/ID                   one story, as in the JSON report
      GET  /report?since=last&format=json|html|md|csv[&mark=true]

    A report leaves the nightly mark alone unless mark=true. Articles are added
    one request at a time (the embedded store takes one writer); queries and
    reports are answered meanwhile.

    \b
    Examples:
      dedup serve --store nightly-store
      curl -s localhost:8000/query -H 'Content-Type: application/json' -d '{"id": "kompas-0007"}'
      curl -s --data-binary @night2.jsonl localhost:8000/articles
    """
    from .server import run

    run(_base_config(store, read=ReadConfig(max_bytes=_parse_size(max_bytes))), host=host, port=port)


def main() -> None:
    cli(prog_name="dedup")
