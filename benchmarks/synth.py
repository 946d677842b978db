"""Synthetic news-length articles (300–800 words), generated on the fly, never stored.

Zipf-distributed vocabulary of made-up words, so that unrelated articles share
common words like real news does, but no two articles share long passages unless
planted. A fixed share are copies (verbatim with junk, or abridged) of an earlier
article, so that clustering has real work to do.

    .venv/bin/python benchmarks/synth.py corpus.jsonl 10000   # 10,000 articles as JSON Lines

The benchmarks import it (``synth.articles``, ``synth.write_jsonl``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

# English letter frequencies (%), so that character n-grams are about as
# diverse as in real text.
_LETTERS = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
_FREQ = np.array([12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0,
                  1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1])


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    freq = _FREQ / _FREQ.sum()
    while len(words) < size:
        n = int(rng.integers(2, 11))
        words.add("".join(rng.choice(_LETTERS, n, p=freq)))
    # Shortest first: the Zipf head (frequent words) is short, as in real language.
    ordered = sorted(words)
    rng.shuffle(ordered)
    return sorted(ordered, key=len)


def articles(
    n: int, seed: int = 7, copy_share: float = 0.2, start_id: int = 0, words: tuple[int, int] = (300, 800), days: int = 1
) -> Iterator[dict[str, object]]:
    """``n`` article records in dedup's input format, each of ``words`` (fewest, most) words,
    published over ``days`` days ending on 2026-11-24, in order (a feed's nights, one after another)."""
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30000, rng))
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks**1.1
    p /= p.sum()
    base = datetime(2026, 11, 24, tzinfo=timezone.utc)
    recent: list[tuple[str, str]] = []
    for i in range(n):
        ident = f"syn-{start_id + i:07d}"
        when = base + timedelta(days=i * days // n - (days - 1), seconds=int(rng.integers(0, 86400)))
        if recent and rng.random() < copy_share:
            title, text = recent[int(rng.integers(0, len(recent)))]
            if rng.random() < 0.5:
                text = f"{title}\n{title}\nerror: Content is protected !!\nsite{i % 50}.com – {text}\nBaca juga: {title}"
            else:
                text = "\n\n".join(text.split("\n\n")[:3])
        else:
            drawn = vocab[rng.choice(len(vocab), size=int(rng.integers(words[0], words[1] + 1)), p=p)]
            paras = np.array_split(drawn, max(1, len(drawn) // 60))
            text = "\n\n".join(" ".join(par).capitalize() + "." for par in paras)
            title = " ".join(drawn[:8]).capitalize()
            recent.append((title, text))
            if len(recent) > 500:
                recent.pop(0)
        yield {"id": ident, "url": f"https://www.outlet{i % 40}.com/{ident}", "published_at": when.isoformat(),
               "title": title, "text": text}


def write_jsonl(path: str, n: int, seed: int = 7, start_id: int = 0, words: tuple[int, int] = (300, 800), days: int = 1) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in articles(n, seed=seed, start_id=start_id, words=words, days=days):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def corpus_in(work: Path | None, n: int, prefix: str, days: int = 1) -> tuple[Path, Path]:
    """(the work directory, made: a new temp one unless given; the corpus of ``n`` articles
    over ``days`` days in it, written unless already there)."""
    work = work or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / (f"synth-{n}.jsonl" if days == 1 else f"synth-{n}-{days}d.jsonl")
    if not corpus.exists():
        write_jsonl(str(corpus), n, days=days)
    return work, corpus


def _count(text: str) -> int:
    """A whole number, 0 or more (argparse words a ValueError as "invalid _count value")."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, 0 or more")
    return n


def _words(text: str) -> tuple[int, int]:
    """'LO-HI' words per article, 1 <= LO <= HI."""
    lo, _, hi = text.partition("-")
    try:
        pair = (int(lo), int(hi or lo))
    except ValueError:
        pair = (0, 0)
    if not 1 <= pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LO-HI words, e.g. 300-800 (1 <= LO <= HI)")
    return pair


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="synth.py",
        description="Write N synthetic news-length articles (300-800 made-up words, Zipf-distributed; "
        "20% are copies of an earlier article, verbatim with junk lines or abridged) to OUT as JSON Lines "
        "in dedup's input format (id, url, published_at, title, text). The same seed gives the same articles.",
    )
    ap.add_argument("out", metavar="OUT", help="JSON Lines file to write (overwritten)")
    ap.add_argument("n", metavar="N", type=_count, help="number of articles")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    ap.add_argument("--start-id", type=_count, default=0,
                    help="number of the first id, syn-NNNNNNN, to append to an earlier corpus (default: %(default)s)")
    ap.add_argument("--words", type=_words, default=(300, 800), metavar="LO-HI",
                    help="words per original article, e.g. 5-15 for tiny ones (default: 300-800)")
    ap.add_argument("--days", type=int, default=1, help="publication dates spread over this many days, in order (default: %(default)s)")
    return ap


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    write_jsonl(args.out, args.n, seed=args.seed, start_id=args.start_id, words=args.words, days=args.days)


if __name__ == "__main__":
    main()
