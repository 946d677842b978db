"""Outlet names as given, compared case-insensitively and through the store's aliases.

A given outlet name keeps its case ("APP" is stored and shown as "APP"); names derived
from URLs are registered domains, lower-case. Wherever two outlets are compared, case is
folded and the aliases (``dedup outlets --alias news.detik.com=detik.com``) are followed.
Two outlets are the same outlet only so (a sister site, app.com.pk, is not the agency APP,
even though credits to either name the same source); credits compare the credit rules'
canonical names, which follow the aliases too ("detikcom", aliased, is detik.com).

A record with neither an outlet nor a URL (and no ``index --outlet``) gets an outlet of its
own, ``unknown:<where it was read>``: two such pages are never the same outlet, so a copy
between them is a copy.

>>> from dedup.credits import load_rules
>>> rules = load_rules()
>>> same_outlet("APP", "app", rules), same_outlet("app.com.pk", "APP", rules)
(True, False)
>>> same_outlet("detikcom", "detik.com", rules.with_outlet_aliases({"detikcom": "detik.com"}))
True
>>> same_outlet("", "", rules), outlet_key(" APP ")
(False, 'app')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .credits import CreditRules

UNKNOWN = "unknown"
# C0 and C1 control characters and DEL, which no outlet (nor id, nor url) holds (read/records.py).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def outlet_key(outlet: str) -> str:
    """The case-folded name an outlet is keyed by (boilerplate counts, aliases)."""
    return outlet.strip().casefold()


def unknown_outlet(where: str) -> str:
    """The outlet of a record with no outlet and no URL: its own, named after where it was read
    (control characters in a file name become "?": an outlet holds none).

    >>> unknown_outlet("pages/a.html"), unknown_outlet("evil\x1b[2J.jsonl:1")
    ('unknown:pages/a.html', 'unknown:evil?[2J.jsonl:1')
    """
    return f"{UNKNOWN}:{CONTROL.sub('?', where)}" if where else UNKNOWN


def same_outlet(a: str, b: str, rules: CreditRules) -> bool:
    """Whether two outlet names are one outlet (case-insensitive, aliases followed); an empty
    name is no outlet and never the same as another."""
    if not a.strip() or not b.strip():
        return False
    return outlet_key(rules.aliased(a)) == outlet_key(rules.aliased(b))


def parse_alias(text: str) -> tuple[str, str]:
    """``NAME=TARGET`` from ``--alias``; raises ConfigError on anything else.

    >>> parse_alias(" news.detik.com = detik.com ")
    ('news.detik.com', 'detik.com')
    """
    from .errors import ConfigError

    name, sep, target = text.partition("=")
    name, target = name.strip(), target.strip()
    if not sep or not name or not target:
        raise ConfigError(f"--alias {text!r}: expected NAME=OUTLET, e.g. --alias news.detik.com=detik.com")
    if outlet_key(name) == outlet_key(target):
        raise ConfigError(f"--alias {text!r}: an outlet is already itself")
    return name, target
