"""Who an article credits: agencies and outlets named in credit phrases.

A provenance-side stage. The rules are data, in ``dedup/data/credits.toml`` (to add an
agency, add a ``[[source]]`` there: its header says how); this package only compiles and
applies them, one module per concern:

- :mod:`.names`: the sources, their aliases and outlets, names in a text;
- :mod:`.patterns`: the credit phrases per language, compiled for the names a text has;
- :mod:`.spelling`: spelling variants, and misspelt Urdu names that still count;
- :mod:`.script`: folding and the Urdu letters the rules rely on;
- :mod:`.rules` (the search) and :mod:`.load` (reading and checking the rules file).

It runs on the RAW text: credits often sit in datelines ("JAKARTA, Nov 24 (Reuters) -")
that the clean stage strips.

Precision first: a name counts only inside a credit phrase, never on its own.
A story about Reuters, or a quote from an AFP photographer, credits nobody; an
article never credits its own outlet ("told Reuters" in a Reuters story).

>>> [c.name for c in find_credits("JAKARTA, Nov 24 (Reuters) - Indonesia plans ...", outlet="newshub24.net")]
['Reuters']
>>> [c.name for c in find_credits("Seperti dilansir Reuters dan AFP, Selasa (24/11), ...")]
['Reuters', 'AFP']
>>> [c.name for c in find_credits("Berita ini dikutip dari detik.com dan Sumber: warta24.net")]
['detik.com', 'warta24.net']
>>> find_credits("Thomson Reuters reported higher revenue.  \\"Chaos,\\" an AFP photographer said.")
()
>>> find_credits("KUALA LUMPUR, Nov 24 (Reuters) - ...", outlet="reuters.com")  # its own dateline
()
"""

from __future__ import annotations

from .load import load_rules, rules_from_toml
from .names import KINDS, FoundCredit, Source
from .patterns import Pattern, Syntax
from .rules import CreditRules
from .script import fold_script

__all__ = ["KINDS", "CreditRules", "FoundCredit", "Pattern", "Source", "Syntax", "find_credits", "fold_script",
           "load_rules", "rules_from_toml"]


def find_credits(text: str, outlet: str = "", rules: CreditRules | None = None) -> tuple[FoundCredit, ...]:
    """Who ``text`` credits (see the package docstring); ``outlet`` is the article's own.

    >>> [(c.name, c.kind) for c in find_credits("Sumber: ANTARA", outlet="korannews.com")]
    [('Antara', 'agency')]
    """
    return (rules or load_rules()).find(text, outlet)
