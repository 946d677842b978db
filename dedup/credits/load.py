"""Reading and checking the rules file (``dedup/data/credits.toml`` or one given)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .names import KINDS, Source
from .patterns import Syntax
from .rules import CreditRules
from .script import fold_script

SHIPPED = "dedup/data/credits.toml"


def _shipped_text() -> str:
    return resources.files("dedup").joinpath("data/credits.toml").read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def load_rules(path: Path | None = None) -> CreditRules:
    """The credit rules from ``path``, or the ones shipped with dedup (compiled once per path).

    >>> rules = load_rules()
    >>> rules is load_rules(), rules.canonical("antaranews.com")
    (True, 'Antara')
    """
    if path is None:
        return rules_from_toml(_shipped_text(), SHIPPED)
    try:
        return rules_from_toml(Path(path).read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read credit rules ({exc})") from exc


def rules_from_toml(text: str, origin: str = "credits.toml") -> CreditRules:
    """Compile rules from TOML text (see dedup/data/credits.toml for the format).

    >>> rules = rules_from_toml('''
    ... [[source]]
    ... name = "Acme"
    ... kind = "agency"
    ... aliases.en = ["ACME Wire"]
    ... [[pattern]]
    ... regex = "according to {names}"
    ... ''')
    >>> [c.name for c in rules.find("The toll rose, according to ACME Wire.")]
    ['Acme']
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from exc
    misspellings = data.get("misspellings", {})
    not_names = misspellings.get("not_names", {}) if isinstance(misspellings, dict) else None
    words = _by_language(not_names, f"{origin}: misspellings.not_names")
    descriptors = data.get("descriptors", {})
    if not isinstance(descriptors, dict) or not set(descriptors) <= set(KINDS) or not all(
            isinstance(t, dict) and all(isinstance(v, list) for v in t.values()) for t in descriptors.values()):
        raise ConfigError(f"{origin}: descriptors must map {' / '.join(KINDS)} to languages to lists of words")
    descriptor_words = {k: list(_by_language(t, origin)) for k, t in descriptors.items()}
    parts = data.get("parts", {})
    patterns = _expand_parts(data.get("pattern", []), parts, origin)
    suffix = ""
    if isinstance(parts, dict) and isinstance(parts.get("name_suffix"), str):
        suffix = _expand_parts([{"regex": "{name_suffix}"}], parts, origin)[0]["regex"]
    syntax = _syntax(data["syntax"], origin) if "syntax" in data else shipped_syntax()
    return CreditRules(_sources(data, origin), patterns, origin, words, descriptor_words, suffix, syntax)


def _by_language(value: Any, where: str, noun: str = "words") -> tuple[str, ...]:
    """The strings of a ``<lang> = [...]`` table, in order (blank ones and non-strings skipped)."""
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise ConfigError(f"{where} must map languages to lists of {noun}")
    return tuple(w for v in value.values() for w in v if isinstance(w, str) and w.strip())


def _sources(data: dict[str, Any], origin: str) -> list[Source]:
    out = []
    for i, s in enumerate(data.get("source", [])):
        where = f"{origin}: source #{i + 1}"
        name, kind = s.get("name"), s.get("kind")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: needs a name")
        if kind not in KINDS:
            raise ConfigError(f"{where} ({name}): kind must be one of {', '.join(KINDS)}, not {kind!r}")
        aliases, dateline, media = (_by_language(s.get(key, {}), f"{where} ({name}): {key}", "names")
                                    for key in ("aliases", "dateline_aliases", "media_aliases"))
        if not aliases and not dateline and not media:
            raise ConfigError(f"{where} ({name}): needs aliases, dateline_aliases or media_aliases")
        outlets = tuple(o.casefold() for o in s.get("outlets", []))
        out.append(Source(name=name, kind=kind, outlets=outlets, aliases=aliases, dateline_aliases=dateline,
                          media_aliases=media))
    if not out:
        raise ConfigError(f"{origin}: no [[source]] entries")
    return out


def _syntax(table: Any, origin: str) -> Syntax:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [syntax] must be a table")

    def flat(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{origin}: syntax.{key} must be a list of strings")
        return tuple(value)

    def words(key: str) -> tuple[str, ...]:
        return tuple(fold_script(w) for w in _by_language(table.get(key, {}), f"{origin}: syntax.{key}"))

    return Syntax(list_marks=flat("list_marks"), list_words=words("list_words"), desk_words=words("desk_words"),
                  domain_suffixes=flat("domain_suffixes"), glued_words=words("glued_words"))


@lru_cache(maxsize=1)
def shipped_syntax() -> Syntax:
    """The shipped ``[syntax]``: a rules file that leaves the table out lists and writes names as it does."""
    data = tomllib.loads(_shipped_text())
    if "syntax" not in data:
        raise ConfigError(f"{SHIPPED}: no [syntax] table")
    return _syntax(data["syntax"], SHIPPED)


_PART = re.compile(r"\{([a-z_]+)\}")


def _expand_parts(patterns: Any, parts: Any, origin: str) -> Any:
    """The patterns with each ``{part}`` replaced by the ``[parts]`` regex of that name
    (parts may use parts); ``{names}`` and ``{paren}`` are left for the compiler."""
    if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
        raise ConfigError(f"{origin}: [parts] must map names to regular expressions")
    if {"names", "paren"} & parts.keys():
        raise ConfigError(f"{origin}: [parts] cannot define names or paren")

    def expand(text: str, depth: int = 0) -> str:
        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in ("names", "paren"):
                return m.group(0)
            if key not in parts:
                raise ConfigError(f"{origin}: unknown part {{{key}}} in {text!r}")
            if depth > 8:
                raise ConfigError(f"{origin}: parts nest too deep at {{{key}}}")
            return f"(?:{expand(fold_script(parts[key]), depth + 1)})"
        return _PART.sub(one, text)

    if not isinstance(patterns, list):
        return patterns
    return [{**p, "regex": expand(p["regex"])} if isinstance(p, dict) and isinstance(p.get("regex"), str) else p
            for p in patterns]
